"""Every FAISS index type finds, filters, removes and survives a save/load; the type follows the size."""

from __future__ import annotations

import numpy as np
import pytest

from index.vectors import AUTO_APPROXIMATE, FaissStore, VectorIndexConfig

DIMENSION = 64
KINDS = ["flat", "hnsw", "hnsw_sq8", "ivf_sq8"]
# Low threshold and small graphs: every type is exercised on a few thousand vectors in well under a second.
SMALL = dict(exact_max=1000, hnsw_m=16, hnsw_ef_construction=40, nprobe=8)


def structured_vectors(count: int, seed: int = 0) -> np.ndarray:
    """Noisy copies of 200 random directions, normalised: clusters of near neighbours, like real embeddings."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((200, DIMENSION)).astype(np.float32)
    vectors = centers[np.arange(count) % len(centers)] + 0.3 * rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


VECTORS = structured_vectors(5000)
IDS = np.arange(5000, dtype=np.int64) * 7 + 3  # sparse, stable ids as incremental builds leave them


def make_store(kind: str, count: int = len(IDS)) -> FaissStore:
    store = FaissStore(DIMENSION, VectorIndexConfig(kind=kind, **SMALL))
    store.add(IDS[:count], VECTORS[:count])
    store.fit()
    return store


@pytest.fixture(scope="module", params=KINDS)
def store(request) -> FaissStore:
    return make_store(request.param)


def top_ids(store: FaissStore, rows: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    return store.search(VECTORS[rows], 1, allowed)[1][:, 0]


def test_each_type_finds_every_vector_first_for_itself(store):
    assert store.kind == store.config.kind
    assert len(store) == len(IDS)
    rows = np.arange(0, len(IDS), 10)
    assert np.array_equal(top_ids(store, rows), IDS[rows])


def test_k_results_sorted_by_score(store):
    scores, ids = store.search(VECTORS[:3], 10)
    assert scores.shape == ids.shape == (3, 10)
    assert np.all(np.diff(scores, axis=1) <= 1e-6) and np.all(ids >= 0)


def test_allowed_restricts_results_for_each_type(store):
    rows = np.arange(1, len(IDS), 25)
    allowed = IDS[rows]
    scores, ids = store.search(VECTORS[:20], 10, allowed)
    assert np.isin(ids[ids >= 0], allowed).all()
    assert np.array_equal(top_ids(store, rows[:50], allowed), allowed[:50])


@pytest.mark.parametrize("kind", KINDS)
def test_remove_drops_vectors_for_each_type(kind):
    store = make_store(kind)
    removed = IDS[::5]
    store.remove(removed)
    assert len(store) == len(IDS) - len(removed)
    assert store.kind == kind
    found = store.search(VECTORS[::5][:200], 10)[1]
    assert not np.isin(found, removed).any()
    kept = np.arange(1, len(IDS), 5)[:200]
    assert np.array_equal(top_ids(store, kept), IDS[kept])


@pytest.mark.parametrize("kind", KINDS)
def test_save_and_load_keep_kind_shape_and_results(kind, tmp_path):
    store = make_store(kind)
    store.save(tmp_path)
    config = VectorIndexConfig(kind=kind, **SMALL | dict(nprobe=5, ef_search=40))
    loaded = FaissStore.load(tmp_path, config)
    assert loaded.kind == kind and loaded.describe() == store.describe()
    assert loaded.config.nprobe == 5
    store.config = config
    assert np.array_equal(loaded.search(VECTORS[:50], 10)[1], store.search(VECTORS[:50], 10)[1])


def test_auto_switches_type_by_size_with_hysteresis():
    store = make_store("auto", count=900)
    assert store.kind == "flat"
    store.add(IDS[900:1500], VECTORS[900:1500])
    store.fit()
    assert store.kind == AUTO_APPROXIMATE
    store.remove(IDS[:800])  # 700 left: above half the threshold, the approximate index stays
    store.fit()
    assert store.kind == AUTO_APPROXIMATE and len(store) == 700
    store.remove(IDS[800:1000])
    store.fit()
    assert store.kind == "flat" and len(store) == 500
    assert np.array_equal(top_ids(store, np.arange(1000, 1500, 7)), IDS[1000:1500:7])


def test_ivf_lists_are_retrained_when_the_size_changes_fourfold():
    store = make_store("ivf_sq8", count=1200)
    lists = store.describe()["lists"]
    store.add(IDS[1200:], VECTORS[1200:])
    store.fit()
    assert store.describe()["lists"] == store.config.ivf_lists(len(IDS)) > 2 * lists
    assert np.array_equal(top_ids(store, np.arange(0, len(IDS), 50)), IDS[::50])


def test_flat_stays_exact_at_any_size_and_a_new_choice_converts_the_index():
    store = make_store("flat")
    assert store.kind == "flat"
    store.config = VectorIndexConfig(kind="hnsw", **SMALL)
    store.fit()
    assert store.kind == "hnsw" and len(store) == len(IDS)


def test_memory_of_a_quantized_index_is_about_a_quarter_of_flat():
    flat, ivf = make_store("flat"), make_store("ivf_sq8")
    assert ivf.memory_bytes() < 0.45 * flat.memory_bytes()
    assert flat.memory_bytes() >= VECTORS.nbytes


@pytest.mark.parametrize("kind", ["hnsw", "hnsw_sq8", "ivf_sq8"])
def test_a_narrow_filter_gets_the_exact_best_among_its_few_ids(kind):
    """A rare tag on a big index: probing a few IVF lists or walking the graph would miss most of its passages,
    so few allowed ids are ranked exactly."""
    approximate, exact = make_store(kind), make_store("flat")
    allowed = IDS[np.arange(7, len(IDS), 97)]  # 52 passages scattered over every cluster
    queries = VECTORS[:5]

    found_scores, found = approximate.search(queries, 10, allowed)
    expected_scores, expected = exact.search(queries, 10, allowed)

    # 8-bit codes decode close to the originals: near-ties may swap, nothing is missed
    assert np.array_equal(found[:, 0], expected[:, 0])
    assert min(len(set(f) & set(e)) for f, e in zip(found, expected)) >= 9
    np.testing.assert_allclose(found_scores, expected_scores, atol=0.02)
