"""The vector store interface and its FAISS implementation.

Vectors are L2-normalised, so inner product is cosine similarity. Small collections use exact search
(``IndexFlatIP``); above ``exact_max`` vectors an HNSW graph keeps queries fast. Ids are int64 and
stable across incremental builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np


class VectorStore(Protocol):
    """What retrieval needs from a vector engine; FAISS is the one implementation for now."""

    dimension: int

    def __len__(self) -> int: ...
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def remove(self, ids: np.ndarray) -> None: ...
    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...
    def save(self, path: Path) -> None: ...


class FaissStore:
    """ID-mapped FAISS index; exact below ``exact_max`` vectors, HNSW above."""

    FILE = "vectors.faiss"

    def __init__(self, dimension: int, exact_max: int = 200_000, hnsw_m: int = 32, ef_search: int = 128,
                 index: faiss.Index | None = None) -> None:
        self.dimension = dimension
        self.exact_max = exact_max
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def kind(self) -> str:
        inner = faiss.downcast_index(self.index.index)
        return "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape[1] != self.dimension:
            raise ValueError(f"dimension {vectors.shape[1]} reçue, {self.dimension} attendue")
        self.index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
        if self.kind == "flat" and len(self) > self.exact_max:
            self._rebuild(hnsw=True)

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        if self.kind == "flat":
            self.index.remove_ids(np.asarray(ids, dtype=np.int64))
        else:  # HNSW graphs cannot drop nodes: rebuild from the vectors that stay
            self._rebuild(hnsw=True, drop=set(int(i) for i in ids))

    def _rebuild(self, hnsw: bool, drop: set[int] = frozenset()) -> None:
        all_ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
        keep = np.array([i for i in all_ids if int(i) not in drop], dtype=np.int64)
        vectors = np.vstack([self.index.reconstruct(int(i)) for i in keep]) if len(keep) else np.zeros((0, self.dimension), np.float32)
        if hnsw and len(keep) > self.exact_max:
            inner = faiss.IndexHNSWFlat(self.dimension, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = 80
        else:
            inner = faiss.IndexFlatIP(self.dimension)
        self.index = faiss.IndexIDMap2(inner)
        if len(keep):
            self.index.add_with_ids(vectors, keep)

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) per query; ``allowed`` restricts the search to those ids (filters)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=self.ef_search)
            else:
                params = faiss.SearchParameters(sel=selector)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=self.ef_search)
        scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(Path(directory) / self.FILE))

    @classmethod
    def load(cls, directory: Path, exact_max: int = 200_000, ef_search: int = 128) -> FaissStore:
        index = faiss.read_index(str(Path(directory) / cls.FILE))
        return cls(index.d, exact_max=exact_max, ef_search=ef_search, index=index)
