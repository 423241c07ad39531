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


def group_similar(questions: list[GapQuestion], encode: Callable[[list[str]], np.ndarray], threshold: float = 0.88) -> list[Gap]:
    """Greedy grouping of questions whose embeddings are close; largest groups first. Each distinct wording is
    encoded once, so repeated questions cost nothing more."""
    if not questions:
        return []
    by_wording: dict[str, list[int]] = {}
    for index, q in enumerate(questions):
        by_wording.setdefault(wording_key(q.question), []).append(index)
    keys = list(by_wording)
    vectors = encode([questions[by_wording[key][0]].question.strip() for key in keys])
    groups: list[list[int]] = []
    centroids = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    for position, vector in enumerate(vectors):
        if len(groups):
            similarities = centroids @ vector / np.linalg.norm(centroids, axis=1)
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                groups[best].append(position)
                centroids[best] += vector * len(by_wording[keys[position]])
                continue
        groups.append([position])
        centroids = np.vstack([centroids, vector * len(by_wording[keys[position]])])
    gaps = [_gap([questions[i] for position in members for i in by_wording[keys[position]]], [keys[p] for p in members])
            for members in groups]
    return sorted(gaps, key=lambda g: (g.count, g.last_asked), reverse=True)


def _gap(members: list[GapQuestion], wordings: list[str]) -> Gap:
    texts = Counter(q.question.strip() for q in members)
    documents = Counter((d["document_id"], d.get("title", "")) for q in members for d in q.sources)
    dates = [q.created_at for q in members]
    return Gap(
        question=texts.most_common(1)[0][0], count=len(members), last_asked=max(dates),
        reasons=dict(Counter(q.reason for q in members)), examples=[w for w, _ in texts.most_common(5)],
        first_asked=min(dates), wordings=wordings,
        documents=[{"document_id": d, "title": t} for (d, t), _ in documents.most_common(SHOWN_DOCUMENTS)],
        answers=[a for a, _ in Counter(q.answer for q in members if q.answer).most_common(SHOWN_ANSWERS)],
    )
