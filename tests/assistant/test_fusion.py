"""Fusion of the dense and lexical lists: each method's behaviour at the edges and where the lists disagree."""

from __future__ import annotations

import math

import pytest

from assistant.fusion import FusionConfig, fuse

METHODS = ("rrf", "weighted", "zscore", "rank_score")
DENSE = [(1, 0.91), (2, 0.90), (3, 0.89), (4, 0.70)]


@pytest.mark.parametrize("method", METHODS)
def test_an_empty_list_leaves_the_other_in_its_order(method):
    config = FusionConfig(method=method)
    assert [key for key, _ in fuse([DENSE, []], config)] == [1, 2, 3, 4]
    assert [key for key, _ in fuse([[], DENSE], config)] == [1, 2, 3, 4]
    assert fuse([[], []], config) == []


@pytest.mark.parametrize("method", METHODS)
def test_equal_scores_give_finite_scores_and_keep_every_candidate(method):
    flat = [(key, 0.5) for key in (1, 2, 3)]
    fused = fuse([flat, [(3, 7.0), (4, 7.0)]], FusionConfig(method=method))
    assert {key for key, _ in fused} == {1, 2, 3, 4} and all(math.isfinite(score) for _, score in fused)
    assert fused[0][0] == 3  # in both lists


def test_reciprocal_rank_fusion_rewards_agreement():
    lexical = [(3, 12.0), (1, 9.0), (5, 1.0)]
    ranking = [key for key, _ in fuse([DENSE, lexical], FusionConfig(method="rrf"))]
    assert ranking[0] == 1 and set(ranking) == {1, 2, 3, 4, 5}


def test_weighted_fusion_normalises_each_list():
    dense = [(1, 0.90), (2, 0.85), (3, 0.10)]  # raw cosines: 2 is nearly as good as 1
    lexical = [(2, 30.0), (1, 1.0)]  # raw BM25: 2 far ahead
    assert fuse([dense, lexical], FusionConfig(method="weighted", dense_weight=0.5))[0][0] == 2
    assert fuse([dense, lexical], FusionConfig(method="weighted", dense_weight=1.0))[0][0] == 1


def test_each_method_weighs_the_lists_as_it_was_calibrated_unless_told():
    assert FusionConfig().dense_share == 0.6  # z-score, calibrated at 0.6 in benchmarks/fusion.py
    assert FusionConfig(method="rrf").dense_share == 0.5  # RRF and the others: equal weights
    assert FusionConfig(method="rank_score").dense_share == 0.5
    assert FusionConfig(method="rrf", dense_weight=0.7).dense_share == 0.7


def test_settings_leave_the_weight_to_the_method(monkeypatch):
    from assistant.settings import Settings

    monkeypatch.setenv("ECLAIREUR_FUSION", "rrf")
    assert Settings(_env_file=None).retrieval_config().fusion.dense_share == 0.5
    monkeypatch.setenv("ECLAIREUR_DENSE_WEIGHT", "0.3")
    assert Settings(_env_file=None).retrieval_config().fusion.dense_share == 0.3


def test_a_rare_term_s_lone_lexical_match_stands_out_against_the_passages_left_out():
    dense = [(key, 0.85 - key / 1000) for key in range(100)]  # a flat run of cosines: no passage stands out
    lexical = [(500, 7.5)]  # the only passage with the query's rare term
    fused = fuse([dense, lexical], FusionConfig(), depth=100, absent=(None, 0.0))
    assert fused[0][0] == 500
    # measured against itself alone, the lone match looked like an average candidate and sank under the dense list
    assert fuse([dense, lexical], FusionConfig())[0][0] != 500


def test_a_full_list_is_normalised_the_same_with_or_without_its_depth():
    lexical = [(key, 20.0 - key) for key in range(10)]
    assert fuse([DENSE, lexical], FusionConfig(), depth=10, absent=(None, 0.0)) == fuse([DENSE, lexical], FusionConfig())
