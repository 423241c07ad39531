"""What kind of answer a question asks for: what its interrogative word asks, whether « oui » can answer it, and
whether it asks for a quantity that the answer must state."""

from __future__ import annotations

import pytest

from assistant.question_kind import asks_for, counted, misses_an_ordinal, states_no_quantity_asked, yes_or_no_to_an_open_question


def test_what_a_question_asks_for_is_told_by_its_interrogative_word():
    assert asks_for("Comment mesurer l'impact ?") == "how" != asks_for("Pourquoi mesurer l'impact ?") == "why"
    assert asks_for("C'est quoi un lab ?") == asks_for("Qu'est-ce qu'un lab ?") == asks_for("Quel est le rôle du lab ?")
    assert asks_for("Les retours des agents comptent-ils ?") is None


def test_a_bare_yes_or_no_answers_only_a_question_that_asks_yes_or_no():
    quote = "Oui. Le règlement général sur la protection des données s'applique à toute expérimentation."
    for question in ("Comment lancer une expérimentation ?", "Quel texte s'applique ?", "Qu'est-ce qui s'applique ?",
                     "Et pourquoi le RGPD s'applique-t-il ?"):
        assert yes_or_no_to_an_open_question(question, quote), question
    for question in ("Le RGPD s'applique-t-il à une expérimentation ?", "Est-ce que le RGPD s'applique ?",
                     "Les agents qui expérimentent sont-ils concernés ?"):
        assert not yes_or_no_to_an_open_question(question, quote), question
    assert not yes_or_no_to_an_open_question("Comment lancer une expérimentation ?", "Nonobstant ce qui précède, …")


@pytest.mark.parametrize(("question", "answer"), [
    ("Combien de temps prend un audit ?", "Un site simple demandera quelques jours de travail."),
    ("Combien de temps vivent les cookies ?", "Comptez 13 mois au plus."),
    ("Combien de participants inviter ?", "Un groupe de huit à quinze personnes."),
    ("Quelle part de femmes parmi les EIG ?", "18 % des EIG sont des femmes."),
    ("Quelle durée consacrer au réseau ?", "à raison d'un jour par semaine"),
    ("Quel budget prévoir pour un laboratoire ?", "Le budget dépend fortement de son ambition."),
])
def test_an_answer_to_a_question_asking_for_a_quantity_states_one(question, answer):
    assert not states_no_quantity_asked(question, answer)


def test_an_answer_that_states_no_quantity_does_not_answer_how_many():
    assert states_no_quantity_asked("Combien de temps prend un audit ?", "Commencez par un diagnostic flash.")
    assert states_no_quantity_asked("Quel est le délai de réponse ?", "La CNIL répond par courrier.")
    # a question that asks how long is not answered by a date or a head count
    assert states_no_quantity_asked("Quelle est la durée d'une expérimentation ?", "Depuis la révision du 28 mars 2003.")
    assert states_no_quantity_asked("Combien de temps dure un atelier ?", "Un groupe de huit à quinze personnes.")
    assert not states_no_quantity_asked("Combien de temps dure un atelier ?", "Comptez deux à trois heures.")
    assert not states_no_quantity_asked("Quel délai de réponse ?", "La réponse vient sous un mois.")
    # « dépendance » and « variés » do not say that the quantity depends or varies
    assert states_no_quantity_asked("Quel budget prévoir ?", "La dépendance à une personne : le lab disparaît.")
    assert states_no_quantity_asked("Combien d'usagers inviter ?", "Des usagers aux profils variés.")
    # the question's own number is not an answer: « pendant les 10 mois » asks, it does not tell
    assert states_no_quantity_asked("Combien de jours de congés pendant les 10 mois ?", "L'implication au-delà des 10 mois.")
    assert not states_no_quantity_asked("Comment lancer un audit ?", "Commencez par un diagnostic flash.")  # not asked


@pytest.mark.parametrize(("question", "what"), [
    ("Combien de jours de congés a-t-on quand on est EIG ?", "jours de congés"),
    ("Combien d'EIG par défi ?", "EIG"),
    ("combien de participants faut-il ?", "participants"),
    ("Et ça prend combien de temps ?", None),  # a duration: any quantity of time answers it
    ("Combien coûte un laboratoire ?", None),
])
def test_what_a_question_asking_how_many_counts(question, what):
    assert counted(question) == what


def test_a_numbered_thing_the_question_names_must_be_the_one_the_answer_speaks_of():
    assert misses_an_ordinal("Quand ouvre la 7e promotion EIG ?", "Répondez à l'appel pour faire partie de la promotion 4.")
    assert misses_an_ordinal("Quand ouvre la 7e promotion EIG ?", "Jusqu'au 7 juin, candidatez à la promotion 4.")
    assert not misses_an_ordinal("Quand ouvre la 7e promotion EIG ?", "La promotion 7 ouvre en juin.")
    assert not misses_an_ordinal("Que dit la 10ème édition ?", "La 10e édition a rassemblé 350 événements.")
    assert misses_an_ordinal("Que dit la 10ème édition ?", "La 110e édition.")  # another number
    assert not misses_an_ordinal("Qu'est-ce qui change au 1er janvier ?", "Rien.")  # a date, not a numbered thing
