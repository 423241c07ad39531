"""Metrics for ``eclaireur eval``: retrieval at document level (nDCG@10, Recall@5/10, MRR@10, latency) and answers
judged fact by fact (correct, wrong, abstained; confidence separation)."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    relevant: tuple[str, ...]  # document ids; empty when the corpus has no answer


def read_records(path: Path, parse: Callable[[dict], object]) -> list:
    """``parse`` applied to each JSON line of ``path``; a bad line is refused with its number."""
    records = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(parse(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}, ligne {number} : question invalide ({error})") from None
    return records


def load_questions(path: Path) -> list[EvalQuestion]:
    """Questions as JSON lines: ``{"question", "relevant": [...]}`` or ``{"question", "positive_ids": [...]}``."""
    def parse(record: dict) -> EvalQuestion:
        relevant = record.get("relevant", record.get("positive_ids"))
        if relevant is None:
            raise KeyError("relevant")
        return EvalQuestion(str(record["question"]), tuple(map(str, relevant)))
    return read_records(path, parse)


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


@dataclass(frozen=True)
class FactQuestion:
    """A question with the facts a correct answer must state: one alternative of each (empty: no answer exists)."""

    question: str
    relevant: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AskOutcome:
    """What the fact-level evaluation needs from one ``/ask``."""

    status: str
    text: str
    confidence: float
    milliseconds: float
    extracts: tuple[str, ...] = ()  # with an abstention, the plain text of the close documents' extracts shown


CITATION_MARKER = re.compile(r"\s*\[\d+\]")
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "«": '"', "»": '"', "“": '"', "”": '"'})


def load_fact_questions(path: Path) -> list[FactQuestion]:
    """Questions as JSON lines ``{"question", "relevant", "facts": [[alternative, ...], ...]}``."""
    def parse(record: dict) -> FactQuestion:
        facts = tuple(tuple(str(a) for a in alternatives) for alternatives in record["facts"])
        if any(not alternatives for alternatives in facts):
            raise ValueError("un fait sans aucune formulation")
        return FactQuestion(str(record["question"]), tuple(map(str, record.get("relevant", []))), facts)
    return read_records(path, parse)


def fold(text: str) -> str:
    """Text compared without case, accents, typographic apostrophes and quotes, or runs of white space."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower().translate(APOSTROPHES)
    return re.sub(r"\s+", " ", plain).strip()


def answer_words(text: str) -> int:
    """Length of an answer in words, citation markers excluded."""
    return len(CITATION_MARKER.sub("", text).split())


def states_facts(text: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    """True when ``text`` states every fact (one of its alternatives, after folding)."""
    folded = fold(CITATION_MARKER.sub("", text))
    return all(any(fold(alternative) in folded for alternative in alternatives) for alternatives in facts)


def auroc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half); 0.5 when undefined."""
    if not positives or not negatives:
        return 0.5
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def risk_coverage(confidences: list[float], correct: list[bool], steps: int = 10) -> list[dict]:
    """Answering only above each threshold: the share of questions answered and the share wrong among them."""
    order = np.argsort(-np.asarray(confidences), kind="stable")
    table = []
    for answered in sorted({max(1, round(len(order) * step / steps)) for step in range(1, steps + 1)}):
        kept = order[:answered]
        table.append({"coverage": round(answered / len(order), 4),
                      "risk": round(1 - float(np.mean([correct[i] for i in kept])), 4),
                      "threshold": round(float(confidences[kept[-1]]), 4)})
    return table


def evaluate_facts(questions: list[FactQuestion], ask: Callable[[str], AskOutcome]) -> dict:
    """Judge answers by what they state: correct (every fact), wrong (answered without), abstained (``no_answer``).

    Confidence is judged by its separation of correct from wrong answers (AUROC) and by the risk-coverage
    table over answered, answerable questions. An abstention still helps when one of the extracts it shows states
    every fact (``abstained_with_extract``, a share of the answerable questions, like ``abstained``).
    """
    counts = {"correct": 0, "wrong": 0, "abstained": 0, "abstained_with_extract": 0}
    unanswerable_answered = 0
    words, latencies, confidences, correct_flags = [], [], [], []
    for item in questions:
        outcome = ask(item.question)
        latencies.append(outcome.milliseconds)
        answered = outcome.status == "answered"
        if answered:
            words.append(answer_words(outcome.text))
        if not item.facts:
            unanswerable_answered += answered
            continue
        if not answered:
            counts["abstained"] += 1
            counts["abstained_with_extract"] += any(states_facts(extract, item.facts) for extract in outcome.extracts)
            continue
        right = states_facts(outcome.text, item.facts)
        counts["correct" if right else "wrong"] += 1
        confidences.append(outcome.confidence)
        correct_flags.append(right)
    answerable = sum(1 for q in questions if q.facts)
    unanswerable = len(questions) - answerable
    share = {name: round(count / answerable, 4) if answerable else 0.0 for name, count in counts.items()}
    return {
        **share,
        "unanswerable_answered": round(unanswerable_answered / unanswerable, 4) if unanswerable else 0.0,
        "median_words": float(np.median(words)) if words else 0.0,
        "p90_words": float(np.percentile(words, 90)) if words else 0.0,
        "auroc": round(auroc([c for c, ok in zip(confidences, correct_flags) if ok],
                             [c for c, ok in zip(confidences, correct_flags) if not ok]), 4),
        "risk_coverage": risk_coverage(confidences, correct_flags) if confidences else [],
        "answerable": answerable,
        "unanswerable": unanswerable,
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
    }
