"""The vector store interface and its FAISS implementation.

Vectors are L2-normalised, so inner product is cosine similarity. The index type follows the collection
size: exact search (``IndexFlatIP``) up to ``exact_max`` vectors, then an approximate index — by default
IVF over 8-bit scalar-quantized vectors (a quarter of the memory, removals in place), or HNSW on request.
Ids are int64 and stable across incremental builds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import faiss
import numpy as np

IndexKind = Literal["flat", "hnsw", "hnsw_sq8", "ivf_sq8"]
IndexChoice = Literal["auto", "flat", "hnsw", "hnsw_sq8", "ivf_sq8"]
AUTO_APPROXIMATE: IndexKind = "ivf_sq8"  # benchmarks/scale.py: the only type meeting the 1M targets with cheap removals
TRAINING_PER_LIST = 64  # IVF k-means sample: vectors per list (FAISS wants at least 39)
FEW_QUERIES = 20  # below this, one OpenMP thread: on 2 shared cores, thread hand-offs cost more than the search


class VectorStore(Protocol):
    """What retrieval needs from a vector engine; FAISS is the one implementation for now."""

    dimension: int

    def __len__(self) -> int: ...
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def remove(self, ids: np.ndarray) -> None: ...
    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...
    def save(self, path: Path) -> None: ...


@dataclass(frozen=True)
class VectorIndexConfig:
    """Which FAISS index a collection gets for its size, with its build and query parameters."""

    kind: IndexChoice = "auto"  # the index used above ``exact_max`` vectors; "flat": always exact
    exact_max: int = 20_000  # exact search up to here: p50 0.3 ms at 10k, 8.5 ms at 100k (benchmarks/scale.py)
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    ef_search: int = 128
    nprobe: int = 64  # recall@10 >= 0.95 at 100k and 1M (benchmarks/scale.py)
    ivf_lists_per_sqrt: float = 4.0  # IVF lists = this × √size
    exact_filter_max: int = 20_000  # HNSW: a filter allowing at most this many ids is ranked exactly

    def kind_for(self, size: int) -> IndexKind:
        """The index type a collection of ``size`` vectors should get."""
        if self.kind == "flat" or size <= self.exact_max:
            return "flat"
        return AUTO_APPROXIMATE if self.kind == "auto" else self.kind

    def accepts(self, kind: str, size: int) -> bool:
        """Whether an index of ``kind`` still suits ``size`` vectors; an approximate one is kept down to half
        the threshold, so removals around it do not rebuild back and forth."""
        return kind == self.kind_for(size) or (kind == self.kind_for(self.exact_max + 1) and size > self.exact_max // 2)

    def ivf_lists(self, size: int) -> int:
        """IVF lists for ``size`` vectors: ``ivf_lists_per_sqrt`` × √size, each with enough vectors to train."""
        return max(1, min(round(self.ivf_lists_per_sqrt * math.sqrt(size)), size // TRAINING_PER_LIST))


class FaissStore:
    """A FAISS index whose type follows the collection size (see ``VectorIndexConfig``).

    ``add`` and ``remove`` work in place on every type (HNSW graphs are rebuilt on removal); ``fit``
    switches to the type the current size calls for, and retrains IVF lists when the size changed 4×.
    """

    FILE = "vectors.faiss"

    def __init__(self, dimension: int, config: VectorIndexConfig = VectorIndexConfig(),
                 index: faiss.Index | None = None) -> None:
        self.dimension = dimension
        self.config = config
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self.build_seconds = 0.0  # time spent adding, removing and rebuilding since this store was opened
        self._apply_query_params()

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> IndexKind:
        index = faiss.downcast_index(self.index)
        if isinstance(index, faiss.IndexIVFScalarQuantizer):
            return "ivf_sq8"
        inner = faiss.downcast_index(index.index)
        if isinstance(inner, faiss.IndexHNSWSQ):
            return "hnsw_sq8"
        return "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"

    @property
    def _ivf(self) -> faiss.IndexIVFScalarQuantizer | None:
        index = faiss.downcast_index(self.index)
        return index if isinstance(index, faiss.IndexIVF) else None

    def describe(self) -> dict:
        """Type and shape of the index, for the manifest."""
        ivf, shape = self._ivf, {}
        if ivf is not None:
            shape = {"lists": int(ivf.nlist)}
        elif self.kind != "flat":
            shape = {"hnsw_m": int(faiss.downcast_index(self.index.index).hnsw.nb_neighbors(1))}
        return {"type": self.kind, "vectors": len(self)} | shape

    def memory_bytes(self) -> int:
        """Size of the index in RAM, as its serialized size (vectors or codes, graph, ids)."""
        return int(faiss.serialize_index(self.index).nbytes)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape[1] != self.dimension:
            raise ValueError(f"dimension {vectors.shape[1]} reçue, {self.dimension} attendue")
        started = time.perf_counter()
        self.index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
        self.build_seconds += time.perf_counter() - started

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        started = time.perf_counter()
        ids = np.asarray(ids, dtype=np.int64)
        if self.kind.startswith("hnsw"):  # HNSW graphs cannot drop nodes: rebuild from the vectors that stay
            kept_ids, vectors = self.contents()
            keep = ~np.isin(kept_ids, ids)
            self._rebuild(self.kind, kept_ids[keep], vectors[keep])
        else:
            self.index.remove_ids(faiss.IDSelectorBatch(ids))
        self.build_seconds += time.perf_counter() - started

    def fit(self) -> None:
        """Rebuild into the type the configuration wants for the current size, when it differs."""
        size, ivf = len(self), self._ivf
        kind = self.kind if self.config.accepts(self.kind, size) else self.config.kind_for(size)
        retrain = ivf is not None and not 0.5 < self.config.ivf_lists(size) / ivf.nlist < 2
        if kind == self.kind and not retrain:
            return
        started = time.perf_counter()
        self._rebuild(kind, *self.contents())
        self.build_seconds += time.perf_counter() - started

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, vectors); quantized indexes give back their decoded vectors."""
        ivf = self._ivf
        if ivf is None:
            ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            return ids, self.index.index.reconstruct_n(0, len(ids))
        lists = ivf.invlists
        ids = np.concatenate([faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                              for i in range(ivf.nlist) if lists.list_size(i)] + [np.zeros(0, np.int64)])
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # id -> position, only while reading back
        vectors = ivf.reconstruct_batch(ids) if len(ids) else np.zeros((0, self.dimension), np.float32)
        ivf.set_direct_map_type(faiss.DirectMap.NoMap)
        return ids, vectors

    def _rebuild(self, kind: IndexKind, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.index = self._empty(kind, len(ids))
        if kind in ("ivf_sq8", "hnsw_sq8"):  # k-means lists / 8-bit ranges, learnt on a sample
            sample_size = TRAINING_PER_LIST * (self.index.nlist if kind == "ivf_sq8" else 1024)
            sample = np.random.default_rng(0).choice(len(ids), min(len(ids), sample_size), replace=False)
            self.index.train(vectors[np.sort(sample)])
        self._apply_query_params()
        if len(ids):
            self.index.add_with_ids(vectors, ids)

    def _empty(self, kind: IndexKind, size: int) -> faiss.Index:
        d, config = self.dimension, self.config
        if kind == "ivf_sq8":  # ids stored in the lists, so removals work in place
            return faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(d), d, config.ivf_lists(size), faiss.ScalarQuantizer.QT_8bit,
                                                 faiss.METRIC_INNER_PRODUCT)
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(d, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        elif kind == "hnsw_sq8":
            inner = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        else:
            inner = faiss.IndexFlatIP(d)
        if kind != "flat":
            inner.hnsw.efConstruction = config.hnsw_ef_construction
        return faiss.IndexIDMap2(inner)

    def _apply_query_params(self) -> None:
        """Query-time settings (IVF lists probed, HNSW search breadth) come from the configuration."""
        if self._ivf is not None:
            self._ivf.nprobe = self.config.nprobe
        elif self.kind != "flat":
            faiss.downcast_index(self.index.index).hnsw.efSearch = self.config.ef_search

    def _search_params(self, selector: faiss.IDSelector | None, allowed_share: float = 1.0) -> faiss.SearchParameters | None:
        if self._ivf is not None:  # a filter keeping a share f of the vectors: probe 1/f more lists, same candidates
            nprobe = min(self._ivf.nlist, math.ceil(self.config.nprobe / max(allowed_share, 1e-9)))
            return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        if self.kind != "flat":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=self.config.ef_search)
        return faiss.SearchParameters(sel=selector) if selector is not None else None

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) per query, id -1 past the last hit; ``allowed`` restricts the search to those ids."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if len(self) == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        k = max(1, min(k, len(self)))
        if allowed is not None and self.kind.startswith("hnsw") and len(allowed) <= self.config.exact_filter_max:
            return self._rank_exactly(queries, k, np.asarray(allowed, dtype=np.int64))
        selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)) if allowed is not None else None
        share = len(allowed) / len(self) if allowed is not None else 1.0
        threads = faiss.omp_get_max_threads()  # a per-thread OpenMP setting: other threads keep theirs
        if len(queries) < FEW_QUERIES:
            faiss.omp_set_num_threads(1)
        try:
            return self.index.search(queries, k, params=self._search_params(selector, share))
        finally:
            faiss.omp_set_num_threads(threads)

    def _rank_exactly(self, queries: np.ndarray, k: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact ranking among a few ids (a narrow filter), which a graph walk would mostly miss."""
        if len(ids) == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        scores = queries @ self.index.reconstruct_batch(ids).T
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, top, axis=1), ids[top]

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(Path(directory) / self.FILE))

    @classmethod
    def load(cls, directory: Path, config: VectorIndexConfig = VectorIndexConfig()) -> FaissStore:
        index = faiss.read_index(str(Path(directory) / cls.FILE))
        return cls(index.d, config, index=index)
