"""Answers judged fact by fact: what ``eclaireur eval --ask --facts`` counts, and how it reads a fact file
(the command itself is run in test_cli.py)."""

from __future__ import annotations

import json

import pytest

from assistant.evaluation import (
    AskOutcome,
    FactQuestion,
    answer_words,
    auroc,
    evaluate_facts,
    load_fact_questions,
    risk_coverage,
    states_facts,
)


def test_a_fact_is_stated_whatever_the_case_accents_apostrophes_quotes_and_spacing():
    facts = (("l'agrément du SIG",), ("“achevée”",))
    assert states_facts("Il faut  L’AGREMENT du sig [1], la version «achevee» [2].", facts)
    assert not states_facts("Il faut l'agrément [1].", facts)


def test_one_alternative_of_each_fact_is_enough_and_citation_markers_do_not_break_a_fact():
    facts = (("treize mois", "13 mois"), ("vingt-cinq mois",))
    assert states_facts("Les cookies vivent 13 mois et les données vingt-cinq [1] mois.", facts)
    assert not states_facts("Les cookies vivent 13 mois.", facts)


def test_answer_length_leaves_citation_markers_out():
    assert answer_words("Une réponse en cinq mots [1] [2].") == 5


def test_auroc_is_one_when_every_correct_answer_is_more_confident_and_a_half_when_undefined():
    assert auroc([0.9, 0.8], [0.2, 0.1]) == 1.0
    assert auroc([0.5], [0.5]) == 0.5
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([], [0.3]) == 0.5


def test_risk_coverage_answers_the_most_confident_first():
    table = risk_coverage([0.9, 0.8, 0.3, 0.2], [True, True, False, False], steps=4)
    assert [row["coverage"] for row in table] == [0.25, 0.5, 0.75, 1.0]
    assert [row["risk"] for row in table] == [0.0, 0.0, 0.3333, 0.5]
    assert table[1]["threshold"] == 0.8


def test_evaluation_counts_correct_wrong_abstained_and_unanswerable_answered():
    questions = [
        FactQuestion("Combien de temps durent les cookies ?", ("a.md",), (("treize mois",),)),
        FactQuestion("Qui valide un nouveau site ?", ("b.md",), (("SIG",),)),
        FactQuestion("Quel ratio de contraste ?", ("c.md",), (("4,5:1",),)),
        FactQuestion("Quelle recette de tarte ?", (), ()),
    ]
    outcomes = {
        "Combien de temps durent les cookies ?": AskOutcome("answered", "Treize mois au plus [1].", 0.9, 10.0),
        "Qui valide un nouveau site ?": AskOutcome("answered", "Le directeur de la communication décide [1].", 0.4, 12.0),
        "Quel ratio de contraste ?": AskOutcome("no_answer", "Je n'ai pas trouvé de réponse fiable.", 0.2, 8.0,
                                                ("Les couleurs du texte…", "…un ratio de contraste d'au moins 4,5:1 pour le texte…")),
        "Quelle recette de tarte ?": AskOutcome("answered", "Une pâte brisée et des pommes [1].", 0.3, 9.0),
    }
    result = evaluate_facts(questions, outcomes.__getitem__)
    assert (result["correct"], result["wrong"], result["abstained"]) == (0.3333, 0.3333, 0.3333)
    assert result["abstained_with_extract"] == 0.3333  # the abstention still showed the fact, in a close document's extract
    assert result["unanswerable_answered"] == 1.0
    assert result["auroc"] == 1.0
    assert result["median_words"] == 6.0
    assert result["answerable"] == 3 and result["unanswerable"] == 1


def test_a_fact_file_with_an_empty_fact_is_refused_with_its_line(tmp_path):
    path = tmp_path / "facts.jsonl"
    path.write_text(json.dumps({"question": "q", "relevant": ["a.md"], "facts": [["x"], []]}), encoding="utf-8")
    with pytest.raises(ValueError, match="ligne 1"):
        load_fact_questions(path)
