"""What each document is about, as one vector: the mean of its passages' vectors, less the corpus's mean.

A passage that matches a question inside a guide about something else is a weaker answer than one inside a guide
about the question. Dense search therefore adds, to a passage's cosine with the query, a share of the query's cosine
with its document's vector (passage-level evidence read in its document's context, Callan 1994). e5 gives every text
of one corpus a large common component (all cosines fall between 0.75 and 0.95): the corpus's mean passage is taken
out of both sides, so that what sets a document apart is compared with what the question asks (Mu and Viswanath,
2018, « All-but-the-top »). Measured in benchmarks/README.md. A build keeps the sums of the documents it does not read
again and adds the passages of those it encodes. Below ``MIN_DOCUMENTS`` documents, the mean of a few documents does not
describe a corpus (each would weigh a quarter of it in a corpus of four): passages are then read alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FILE = "document_vectors.npz"
MIN_DOCUMENTS = 50  # from here, a document weighs at most 2 % of the corpus mean it is compared against


class DocumentVectors:
    """Each document's sum of passage vectors and passage count, by document id."""

    def __init__(self, ids: list[str], sums: np.ndarray, counts: np.ndarray) -> None:
        self.ids = ids
        self.sums = sums
        self.counts = counts

    def centered(self, document_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(document vectors in the order of ``document_ids``, a snapshot's document codes; corpus mean): each
        document's mean passage less the corpus's, at unit length; zeros for a document without passages."""
        dimension = self.sums.shape[1]
        mean = self.sums.sum(axis=0) / max(int(self.counts.sum()), 1)
        rows = {document_id: row for row, document_id in enumerate(self.ids)}
        vectors = np.zeros((len(document_ids), dimension), dtype=np.float32)
        for code, document_id in enumerate(document_ids):
            row = rows.get(document_id)
            if row is not None and self.counts[row]:
                vectors[code] = _unit(self.sums[row] / self.counts[row] - mean)
        return vectors, mean.astype(np.float32)

    def save(self, directory: Path) -> None:
        with open(Path(directory) / FILE, "wb") as handle:
            np.savez(handle, ids=np.array(self.ids, dtype=str), sums=self.sums.astype(np.float32),
                     counts=self.counts.astype(np.int64))

    @classmethod
    def load(cls, directory: Path) -> DocumentVectors:
        with np.load(Path(directory) / FILE, allow_pickle=False) as saved:
            return cls([str(i) for i in saved["ids"]], saved["sums"], saved["counts"])


class DocumentVectorsBuilder:
    """Collects a build's document sums: those kept from the previous build, and the passages encoded."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}

    @classmethod
    def keeping(cls, previous: DocumentVectors) -> DocumentVectorsBuilder:
        """Starting from the previous build's sums."""
        builder = cls(previous.sums.shape[1])
        builder.sums = dict(zip(previous.ids, previous.sums))
        builder.counts = dict(zip(previous.ids, (int(count) for count in previous.counts)))
        return builder

    def drop(self, document_ids: list[str]) -> None:
        """Forget documents removed or read again."""
        for document_id in document_ids:
            self.sums.pop(document_id, None)
            self.counts.pop(document_id, None)

    def add(self, document_ids: list[str], vectors: np.ndarray) -> None:
        """Passage vectors, each with its document's id."""
        for document_id, vector in zip(document_ids, vectors):
            self.sums[document_id] = self.sums.get(document_id, 0.0) + vector.astype(np.float32)
            self.counts[document_id] = self.counts.get(document_id, 0) + 1

    def result(self) -> DocumentVectors:
        ids = sorted(self.sums)
        sums = np.array([self.sums[i] for i in ids], dtype=np.float32).reshape(len(ids), self.dimension)
        return DocumentVectors(ids, sums, np.array([self.counts[i] for i in ids], dtype=np.int64))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
