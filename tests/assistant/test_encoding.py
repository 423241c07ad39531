"""The shared encoder: concurrent requests share forward passes, get the vectors they would get alone,
and repeated queries cost nothing twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.encoding import BatchingConfig, SharedEncoder

QUERIES = [
    "Quelles sont les dates du Mois de l'innovation publique ?",
    "Comment monter un laboratoire d'innovation dans une administration ?",
    "Qu'est-ce que le droit à l'expérimentation des collectivités ?",
    "Formation au design des politiques publiques",
    "Comment associer les usagers à la conception d'un service ?",
    "Budget d'un projet d'innovation",
    "Article 37-1 de la Constitution",
    "Programme Entrepreneurs d'intérêt général",
]


def encode_all_at_once(encoder: SharedEncoder, texts: list[str]) -> list[np.ndarray]:
    """Every text encoded from its own thread, all released at the same instant."""
    start = threading.Barrier(len(texts))

    def one(text: str) -> np.ndarray:
        start.wait()
        return encoder.encode_query(text)

    with ThreadPoolExecutor(len(texts)) as pool:
        return list(pool.map(one, texts))


def test_concurrent_queries_share_forward_passes_and_get_their_own_vectors(embedder):
    encoder = SharedEncoder(embedder, cache_size=0, batching=BatchingConfig(max_batch=32, max_wait_ms=20))
    vectors = encode_all_at_once(encoder, QUERIES * 2)

    assert encoder.batches < len(QUERIES) * 2
    alone = embedder.encode_queries(QUERIES)
    for i, vector in enumerate(vectors):
        np.testing.assert_allclose(vector, alone[i % len(QUERIES)], atol=1e-5)
    encoder.close()


def test_a_batch_never_exceeds_its_bound(embedder):
    encoder = SharedEncoder(embedder, cache_size=0, batching=BatchingConfig(max_batch=3, max_wait_ms=20))
    encode_all_at_once(encoder, QUERIES)

    assert encoder.batches >= len(QUERIES) / 3
    assert encoder.batched_texts == len(QUERIES)
    encoder.close()


def test_repeated_queries_are_served_from_the_cache(embedder):
    encoder = SharedEncoder(embedder, cache_size=16)
    first = encoder.encode_query(QUERIES[0])
    passes = encoder.batches

    again = encoder.encode_query(QUERIES[0])

    assert again is first and encoder.batches == passes
    assert not again.flags.writeable  # shared between requests: nobody may modify it
    encoder.close()


def test_the_cache_keeps_only_the_most_recent_queries(embedder):
    encoder = SharedEncoder(embedder, cache_size=2)
    for query in QUERIES[:3]:
        encoder.encode_query(query)
    passes = encoder.batches

    encoder.encode_query(QUERIES[2])
    assert encoder.batches == passes
    encoder.encode_query(QUERIES[0])
    assert encoder.batches == passes + 1
    encoder.close()


def test_without_batching_each_request_runs_the_model_itself(embedder):
    encoder = SharedEncoder(embedder, cache_size=0, batching=BatchingConfig(enabled=False))
    vectors = encode_all_at_once(encoder, QUERIES[:4])

    assert encoder._worker is None, "no worker thread: the requests' own threads ran the model"
    assert encoder.batches == 4 and encoder.batched_texts == 4, "one forward pass per request"
    np.testing.assert_allclose(np.vstack(vectors), embedder.encode_queries(QUERIES[:4]), atol=1e-5)


def test_answer_sentences_use_the_passage_prompt(embedder):
    encoder = SharedEncoder(embedder, cache_size=0)
    sentence = "Le Mois de l'innovation publique a lieu chaque année en novembre."

    np.testing.assert_allclose(encoder.encode_passages([sentence]), embedder.encode_passages([sentence]), atol=1e-5)
    assert not np.allclose(encoder.encode_passages([sentence]), embedder.encode_queries([sentence]), atol=1e-3)
    encoder.close()


def test_a_failing_text_fails_only_its_own_request(embedder):
    encoder = SharedEncoder(embedder, cache_size=0, batching=BatchingConfig(max_wait_ms=50))
    start = threading.Barrier(2)

    def good() -> np.ndarray:
        start.wait()
        return encoder.encode_queries([QUERIES[0]])

    def bad() -> np.ndarray:
        start.wait()
        return encoder.encode_queries([None])  # not a text: the tokenizer refuses it

    with ThreadPoolExecutor(2) as pool:
        fine, failing = pool.submit(good), pool.submit(bad)
        np.testing.assert_allclose(fine.result()[0], embedder.encode_queries([QUERIES[0]])[0], atol=1e-5)
        with pytest.raises(Exception):  # noqa: B017 - whatever the tokenizer raises reaches the caller
            failing.result()
    encoder.close()
