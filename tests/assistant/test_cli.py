"""The ``eclaireur`` command as a user runs it: a real process, settings from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import log_answer, write_corpus

QUESTIONS = [
    {"question": "Qu'est-ce que le droit à l'erreur ?", "relevant": ["faq/faq-juridique.md"]},
    {"question": "Où trouve-t-on des laboratoires d'innovation ?", "relevant": ["guides/laboratoires.md"]},
    {"question": "Quelle est la recette de la tarte tatin ?", "relevant": []},
]


def eclaireur(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=os.environ | env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture()
def cli_env(tmp_path, model_path):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "cassé.md").write_bytes(b"")
    return {"ECLAIREUR_CORPUS_DIR": str(corpus), "ECLAIREUR_INDEX_DIR": str(tmp_path / "index"),
            "ECLAIREUR_RECORDS_PATH": str(tmp_path / "records.sqlite"),
            "ECLAIREUR_CACHE_DIR": str(tmp_path / "cache"), "ECLAIREUR_MODEL_PATH": str(model_path), "HF_HUB_OFFLINE": "1"}


def test_index_then_search_print_a_report_and_a_ranked_table(cli_env):
    indexed = eclaireur("index", env=cli_env)
    assert indexed.returncode == 0, indexed.stderr
    assert "3 documents" in indexed.stdout and "cassé.md : fichier vide" in indexed.stdout
    again = eclaireur("index", env=cli_env)
    assert "Index à jour" in again.stdout

    found = eclaireur("search", "usager de bonne foi qui se trompe", "-k", "2", env=cli_env)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0].startswith("« usager de bonne foi qui se trompe » — mode hybrid")
    assert " 1. [faq] FAQ juridique" in found.stdout and "faq/faq-juridique.md" in found.stdout


def test_eval_json_prints_one_object_with_every_metric_and_reuses_its_index(cli_env, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS), encoding="utf-8")
    first = eclaireur("eval", "--questions", str(questions), "--json", env=cli_env)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert set(result) == {"dense", "lexical", "hybrid"}
    for metrics in result.values():
        assert set(metrics) == {"ndcg@10", "recall@5", "recall@10", "mrr@10", "latency_p50_ms", "latency_p95_ms",
                                "questions", "unanswerable"}
        assert metrics["questions"] == 3 and metrics["unanswerable"] == 1
    assert result["hybrid"]["recall@10"] == 1.0 and result["hybrid"]["mrr@10"] == 1.0

    second = eclaireur("eval", "--questions", str(questions), "--mode", "hybrid", env=cli_env)
    assert "réutilisé" in second.stderr
    assert "hybrid" in second.stdout and "nDCG@10" in second.stdout


def test_eval_accepts_passages_and_positive_ids(cli_env, tmp_path):
    passages = tmp_path / "passages.jsonl"
    passages.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in [
        {"id": "p1", "title": "", "text": "La médiation familiale aide les parents séparés à trouver un accord."},
        {"id": "p2", "title": "", "text": "Un hôtel doit remettre une facture à son client pour toute prestation."},
    ]), encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"question": "Qu'est-ce que la médiation familiale ?", "positive_ids": ["p1"]}), encoding="utf-8")
    result = eclaireur("eval", "--passages", str(passages), "--questions", str(questions), "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hybrid"]["mrr@10"] == 1.0


def test_eval_ask_facts_prints_the_fact_level_figures_as_one_json_object(cli_env, tmp_path):
    facts = tmp_path / "facts.jsonl"
    facts.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"question": "Qu'est-ce que le droit à l'erreur ?", "relevant": ["faq/faq-juridique.md"], "facts": [["bonne foi"]]},
        {"question": "Quelle est la recette de la tarte tatin ?", "relevant": [], "facts": []},
    ]), encoding="utf-8")
    result = eclaireur("eval", "--ask", "--facts", str(facts), "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert {"correct", "wrong", "abstained", "unanswerable_answered", "median_words", "p90_words", "auroc"} <= set(figures)
    assert figures["correct"] + figures["wrong"] + figures["abstained"] == pytest.approx(1.0)
    assert figures["correct"] == 1.0 and figures["unanswerable_answered"] == 0.0

    table = eclaireur("eval", "--ask", "--facts", str(facts), env=cli_env)
    assert "justes (tous les faits énoncés)" in table.stdout and "AUROC" in table.stdout


def test_bad_arguments_get_a_clear_message(cli_env):
    result = eclaireur("search", "laboratoire", "-k", "80", env=cli_env)
    assert result.returncode == 1 and "-k doit être compris entre 1 et 50" in result.stderr


def test_model_adapt_names_a_missing_source_before_any_training(cli_env, tmp_path):
    result = eclaireur("model", "adapt", "--passages", str(tmp_path / "absent.jsonl"), env=cli_env)
    assert result.returncode == 1 and f"Fichier de passages introuvable : {tmp_path / 'absent.jsonl'}" in result.stderr
    result = eclaireur("model", "adapt", "--corpus", str(tmp_path / "absent"), env=cli_env)
    assert result.returncode == 1 and "Corpus introuvable" in result.stderr
    result = eclaireur("model", "adapt", "--corpus", str(tmp_path), "--fine-tuned-share", "0", env=cli_env)
    assert result.returncode == 1 and "--fine-tuned-share doit être compris entre 0 (exclu) et 1." in result.stderr


def test_gaps_lists_unanswered_questions_grouped_with_french_dates(cli_env):
    from pathlib import Path

    from assistant.dates import MONTHS
    from assistant.storage import Records

    records = Records(Path(cli_env["ECLAIREUR_RECORDS_PATH"]))
    for question in ("Comment obtenir un badge d'accès au bâtiment ?", "Comment obtenir un badge d'accès au bâtiment ?",
                     "Quel est le menu de la cantine ?"):
        log_answer(records, question, "no_answer", 0.1, "telegram", 50.0)
    answered = log_answer(records, "Qui organise le Mois ?", "answered", 0.9, "api", 40.0)
    records.record_feedback(answered, useful=False, comment="incomplet")

    result = eclaireur("gaps", env=cli_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("3 sujet(s) à traiter (4 questions")
    assert "2 × « Comment obtenir un badge d'accès au bâtiment ? »" in result.stdout
    assert "jugée(s) inutile(s)" in result.stdout
    assert any(month in result.stdout for month in MONTHS)
