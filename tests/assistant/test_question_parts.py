"""Splitting a question that asks two things, so that each part is read on its own."""

from __future__ import annotations

import pytest

from assistant.question_parts import question_parts


@pytest.mark.parametrize("question, parts", [
    ("Sur quel logiciel l'équipe a-t-elle contribué, et qui a financé cette initiative ?",
     ["Sur quel logiciel l'équipe a-t-elle contribué", "qui a financé cette initiative ?"]),
    ("Nos formulaires sont en .docx, est-ce un problème ? Quels formats faut-il privilégier ?",
     ["Nos formulaires sont en .docx, est-ce un problème ?", "Quels formats faut-il privilégier ?"]),
    ("Combien de temps vivent les traceurs et combien de temps garder les données ?",
     ["Combien de temps vivent les traceurs", "combien de temps garder les données ?"]),
    ("Peut-on désactiver les commentaires, ou au moins fermer un fil terminé ?",  # a wish, then its fallback
     ["Peut-on désactiver les commentaires", "ou au moins fermer un fil terminé ?"]),
    ("Faut-il refaire tout l'audit, ou à défaut les pages modifiées ?",
     ["Faut-il refaire tout l'audit", "ou à défaut les pages modifiées ?"]),
    ("Combien de mots par phrase en FALC, et faut-il faire relire les textes ?",  # a question by inversion
     ["Combien de mots par phrase en FALC", "faut-il faire relire les textes ?"]),
    ("Qui édite le guide, et sous quel format est proposée sa maquette ?",  # an interrogative after a preposition
     ["Qui édite le guide", "sous quel format est proposée sa maquette ?"]),
    ("Pour un audit rapide, on teste combien de pages et sur quels critères ?",
     ["Pour un audit rapide, on teste combien de pages", "sur quels critères ?"]),
    ("Quelle adresse donner au moissonneur et que se passe-t-il si le slug change ?",  # « que » asking what
     ["Quelle adresse donner au moissonneur", "que se passe-t-il si le slug change ?"]),
])
def test_a_question_asking_two_things_is_read_as_two_parts(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "Comment ouvrir des données publiques ?",
    "Quels sont les critères et les étapes d'un audit ?",  # one question about two things
    "Faut-il vérifier que le site est accessible et que les données sont à jour ?",  # « et que » : and that
    "Le fichier doit-il être en CSV ou en JSON ?",  # a choice between two, one answer
    "Les agents et les usagers peuvent-ils participer ?",  # « et » between two subjects of one inversion
])
def test_a_simple_question_stays_whole(question):
    assert question_parts(question) == [question]


def test_its_questions_are_its_parts_before_a_sentence_is_cut():
    question = "Quelle loi a ouvert les données, et en quelle année ? Et laquelle oblige les communes à publier ?"
    assert question_parts(question) == ["Quelle loi a ouvert les données, et en quelle année ?",
                                        "Et laquelle oblige les communes à publier ?"]


def test_what_to_do_stays_with_the_question_it_follows():
    question = "Les jeux supprimés restent en ligne après le moissonnage. Pourquoi, et que faire ?"
    assert question_parts(question) == [question]


def test_a_part_without_a_word_of_its_own_stays_with_the_one_before():
    question = "Avant de lancer un site, faut-il une autorisation préalable ? Auprès de qui ?"
    assert question_parts(question) == [question]


def test_beyond_two_parts_the_last_ones_are_read_together():
    parts = question_parts("Qui porte le défi ? Combien coûte-t-il ? Quand commence-t-il ?")
    assert parts == ["Qui porte le défi ?", "Combien coûte-t-il ? Quand commence-t-il ?"]
