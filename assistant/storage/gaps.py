"""Content gaps: the questions the corpus could not answer or answered badly, grouped by meaning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GapQuestion:
    question: str
    reason: str  # "no_answer" or "not_useful"
    created_at: str


@dataclass
class Gap:
    question: str  # the most frequent wording of the group
    count: int
    last_asked: str
    reasons: dict[str, int]
    examples: list[str]


def group_similar(questions: list[GapQuestion], encode: Callable[[list[str]], np.ndarray], threshold: float = 0.88) -> list[Gap]:
    """Greedy grouping of questions whose embeddings are close; largest groups first."""
    if not questions:
        return []
    vectors = encode([q.question for q in questions])
    groups: list[list[int]] = []
    centroids: list[np.ndarray] = []
    for index, vector in enumerate(vectors):
        similarities = [float(vector @ c) / float(np.linalg.norm(c)) for c in centroids]
        best = int(np.argmax(similarities)) if similarities else -1
        if best >= 0 and similarities[best] >= threshold:
            groups[best].append(index)
            centroids[best] = centroids[best] + vector
        else:
            groups.append([index])
            centroids.append(vector.copy())
    gaps = []
    for members in groups:
        wordings = Counter(questions[i].question.strip() for i in members)
        gaps.append(Gap(
            question=wordings.most_common(1)[0][0], count=len(members),
            last_asked=max(questions[i].created_at for i in members),
            reasons=dict(Counter(questions[i].reason for i in members)),
            examples=[w for w, _ in wordings.most_common(5)],
        ))
    return sorted(gaps, key=lambda g: (g.count, g.last_asked), reverse=True)
