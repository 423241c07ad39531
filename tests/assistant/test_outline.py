"""How-to questions about what a guide is about: the guide's steps, or the section that the question's action names."""

from __future__ import annotations

import pytest

from assistant.outline import INFINITIVE, procedure_of

EXPERIMENT_GUIDE = "guides/conduire-une-experimentation.md"


def test_a_how_to_question_on_a_guide_s_subject_gets_the_guide_s_steps_in_order(api):
    body = api.post("/ask", json={"question": "Comment lancer une expérimentation dans mon administration ?"}).json()
    assert body["status"] == "answered" and body["method"] == "extractive", body
    answer = body["answer"]
    assert answer.startswith("Le guide « Conduire une expérimentation dans une administration » procède en 8 étapes :\n")
    steps = ["1. partir d'un problème et formuler une hypothèse", "2. délimiter le périmètre", "7. évaluer",
             "8. décider, documenter et partager"]
    assert all(step in answer for step in steps) and [answer.index(s) for s in steps] == sorted(answer.index(s) for s in steps)
    assert "Questions fréquentes" not in answer and "Ce qu'est" not in answer  # neither back matter nor a definition
    assert answer.endswith("[1]") and body["citations"][0]["document_id"] == EXPERIMENT_GUIDE
    assert body["confidence"] >= 0.5


@pytest.mark.parametrize("question", ["Quelles sont les étapes d'un atelier de co-conception ?",
                                      "Comment animer un atelier de co-conception ?"])
def test_a_guide_whose_sections_are_not_numbered_is_given_as_its_parts(default_service, question):
    answer = default_service.ask(question).answer
    assert answer.text.startswith("Le guide « Animer un atelier de co-conception » se découpe en 6 parties :\n"
                                  "1. Définir l'objectif de l'atelier ;\n2. Choisir et inviter les participants"), answer.text


def test_the_section_named_by_the_action_gives_its_own_steps(default_service):
    answer = default_service.ask("Comment organiser un événement pour le Mois de l'innovation publique ?").answer
    assert answer.status == "answered", answer.text
    assert answer.text.startswith("La partie « Proposer et organiser un événement » du guide « Le Mois de l'innovation "
                                  "publique : participer et organiser un événement » procède en 6 étapes :\n"
                                  "1. définir l'objectif ;\n2. choisir le format"), answer.text


@pytest.mark.parametrize(("question", "guide", "section", "opening"), [
    ("Comment choisir les indicateurs d'une expérimentation ?", "Conduire une expérimentation dans une administration",
     "Étape 6 : choisir les indicateurs", "Retenez un petit nombre d'indicateurs"),
    ("Comment recruter des usagers pour un atelier de co-conception ?", "Animer un atelier de co-conception",
     "Recruter des usagers", "Passez par les agents"),
    ("Comment préparer un atelier de co-conception ?", "Animer un atelier de co-conception", "Préparer le matériel",
     "post-it de plusieurs couleurs"),
])
def test_a_section_without_steps_is_answered_by_its_opening_under_its_heading(default_service, question, guide, section,
                                                                               opening):
    answer = default_service.ask(question).answer
    assert answer.status == "answered", answer.text
    assert answer.text.startswith(f"« {guide} » ({section}) : {opening}"), answer.text
    assert answer.citations[0].chunk.heading_path[-1] == section
    assert answer.signals["section_asked"] >= 0.5


def test_a_section_that_opens_on_a_list_is_answered_by_the_whole_list(default_service):
    answer = default_service.ask("Comment préparer un atelier de co-conception ?").answer
    assert "post-it" in answer.text and "formulaires de consentement" in answer.text  # its first and last items


def test_a_how_question_is_not_the_faq_question_that_asks_why(default_service):
    # the FAQ asks « Pourquoi mesurer l'impact d'un projet d'innovation publique ? »: the same words, another question
    answer = default_service.ask("Comment mesurer l'impact d'un projet d'innovation ?").answer
    assert answer.method != "faq" and "guide_steps" in answer.signals
    assert "1. Construire la chaîne logique du projet" in answer.text


def test_a_question_that_does_not_ask_how_keeps_the_reader_s_answer(default_service):
    answer = default_service.ask("Qu'est-ce qu'un laboratoire d'innovation publique ?").answer
    assert answer.method == "faq" and "guide_steps" not in answer.signals


@pytest.mark.parametrize(("question", "terms", "action"), [
    ("Comment lancer une expérimentation ?", {"lanc"}, {"lanc"}),
    ("Comment faire pour organiser un événement ?", {"fair", "organis"}, {"organis"}),
    ("Comment mettre en place un laboratoire ?", {"mettr", "plac"}, {"mettr", "plac"}),
    ("Quelles sont les étapes d'un atelier ?", {"etap"}, set()),
    ("Comment faire un test utilisateur ?", {"fair"}, set()),  # the test is the subject, not the action
])
def test_a_procedure_is_asked_by_how_to_do_or_by_its_steps(question, terms, action):
    procedure = procedure_of(question)
    assert procedure is not None and procedure.terms == terms and procedure.action == action


@pytest.mark.parametrize("question", ["Comment notre lab peut-il se financer ?",
                                      "Comment le directeur du design mesure-t-il l'impact ?",
                                      "Pourquoi lancer une expérimentation ?"])
def test_a_question_without_an_action_to_do_asks_no_procedure(question):
    assert procedure_of(question) is None



def test_a_guide_whose_headings_name_topics_rather_than_actions_is_no_procedure(default_service):
    # « Leadership et conduite du changement… »: « Le rôle du manager… », not steps to take
    answer = default_service.ask("Quelles sont les étapes pour conduire le changement ?").answer
    assert "guide_steps" not in answer.signals


@pytest.mark.parametrize(("heading", "says_what_to_do"), [
    ("Définir l'objectif de l'atelier", True), ("Répondre aux questions", True), ("Se former", True),
    ("Recueillir l'avis des usagers", True), ("Identifier les besoins", True), ("Publier des données", True),
    ("Atelier de test", False), ("Structure des données à publier", False), ("Glossaire", False),
    ("Après l'atelier", False), ("Avantages", False),
])
def test_a_heading_says_what_to_do_when_it_opens_on_an_infinitive(heading, says_what_to_do):
    assert bool(INFINITIVE.match(heading)) is says_what_to_do
