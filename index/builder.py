"""Incremental, atomic index builds.

A build reads only new or changed files, copies what did not change from the live index, writes the
result in a fresh folder beside it, and only then points ``current`` at it with one atomic rename.
A build killed half-way leaves the live index untouched; its leftovers are removed by the next build.
"""

from __future__ import annotations

import errno
import fcntl
import itertools
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from .chunking import ChunkingConfig, chunk_document
from .chunkstore import ChunkStore
from .document_vectors import FILE as DOCUMENT_VECTORS
from .document_vectors import DocumentVectors, DocumentVectorsBuilder
from .documents import UnreadableDocument
from .embedding import Embedder, engine_fingerprint, release_freed_memory
from .encoders import DEFAULT_ENGINE
from .lexical import CHUNK_FIELDS, BM25Index, chunk_fields, scoring
from .manifest import FORMAT_VERSION, INGESTION_VERSION, FileRecord, Manifest, ManifestError
from .sources import SourceEntry
from .vectors import FaissStore, VectorIndexConfig

logger = logging.getLogger(__name__)

CURRENT = "current"
BUILDS = "builds"
PARTIAL_PREFIX = ".partial-"
EMBED_GROUP = 2048  # chunks embedded per model call: bounds memory, lets the model sort by length


class DocumentSource(Protocol):
    identity: str

    def scan(self) -> Iterator[SourceEntry]: ...
    def is_supported(self, document_id: str) -> bool: ...


@dataclass(frozen=True)
class IndexConfig:
    """Everything a build depends on besides the documents themselves."""

    model_path: Path
    chunking: ChunkingConfig = ChunkingConfig()
    vectors: VectorIndexConfig = VectorIndexConfig()
    batch_size: int | None = None  # None: the engine's own (BATCH_SIZES)
    engine: str = DEFAULT_ENGINE


@dataclass
class BuildReport:
    index_path: str
    up_to_date: bool
    files_seen: int = 0
    files_read: int = 0
    files_removed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    documents: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    embedding_seconds: float = 0.0
    vector_index: str = ""
    vector_index_seconds: float = 0.0  # adding, removing, training, rebuilding (not encoding)
    vector_index_bytes: int = 0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks_embedded / self.embedding_seconds if self.embedding_seconds else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {"chunks_per_second": round(self.chunks_per_second, 1)}


def current_build(index_dir: Path) -> Path | None:
    """The folder the live index points at, or None when there is no complete index yet."""
    link = Path(index_dir) / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def read_current_manifest(index_dir: Path, verify: bool = False) -> Manifest | None:
    """The live build's manifest; with ``verify``, None also when one of its files is damaged (never reuse it)."""
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        manifest = Manifest.load(build)
        if verify:
            manifest.verify_files(build)
        return manifest
    except ManifestError as error:
        logger.warning("%s", error)
        return None


@contextmanager
def build_lock(index_dir: Path):
    """One build at a time per index folder (an advisory lock released even on a crash)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"Une construction de l'index est déjà en cours dans {index_dir}.") from None
        yield


class BuildFailed(RuntimeError):
    """A build stopped before its swap: its partial folder is removed and the live index is unchanged."""


@contextmanager
def _abandoned_on_failure(index_dir: Path):
    """On any failure, remove this build's partial folder; a full disk becomes a clear French error."""
    try:
        yield
    except BaseException as error:
        _remove_partial_builds(index_dir)
        if _disk_full(error):
            raise BuildFailed(f"Espace disque insuffisant dans {index_dir / BUILDS} : la construction de l'index a été "
                              "abandonnée et son dossier partiel supprimé ; l'index en service est inchangé. "
                              "Libérez de la place puis relancez « eclaireur index ».") from error
        raise


def _disk_full(error: BaseException | None) -> bool:
    """ENOSPC, EDQUOT or EFBIG, as Python, SQLite (SQLITE_FULL) or FAISS (errno text in its message) report it."""
    codes = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    while error is not None:
        if isinstance(error, OSError) and error.errno in codes:
            return True
        if isinstance(error, sqlite3.OperationalError) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if any(os.strerror(code) in str(error) for code in codes):
            return True
        error = error.__cause__ or error.__context__
    return False


def is_up_to_date(source: DocumentSource, index_dir: Path, config: IndexConfig) -> bool:
    """True when the live index was built from exactly these files, this model and these settings."""
    manifest = read_current_manifest(index_dir)
    if manifest is None or not _compatible(manifest, config):
        return False
    if not _reusable(manifest, config):
        return False
    hashes = {entry.id: entry.sha256 for entry in source.scan()}
    return hashes == {path: record.sha256 for path, record in manifest.files.items()}


def _compatible(manifest: Manifest, config: IndexConfig) -> bool:
    try:
        fingerprint = engine_fingerprint(config.model_path, config.engine)
    except RuntimeError:
        return False
    return (manifest.model_fingerprint == fingerprint and manifest.chunking == asdict(config.chunking)
            and manifest.format_version == FORMAT_VERSION and manifest.ingestion_version == INGESTION_VERSION)


def _reusable(manifest: Manifest, config: IndexConfig) -> bool:
    """Whether a build's derived files are still what this code makes: the vector index type its size calls for, the
    BM25 weights of this analyzer, and document vectors."""
    return (config.vectors.accepts(manifest.vector_index.get("type", ""), manifest.chunks) and manifest.lexical == scoring()
            and DOCUMENT_VECTORS in manifest.index_files)


def _previous_document_vectors(live: Path, previous: Manifest, vectors: FaissStore, store: ChunkStore) -> DocumentVectorsBuilder:
    """The live build's document vectors; for a build made before they existed, the means of its stored passage
    vectors: nothing is encoded again."""
    if DOCUMENT_VECTORS in previous.index_files:
        return DocumentVectorsBuilder.keeping(DocumentVectors.load(live))
    vector_ids, codes, document_ids = store.document_map()
    ids, stored = vectors.contents()
    documents = DocumentVectorsBuilder(vectors.dimension)
    documents.add([document_ids[code] for code in codes[np.searchsorted(vector_ids, ids)]], stored)
    return documents


def build_index(source: DocumentSource, index_dir: Path, config: IndexConfig,
                embedder: Embedder | Callable[[], Embedder] | None = None, progress: bool = False,
                on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Bring the index in ``index_dir`` up to date with ``source``; embeds only new or changed files.

    ``embedder`` may be a loaded Embedder or a factory, called only when something must be embedded;
    ``on_progress(done, total)`` is called after each file read.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    with build_lock(index_dir), _abandoned_on_failure(index_dir):
        _remove_partial_builds(index_dir)
        entries = {entry.id: entry for entry in source.scan()}
        previous = read_current_manifest(index_dir, verify=True)  # a damaged live build is not reused
        if previous is not None and not _compatible(previous, config):
            logger.info("Modèle ou réglages changés depuis la dernière construction : reconstruction complète.")
            previous = None
        old_files = previous.files if previous else {}
        changed = [e for e in entries.values() if e.id not in old_files or old_files[e.id].sha256 != e.sha256]
        removed = [path for path in old_files if path not in entries]
        report = BuildReport(index_path=str(index_dir), up_to_date=not changed and not removed and previous is not None
                             and _reusable(previous, config), files_seen=len(entries), files_removed=len(removed))
        if report.up_to_date:
            report.skipped, report.documents, report.chunks = previous.skipped, previous.documents, previous.chunks
            report.vector_index = previous.vector_index.get("type", "")
            report.vector_index_bytes = previous.vector_index.get("bytes", 0)
            report.seconds = time.perf_counter() - started
            return report

        if not isinstance(embedder, Embedder):
            embedder = (embedder or (lambda: Embedder(config.model_path, batch_size=config.batch_size, engine=config.engine)))()
        workdir = index_dir / BUILDS / f"{PARTIAL_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
        workdir.mkdir(parents=True)
        live = current_build(index_dir)  # kept after the swap: servers still using it keep working
        if previous is not None:
            store = ChunkStore(live, read_only=True).copy_to(workdir)
            vectors = FaissStore.load(live, config.vectors)
            documents = _previous_document_vectors(live, previous, vectors, store)
        else:
            store = ChunkStore(workdir)
            vectors = FaissStore(embedder.dimension, config.vectors)
            documents = DocumentVectorsBuilder(embedder.dimension)

        files = {path: record for path, record in old_files.items() if path in entries}
        stale = [e.id for e in changed if e.id in old_files] + removed
        vectors.remove(np.array(store.remove_documents(stale), dtype=np.int64))
        documents.drop(stale)
        for path in stale:
            files.pop(path, None)

        count = embedder.count_tokens
        pending_texts: list[str] = []
        pending_ids: list[int] = []
        pending_documents: list[str] = []

        def flush() -> None:
            if not pending_texts:
                return
            t0 = time.perf_counter()
            encoded = embedder.encode_passages(pending_texts)
            vectors.add(np.array(pending_ids, dtype=np.int64), encoded)
            documents.add(pending_documents, encoded)
            report.embedding_seconds += time.perf_counter() - t0
            report.chunks_embedded += len(pending_texts)
            for pending in (pending_texts, pending_ids, pending_documents):
                pending.clear()
            release_freed_memory()

        for done, entry in enumerate(_progress(changed, progress), start=1):
            if on_progress is not None:
                on_progress(done, len(changed))
            record = FileRecord(sha256=entry.sha256, size=entry.size)
            files[entry.id] = record
            if entry.refused:
                record.skipped = entry.refused
                logger.warning("Fichier ignoré : %s — %s", entry.id, entry.refused)
                continue
            if not source.is_supported(entry.id):
                record.skipped = f"format non pris en charge ({Path(entry.id).suffix or 'sans extension'})"
                continue
            try:
                document = entry.load()
                chunks = chunk_document(document, count, config.chunking)
            except UnreadableDocument as reason:
                record.skipped = str(reason)
                logger.warning("Fichier ignoré : %s — %s", entry.id, reason)
                continue
            except Exception as error:  # a reader bug must not sink the whole build
                record.skipped = f"erreur de lecture ({error.__class__.__name__}: {error})"
                logger.warning("Fichier ignoré : %s — %s", entry.id, record.skipped)
                continue
            report.files_read += 1
            record.chunks = len(chunks)
            pending_ids.extend(store.add_document(document, chunks))
            pending_texts.extend(chunk.embedding_text for chunk in chunks)
            pending_documents.extend(document.id for _ in chunks)
            if len(pending_texts) >= EMBED_GROUP:
                flush()
        flush()

        # Streamed from the chunk store: the corpus's text is never held in memory at once.
        for_ids, for_texts = itertools.tee(store.iter_chunks())
        BM25Index.build((c.vector_id for c in for_ids), (chunk_fields(c.title, c.heading_path, c.text) for c in for_texts),
                        fields=CHUNK_FIELDS).save(workdir)
        vectors.fit()  # the index type the collection's new size calls for
        vectors.save(workdir)
        documents.result().save(workdir)
        report.documents, report.chunks = store.counts()
        store.close()
        report.vector_index, report.vector_index_seconds = vectors.kind, vectors.build_seconds
        report.vector_index_bytes = (workdir / FaissStore.FILE).stat().st_size  # = its size in memory
        report.skipped = {path: r.skipped for path, r in files.items() if r.skipped}
        report.seconds = time.perf_counter() - started
        Manifest(
            model_name=embedder.name, model_path=str(config.model_path), model_fingerprint=embedder.fingerprint,
            model_engine=embedder.engine,
            dimension=embedder.dimension, chunking=asdict(config.chunking),
            vector_index=vectors.describe() | {"exact_search_max": config.vectors.exact_max, "bytes": report.vector_index_bytes,
                                               "build_seconds": round(report.vector_index_seconds, 2)},
            files=files, built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(report.seconds, 2), versions=_versions(),
            documents=report.documents, chunks=report.chunks, lexical=scoring(),
        ).save(workdir)
        _fsync_tree(workdir)
        final = workdir.with_name(workdir.name.removeprefix(PARTIAL_PREFIX))
        workdir.rename(final)
        _point_current_at(index_dir, final)
        _remove_old_builds(index_dir, keep={final, live})
        return report


def _point_current_at(index_dir: Path, build: Path) -> None:
    """Atomically swap the ``current`` link (write a new link, then rename it over the old one)."""
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path(BUILDS) / build.name)
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _remove_partial_builds(index_dir: Path) -> None:
    builds = index_dir / BUILDS
    for leftover in builds.glob(f"{PARTIAL_PREFIX}*") if builds.exists() else []:
        logger.info("Suppression d'une construction interrompue : %s", leftover.name)
        shutil.rmtree(leftover, ignore_errors=True)


def _remove_old_builds(index_dir: Path, keep: set) -> None:
    """Keep the new build and the one it replaced (a fallback); drop older ones."""
    keep_names = {p.name for p in keep if p is not None}
    for build in (index_dir / BUILDS).iterdir():
        if build.name not in keep_names and not build.name.startswith(PARTIAL_PREFIX):
            shutil.rmtree(build, ignore_errors=True)


def _fsync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _progress(items: list, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="Indexation", unit="fichier")


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("eclaireur", "sentence-transformers", "faiss-cpu", "torch", "transformers"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found
