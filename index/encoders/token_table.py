"""The token embedding table, read row by row from its ``.npy`` file rather than held in memory.

e5's table is 250 000 × 384 floats (384 MB), four fifths of the model, yet a text uses a few dozen rows. Reading
those rows with ``pread`` keeps the serving process lean: the operating system's page cache holds the hot part of
the file, shared by every worker on the machine, and nothing of it counts in a process's resident memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class TokenTable:
    """Rows of a 2-D float32 ``.npy`` file (C order), fetched on demand."""

    def __init__(self, path: Path) -> None:
        self._file = Path(path).open("rb", buffering=0)  # closed with the table
        version = np.lib.format.read_magic(self._file)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(self._file)
        if len(shape) != 2 or fortran_order or np.dtype(dtype) != np.float32:
            raise ValueError(f"{path} n'est pas une table de vecteurs float32 à deux dimensions.")
        self.rows, self.dimension = shape
        self._offset, self._row_bytes = self._file.tell(), self.dimension * 4

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids`` (any shape), as an array of shape ``ids.shape + (dimension,)``."""
        unique, positions = np.unique(ids, return_inverse=True)
        if unique.size and (unique[0] < 0 or unique[-1] >= self.rows):
            raise IndexError(f"Jeton hors de la table ({self.rows} lignes).")
        rows = np.empty((unique.size, self.dimension), dtype=np.float32)
        for i, token in enumerate(unique.tolist()):
            rows[i] = np.frombuffer(os.pread(self._file.fileno(), self._row_bytes, self._offset + token * self._row_bytes),
                                    dtype=np.float32)
        return rows[positions.reshape(ids.shape)]
