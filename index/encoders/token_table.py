"""The token embedding table, read from its ``.npy`` file row by row rather than held whole in memory.

e5's table is 250 000 × 384 floats (384 MB), four fifths of the model, yet a corpus uses a few tens of thousands
of its rows (8 000 distinct tokens in 200 real guides). The rows a text needs are read with ``pread`` the first
time and kept in a bounded cache; the operating system's page cache holds the file, shared by every process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

CACHED_ROWS = 32_768  # 48 MB for e5's 384 dimensions: more than a corpus's distinct tokens


class TokenTable:
    """Rows of a 2-D float32 ``.npy`` file (C order), fetched on demand and cached up to ``cached_rows``."""

    def __init__(self, path: Path, cached_rows: int = CACHED_ROWS) -> None:
        self._file = Path(path).open("rb", buffering=0)  # closed with the table
        version = np.lib.format.read_magic(self._file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(self._file)
        if len(shape) != 2 or fortran_order or np.dtype(dtype) != np.float32:
            raise ValueError(f"{path} n'est pas une table de vecteurs float32 à deux dimensions.")
        self.rows, self.dimension = shape
        self._offset, self._row_bytes = self._file.tell(), self.dimension * 4
        self._slot = np.full(self.rows, -1, dtype=np.int32)  # where each row sits in the cache, -1 when absent
        self._cache = np.empty((min(cached_rows, self.rows), self.dimension), dtype=np.float32)
        self._cached = 0
        self._lock = threading.Lock()

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids`` (any shape), as an array of shape ``ids.shape + (dimension,)``."""
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= self.rows):
            raise IndexError(f"Jeton hors de la table ({self.rows} lignes).")
        with self._lock:
            for token in np.unique(ids[self._slot[ids] < 0]).tolist():
                self._read(token)
            slots = self._slot[ids]
            if (slots >= 0).all():
                return self._cache[slots]
            return np.stack([self._cache[slot] if slot >= 0 else self._read(token)
                             for token, slot in zip(ids.ravel().tolist(), slots.ravel().tolist())]).reshape(*ids.shape, -1)

    def _read(self, token: int) -> np.ndarray:
        row = np.frombuffer(os.pread(self._file.fileno(), self._row_bytes, self._offset + token * self._row_bytes),
                            dtype=np.float32)
        if self._cached < len(self._cache):
            self._cache[self._cached] = row
            self._slot[token] = self._cached
            self._cached += 1
        return row
