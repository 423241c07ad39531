"""Fusion of the dense and lexical lists: each method's behaviour at the edges and where the lists disagree."""

from __future__ import annotations

import math

import pytest

from assistant.fusion import FusionConfig, fuse
from assistant.settings import Settings

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


# --------------------------------------------------------------------------- the fusion an adapted model recommends


def model_folder(path, adaptation: str | None):
    path.mkdir()
    if adaptation is not None:
        (path / "adaptation.json").write_text(adaptation, encoding="utf-8")
    return path


def test_an_adapted_model_brings_its_recommended_fusion(tmp_path, monkeypatch):
    monkeypatch.delenv("ECLAIREUR_FUSION", raising=False)
    monkeypatch.delenv("ECLAIREUR_DENSE_WEIGHT", raising=False)
    adapted = model_folder(tmp_path / "adapte", '{"fusion": {"method": "zscore", "dense_weight": 0.6}}')
    fusion = Settings(_env_file=None, model_path=adapted).retrieval_config().fusion
    assert (fusion.method, fusion.dense_weight) == ("zscore", 0.6)


def test_a_fusion_set_explicitly_wins_over_the_models_recommendation(tmp_path, monkeypatch):
    adapted = model_folder(tmp_path / "adapte", '{"fusion": {"method": "zscore", "dense_weight": 0.6}}')
    monkeypatch.setenv("ECLAIREUR_FUSION", "rrf")
    fusion = Settings(_env_file=None, model_path=adapted).retrieval_config().fusion
    assert (fusion.method, fusion.dense_weight) == ("rrf", 0.5)


@pytest.mark.parametrize("adaptation", [None, "{}", "pas du json", '{"fusion": {"method": "inconnue", "dense_weight": 0.6}}',
                                        '{"fusion": {"method": "zscore", "dense_weight": 7}}', '{"fusion": "zscore"}'])
def test_any_other_model_folder_keeps_the_default_fusion(tmp_path, monkeypatch, adaptation):
    monkeypatch.delenv("ECLAIREUR_FUSION", raising=False)
    monkeypatch.delenv("ECLAIREUR_DENSE_WEIGHT", raising=False)
    folder = model_folder(tmp_path / "modele", adaptation)
    assert Settings(_env_file=None, model_path=folder).retrieval_config().fusion == FusionConfig()
