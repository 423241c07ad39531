"""Content gaps: the questions the corpus could not answer or answered badly, grouped by meaning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SHOWN_DOCUMENTS = 3
SHOWN_ANSWERS = 2


@dataclass(frozen=True)
class GapQuestion:
    question: str
    reason: str  # "no_answer" or "not_useful"
    created_at: str
    answer: str | None = None  # the answer judged not useful
    sources: tuple[dict, ...] = ()  # {document_id, title}: cited, or the closest documents of a no_answer


@dataclass
class Gap:
    question: str  # the most frequent wording of the group
    count: int
    last_asked: str
    reasons: dict[str, int]
    examples: list[str]
    first_asked: str = ""
    wordings: list[str] = field(default_factory=list)  # every distinct wording, as ``wording_key`` writes it
    documents: list[dict] = field(default_factory=list)  # the documents most often cited or closest
    answers: list[str] = field(default_factory=list)  # answers given and judged not useful, most frequent first


def wording_key(question: str) -> str:
    """The form under which a wording is compared and reviewed: trimmed, single-spaced, lower case."""
    return " ".join(question.split()).lower()


@dataclass(frozen=True)
class GapWording:
    """The failures of one exact wording: how many, when, why; a few answers judged not useful and sources."""

    question: str
    count: int
    first_asked: str
    last_asked: str
    reasons: dict[str, int]
    answers: tuple[str, ...] = ()
    sources: tuple[dict, ...] = ()


def group_similar(questions: list[GapQuestion], encode: Callable[[list[str]], np.ndarray], threshold: float = 0.88) -> list[Gap]:
    """Greedy grouping of questions whose embeddings are close; largest groups first."""
    by_text: dict[str, list[GapQuestion]] = {}
    for q in questions:
        by_text.setdefault(q.question.strip(), []).append(q)
    wordings = [GapWording(text, len(qs), min(q.created_at for q in qs), max(q.created_at for q in qs),
                           dict(Counter(q.reason for q in qs)), tuple(q.answer for q in qs if q.answer),
                           tuple(d for q in qs for d in q.sources)) for text, qs in by_text.items()]
    return group_wordings(wordings, lambda keys, texts: encode(texts), threshold)


def group_wordings(wordings: list[GapWording], vectors: Callable[[list[str], list[str]], np.ndarray], threshold: float = 0.88,
                   most: int = 2000) -> list[Gap]:
    """Group the ``most`` most frequent wordings by meaning (greedy, centroids weighted by counts); largest groups
    first. ``vectors(keys, texts)`` gives one embedding per distinct wording (``wording_key``) and its text."""
    merged: dict[str, list[GapWording]] = {}
    for wording in wordings:
        merged.setdefault(wording_key(wording.question), []).append(wording)
    keys = sorted(merged, key=lambda key: -sum(w.count for w in merged[key]))[:most]
    if not keys:
        return []
    counts = np.array([sum(w.count for w in merged[key]) for key in keys], dtype=np.float32)
    embedded = np.asarray(vectors(keys, [max(merged[key], key=lambda w: w.count).question.strip() for key in keys]), dtype=np.float32)
    centroids = np.zeros_like(embedded)
    groups: list[list[int]] = []
    for position, vector in enumerate(embedded):
        if groups:
            live = centroids[:len(groups)]
            similarities = live @ vector / np.linalg.norm(live, axis=1)
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                groups[best].append(position)
                centroids[best] += vector * counts[position]
                continue
        centroids[len(groups)] = vector * counts[position]
        groups.append([position])
    gaps = [_gap([w for position in members for w in merged[keys[position]]], [keys[p] for p in members]) for members in groups]
    return sorted(gaps, key=lambda g: (g.count, g.last_asked), reverse=True)


def _gap(members: list[GapWording], keys: list[str]) -> Gap:
    texts = Counter()
    for w in members:
        texts[w.question.strip()] += w.count
    reasons = Counter()
    for w in members:
        reasons.update(w.reasons)
    documents = Counter((d["document_id"], d.get("title", "")) for w in members for d in w.sources)
    return Gap(
        question=texts.most_common(1)[0][0], count=sum(w.count for w in members), last_asked=max(w.last_asked for w in members),
        reasons=dict(reasons), examples=[t for t, _ in texts.most_common(5)], first_asked=min(w.first_asked for w in members),
        wordings=keys, documents=[{"document_id": d, "title": t} for (d, t), _ in documents.most_common(SHOWN_DOCUMENTS)],
        answers=[a for a, _ in Counter(a for w in members for a in w.answers).most_common(SHOWN_ANSWERS)],
    )
