"""Retrieval metrics at document level for ``eclaireur eval``: nDCG@10, Recall@5/10, MRR@10, latency."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    relevant: tuple[str, ...]  # document ids; empty when the corpus has no answer


def load_questions(path: Path) -> list[EvalQuestion]:
    """Questions as JSON lines: ``{"question", "relevant": [...]}`` or ``{"question", "positive_ids": [...]}``."""
    questions = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                relevant = record.get("relevant", record.get("positive_ids"))
                if relevant is None:
                    raise KeyError("relevant")
                questions.append(EvalQuestion(str(record["question"]), tuple(map(str, relevant))))
            except (ValueError, KeyError) as error:
                raise ValueError(f"{path}, ligne {number} : question invalide ({error})") from None
    return questions


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    gains = sum(1 / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return gains / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    return next((1 / (rank + 1) for rank, doc in enumerate(ranked[:k]) if doc in relevant), 0.0)


def evaluate(questions: list[EvalQuestion], search: Callable[[str], tuple[list[str], float]]) -> dict:
    """Run ``search`` (question -> ranked document ids, milliseconds) on every question; average the metrics.

    Unanswerable questions (no relevant document) are counted apart and left out of the averages.
    """
    scores: dict[str, list[float]] = {"ndcg@10": [], "recall@5": [], "recall@10": [], "mrr@10": []}
    latencies = []
    for item in questions:
        ranked, milliseconds = search(item.question)
        latencies.append(milliseconds)
        if not item.relevant:
            continue
        relevant = set(item.relevant)
        scores["ndcg@10"].append(ndcg_at(ranked, relevant))
        scores["recall@5"].append(recall_at(ranked, relevant, 5))
        scores["recall@10"].append(recall_at(ranked, relevant, 10))
        scores["mrr@10"].append(mrr_at(ranked, relevant))
    result = {name: round(float(np.mean(values)), 4) if values else 0.0 for name, values in scores.items()}
    result["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0
    result["latency_p95_ms"] = round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0
    result["questions"] = len(questions)
    result["unanswerable"] = sum(1 for q in questions if not q.relevant)
    return result


def evaluate_answers(questions: list[EvalQuestion], ask: Callable[[str], tuple[str, list[str], float]]) -> dict:
    """Run ``ask`` (question -> status, cited document ids, milliseconds) and measure honesty and grounding.

    An answerable question counts as well answered when the status is ``answered`` and at least one
    citation comes from a relevant document; an unanswerable one is wrongly answered when ``answered``.
    """
    answerable = [q for q in questions if q.relevant]
    unanswerable = [q for q in questions if not q.relevant]
    grounded = answered = wrongly_answered = 0
    latencies = []
    for item in questions:
        status, cited, milliseconds = ask(item.question)
        latencies.append(milliseconds)
        if not item.relevant:
            wrongly_answered += status == "answered"
            continue
        answered += status == "answered"
        grounded += status == "answered" and bool(set(cited) & set(item.relevant))
    return {
        "answerable": len(answerable),
        "answered_with_relevant_citation": round(grounded / len(answerable), 4) if answerable else 0.0,
        "answerable_answered": round(answered / len(answerable), 4) if answerable else 0.0,
        "unanswerable": len(unanswerable),
        "unanswerable_answered": round(wrongly_answered / len(unanswerable), 4) if unanswerable else 0.0,
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
    }
