"""Fusion of the dense and lexical candidate lists into one ranking (calibrated in ``benchmarks/fusion.py``).

``zscore``, the default, divides each list's scores, measured from its last candidate, by their spread, and weighs
the dense list 0.6: a list far more confident in its first candidates than in the rest keeps that lead (RRF throws
it away), and scores on different scales (cosines, BM25) become comparable. On both dev sets, with the installed
model and with the one adapted to the corpus, it is above the better of its two parts (by 0.008 to 0.045), which
differs from set to set. A lexical list shorter than the candidates asked for (a rare word's few passages) is
measured against the passages it leaves out, at BM25 0: its matches stand out (``benchmarks/rare_words.py``).
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


def fuse(lists: list[Ranked], config: FusionConfig = FusionConfig(), depth: int = 0,
         absent: tuple[float | None, ...] = ()) -> Ranked:
    """Merge ranked ``(id, score)`` lists (dense first) into one, best first. A list that returns fewer than ``depth``
    candidates has nothing more to give: when ``absent`` gives the score of a candidate it leaves out (0 for BM25, a
    passage with none of the query's terms), its scores are normalised as if the rest of the ``depth`` were there at
    that score. A rare term found in two passages then makes them stand out, as it should, instead of their scores
    being spread over two candidates as if each were an average one."""
    weights = [config.dense_share, 1 - config.dense_share] if len(lists) == 2 else [1 / len(lists)] * len(lists)
    fused: dict[int, float] = defaultdict(float)
    for number, (ranked, weight) in enumerate(zip(lists, weights)):
        if not ranked:
            continue
        floor = absent[number] if number < len(absent) else None
        missing = max(depth - len(ranked), 0) if floor is not None else 0
        for key, value in zip((key for key, _ in ranked), _contributions(ranked, config, [floor] * missing)):
            fused[key] += weight * value
    return sorted(fused.items(), key=lambda item: -item[1])


def _contributions(ranked: Ranked, config: FusionConfig, left_out: list[float] = ()) -> np.ndarray:
    """Each candidate's share of its list, on a scale comparable across lists, measured against the ``left_out``
    scores too."""
    scores = np.array([score for _, score in ranked], dtype=np.float64)
    ranks = np.arange(1, len(ranked) + 1)
    reciprocal = (config.rrf_k + 1) / (config.rrf_k + ranks)  # 1 for the first, towards 0
    if config.method == "rrf":
        return reciprocal
    every = np.concatenate([scores, np.asarray(left_out, dtype=np.float64)])
    if config.method == "zscore":
        spread = every.std()  # measured from the list's last candidate, so an absent one counts as the worst
        return (scores - every.min()) / spread if spread > 0 else np.ones_like(scores)
    span = every.max() - every.min()
    normalised = (scores - every.min()) / span if span > 0 else np.ones_like(scores)
    if config.method == "weighted":
        return normalised
    return config.rank_share * reciprocal + (1 - config.rank_share) * normalised
