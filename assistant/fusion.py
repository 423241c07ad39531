"""Fusion of the dense and lexical candidate lists into one ranking (calibrated in ``benchmarks/fusion.py``).

``zscore``, the default, divides each list's scores, measured from its last candidate, by their spread, and weighs
the dense list 0.6: a list far more confident in its first candidates than in the rest keeps that lead (RRF throws
it away), and scores on different scales (cosines, BM25) become comparable. On both dev sets, with the installed
model and with the one adapted to the corpus, it is above the better of its two parts (by 0.008 to 0.045), which
differs from set to set.
``rank_score`` (half reciprocal rank, half min-max score), ``rrf`` and ``weighted`` (min-max) remain options.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np

FusionMethod = Literal["rrf", "weighted", "zscore", "rank_score"]
Ranked = list[tuple[int, float]]


# The dense weight each method was calibrated with (benchmarks/fusion.py): z-score at 0.6, the others at equal weights.
CALIBRATED_DENSE_WEIGHT: dict[FusionMethod, float] = {"zscore": 0.6, "rank_score": 0.5, "rrf": 0.5, "weighted": 0.5}


@dataclass(frozen=True)
class FusionConfig:
    method: FusionMethod = "zscore"
    rrf_k: int = 60
    dense_weight: float | None = None  # None: the method's calibrated weight
    rank_share: float = 0.5  # rank_score: share of the rank term against the normalised score

    @property
    def dense_share(self) -> float:
        """The dense list's weight against the lexical list's (their sum is 1)."""
        return CALIBRATED_DENSE_WEIGHT[self.method] if self.dense_weight is None else self.dense_weight


def fuse(lists: list[Ranked], config: FusionConfig = FusionConfig()) -> Ranked:
    """Merge ranked ``(id, score)`` lists (dense first) into one, best first."""
    weights = [config.dense_share, 1 - config.dense_share] if len(lists) == 2 else [1 / len(lists)] * len(lists)
    fused: dict[int, float] = defaultdict(float)
    for ranked, weight in zip(lists, weights):
        if not ranked:
            continue
        for key, value in zip((key for key, _ in ranked), _contributions(ranked, config)):
            fused[key] += weight * value
    return sorted(fused.items(), key=lambda item: -item[1])


def _contributions(ranked: Ranked, config: FusionConfig) -> np.ndarray:
    """Each candidate's share of its list, on a scale comparable across lists."""
    scores = np.array([score for _, score in ranked], dtype=np.float64)
    ranks = np.arange(1, len(ranked) + 1)
    reciprocal = (config.rrf_k + 1) / (config.rrf_k + ranks)  # 1 for the first, towards 0
    if config.method == "rrf":
        return reciprocal
    if config.method == "zscore":
        spread = scores.std()  # measured from the list's last candidate, so an absent one counts as the worst
        return (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores)
    span = scores.max() - scores.min()
    normalised = (scores - scores.min()) / span if span > 0 else np.ones_like(scores)
    if config.method == "weighted":
        return normalised
    return config.rank_share * reciprocal + (1 - config.rank_share) * normalised
