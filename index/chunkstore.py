"""SQLite store of documents and chunks: what a search result shows, looked up by vector id."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunking import Chunk
from .documents import Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    tags TEXT NOT NULL,
    url TEXT,
    folder TEXT NOT NULL,
    metadata TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    vector_id INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    heading_path TEXT NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    page INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, ordinal);
"""


@dataclass(frozen=True)
class StoredChunk:
    vector_id: int
    chunk_id: str
    document_id: str
    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    kind: str
    page: int | None
    title: str
    type: str
    tags: tuple[str, ...]
    url: str | None

    @property
    def embedding_text(self) -> str:
        return Chunk(self.document_id, self.ordinal, self.heading_path, self.text, self.kind, self.page).embedding_text


@dataclass(frozen=True)
class StoredDocument:
    document_id: str
    title: str
    type: str
    tags: tuple[str, ...]
    url: str | None
    folder: str
    metadata: dict
    text: str
    chunk_count: int


CHUNK_COLUMNS = ("c.vector_id, c.chunk_id, c.document_id, c.ordinal, c.heading_path, c.text, c.kind, c.page, "
                 "d.title, d.type, d.tags, d.url")


def _stored_chunk(row: tuple) -> StoredChunk:
    return StoredChunk(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), row[5], row[6], row[7],
                       row[8], row[9], tuple(json.loads(row[10])), row[11])


class ChunkStore:
    """One SQLite file; writable while a build runs, opened read-only (one connection per thread) when serving."""

    FILE = "chunks.sqlite"

    def __init__(self, directory: Path, read_only: bool = False) -> None:
        self.path = Path(directory) / self.FILE
        self.read_only = read_only
        self._local = threading.local()
        if not read_only:
            with self._connection() as db:
                db.executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            if self.read_only:
                if not self.path.exists():
                    raise FileNotFoundError(self.path)
                db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            else:
                db = sqlite3.connect(self.path, check_same_thread=False)
                db.execute("PRAGMA foreign_keys = ON")
                db.execute("PRAGMA journal_mode = DELETE")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- writing (builds) ---------------------------------------------------------------------
    def add_document(self, document: Document, chunks: list[Chunk]) -> list[int]:
        """Store a document and its chunks; returns the new chunks' vector ids, in order."""
        db = self._connection()
        with db:
            db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (document.id, document.title, document.type, json.dumps(document.tags, ensure_ascii=False),
                 document.url, document.folder, json.dumps(document.metadata, ensure_ascii=False), document.text),
            )
            ids = []
            for chunk in chunks:
                cursor = db.execute(
                    "INSERT INTO chunks (chunk_id, document_id, ordinal, heading_path, text, kind, page) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (chunk.id, chunk.document_id, chunk.ordinal, json.dumps(chunk.heading_path, ensure_ascii=False),
                     chunk.text, chunk.kind, chunk.page),
                )
                ids.append(int(cursor.lastrowid))
        return ids

    def remove_documents(self, document_ids: Iterable[str]) -> list[int]:
        """Delete documents and their chunks; returns the vector ids that must leave the vector store."""
        db = self._connection()
        removed: list[int] = []
        with db:
            for document_id in document_ids:
                removed += [r[0] for r in db.execute("SELECT vector_id FROM chunks WHERE document_id = ?", (document_id,))]
                db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
                db.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))
        return removed

    def copy_to(self, directory: Path) -> ChunkStore:
        """A consistent copy in another directory (SQLite backup API), opened for writing."""
        target = ChunkStore.__new__(ChunkStore)
        target.path, target.read_only, target._local = Path(directory) / self.FILE, False, threading.local()
        destination = sqlite3.connect(target.path)
        with destination:
            self._connection().backup(destination)
        destination.close()
        return ChunkStore(directory)

    # -- reading (queries) --------------------------------------------------------------------
    def iter_chunks(self) -> Iterator[StoredChunk]:
        query = f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (document_id) ORDER BY c.vector_id"
        for row in self._connection().execute(query):
            yield _stored_chunk(row)

    def chunks_by_vector_id(self, vector_ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = [int(i) for i in vector_ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._connection().execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (document_id) WHERE c.vector_id IN ({marks})", ids)
        return {row[0]: _stored_chunk(row) for row in rows}

    def chunks_of(self, document_id: str, limit: int) -> list[StoredChunk]:
        """The first ``limit`` chunks of a document, in reading order."""
        rows = self._connection().execute(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d USING (document_id) WHERE c.document_id = ? "
            "ORDER BY c.ordinal LIMIT ?", (document_id, limit))
        return [_stored_chunk(row) for row in rows]

    def document_map(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(sorted vector ids, document index of each, document ids): groups search hits without a query."""
        rows = self._connection().execute("SELECT vector_id, document_id FROM chunks ORDER BY vector_id").fetchall()
        documents: dict[str, int] = {}
        codes = np.fromiter((documents.setdefault(d, len(documents)) for _, d in rows), dtype=np.int32, count=len(rows))
        vector_ids = np.fromiter((v for v, _ in rows), dtype=np.int64, count=len(rows))
        return vector_ids, codes, list(documents)

    def document(self, document_id: str) -> StoredDocument | None:
        row = self._connection().execute(
            "SELECT d.document_id, d.title, d.type, d.tags, d.url, d.folder, d.metadata, d.text, "
            "(SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.document_id) FROM documents d WHERE d.document_id = ?",
            (document_id,)).fetchone()
        if row is None:
            return None
        return StoredDocument(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5], json.loads(row[6]), row[7], row[8])

    def catalogue(self, offset: int, limit: int) -> tuple[list[tuple[str, str, str]], int]:
        """(document id, title, type) of up to ``limit`` documents from ``offset``, by id; and how many there are."""
        db = self._connection()
        rows = db.execute("SELECT document_id, title, type FROM documents ORDER BY document_id LIMIT ? OFFSET ?",
                          (limit, offset)).fetchall()
        return [tuple(row) for row in rows], db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def vector_ids_matching(self, types: list[str] | None = None, tags: list[str] | None = None,
                            folder: str | None = None) -> list[int]:
        """Vector ids of chunks whose document has one of ``types``, one of ``tags`` and lies under ``folder``."""
        clauses, params = [], []
        if types:
            clauses.append(f"d.type IN ({','.join('?' * len(types))})")
            params += types
        if tags:
            clauses.append(f"EXISTS (SELECT 1 FROM json_each(d.tags) WHERE value IN ({','.join('?' * len(tags))}))")
            params += [t.lower() for t in tags]
        if folder:
            folder = folder.strip("/")
            clauses.append("(d.folder = ? OR d.folder LIKE ? ESCAPE '\\')")
            params += [folder, folder.replace("%", "\\%").replace("_", "\\_") + "/%"]
        where = " AND ".join(clauses) or "1"
        rows = self._connection().execute(f"SELECT c.vector_id FROM chunks c JOIN documents d USING (document_id) WHERE {where}", params)
        return [r[0] for r in rows]

    def counts(self) -> tuple[int, int]:
        db = self._connection()
        return (db.execute("SELECT COUNT(*) FROM documents").fetchone()[0], db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
