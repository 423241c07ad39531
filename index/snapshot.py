"""A complete index loaded from disk for querying: never modified, replaced whole by a newer one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .builder import BUILDS, PARTIAL_PREFIX, current_build
from .chunkstore import ChunkStore
from .document_vectors import FILE as DOCUMENT_VECTORS
from .document_vectors import DocumentVectors
from .lexical import BM25Index
from .manifest import DamagedIndexFile, Manifest, ManifestError
from .vectors import FaissStore, VectorIndexConfig

logger = logging.getLogger(__name__)


class IndexNotFound(RuntimeError):
    """There is no complete index in the configured folder yet."""


class ModelMismatchError(RuntimeError):
    """The index was built by another model than the one loaded for queries."""


class CorruptIndex(RuntimeError):
    """A file of the index directory is missing or unreadable; the message names it."""


@dataclass
class IndexSnapshot:
    path: Path
    manifest: Manifest
    vectors: FaissStore
    lexical: BM25Index
    chunks: ChunkStore
    vector_ids: np.ndarray  # sorted; with ``document_codes``, maps a vector id to its document
    document_codes: np.ndarray
    document_ids: list[str]
    warnings: tuple[str, ...] = ()  # in French: set when a damaged live build was replaced by an older one
    document_vectors: np.ndarray | None = None  # what each document is about, by document code (document_vectors.py)
    corpus_mean: np.ndarray | None = None  # the mean passage vector, taken out of the query before comparing with them

    def documents_of(self, vector_ids: np.ndarray) -> list[str]:
        """The document id of each vector id (all must be in the index)."""
        positions = np.searchsorted(self.vector_ids, vector_ids)
        return [self.document_ids[code] for code in self.document_codes[positions]]

    @classmethod
    def open(cls, index_dir: Path, model_fingerprint: str | None = None,
             search: VectorIndexConfig = VectorIndexConfig(),
             verify_hashes: bool = True, model_engine: str | None = None) -> IndexSnapshot:
        """Load the live build of ``index_dir``; refuse it if ``model_fingerprint`` differs from its model's
        (``model_engine``, the loaded model's engine, words the refusal when only the engine changed).

        Every file is checked against the size (and, with ``verify_hashes``, the SHA-256) the manifest recorded.
        When the live build is damaged, the newest other complete build that passes the checks is served
        instead, with a warning in ``warnings``; when there is none, ``CorruptIndex`` names the damaged file.
        """
        index_dir = Path(index_dir)
        live = current_build(index_dir)
        if live is None:
            raise IndexNotFound(f"Aucun index dans {index_dir} : lancez « eclaireur index » pour le construire.")
        try:
            return cls._open_build(live, model_fingerprint, search, verify_hashes, model_engine)
        except CorruptIndex as damage:
            for build in _previous_builds(index_dir, live):
                try:
                    snapshot = cls._open_build(build, model_fingerprint, search, verify_hashes, model_engine)
                except (CorruptIndex, ModelMismatchError) as error:
                    logger.warning("Index de secours %s inutilisable lui aussi : %s", build.name, error)
                    continue
                warning = (f"{damage} L'index précédent {build.name} (construit le {snapshot.manifest.built_at}) est servi "
                           "à sa place : relancez « eclaireur index » pour reconstruire l'index courant.")
                logger.warning("%s", warning)
                snapshot.warnings = (warning,)
                return snapshot
            raise CorruptIndex(f"{damage} Aucun index précédent utilisable : relancez « eclaireur index » "
                               "pour reconstruire l'index.") from damage

    @classmethod
    def _open_build(cls, build: Path, model_fingerprint: str | None, search: VectorIndexConfig,
                    verify_hashes: bool, model_engine: str | None = None) -> IndexSnapshot:
        try:
            manifest = Manifest.load(build)
        except ManifestError as error:
            raise CorruptIndex(str(error)) from error
        if model_fingerprint is not None and manifest.model_fingerprint != model_fingerprint:
            if model_engine is not None and manifest.model_engine != model_engine:
                raise ModelMismatchError(
                    f"L'index {build} a été encodé avec le moteur « {manifest.model_engine} », mais le service utilise le "
                    f"moteur « {model_engine} » (ECLAIREUR_ENCODER) : leurs vecteurs ne sont pas comparables. Changer de "
                    "moteur demande de reconstruire l'index avec « eclaireur index », ou de revenir à "
                    f"ECLAIREUR_ENCODER={manifest.model_engine}.")
            raise ModelMismatchError(
                f"L'index {build} a été construit avec le modèle « {manifest.model_name} » "
                f"(empreinte {manifest.model_fingerprint}, {manifest.model_path}), mais le modèle chargé a l'empreinte "
                f"{model_fingerprint}. Reconstruisez l'index avec « eclaireur index » ou réglez ECLAIREUR_MODEL_PATH "
                "sur le modèle qui l'a construit."
            )
        if not manifest.index_files:
            logger.warning("L'index %s n'enregistre pas l'empreinte de ses fichiers (format %d) : ils ne peuvent pas être "
                           "vérifiés ; reconstruisez-le avec « eclaireur index ».", build, manifest.format_version)
        try:
            manifest.verify_files(build, hashes=verify_hashes)
        except DamagedIndexFile as error:
            raise CorruptIndex(str(error)) from error
        vectors = _load(build / FaissStore.FILE, lambda: FaissStore.load(build, search))
        lexical = _load(build / BM25Index.FILES[0], lambda: BM25Index.load(build))
        chunks = _load(build / ChunkStore.FILE, lambda: ChunkStore(build, read_only=True))
        _load(build / ChunkStore.FILE, chunks.counts)
        if len(vectors) != manifest.chunks or len(lexical) != manifest.chunks:
            raise CorruptIndex(f"Index incohérent dans {build} : {len(vectors)} vecteurs, {len(lexical)} entrées lexicales, "
                               f"{manifest.chunks} passages annoncés par le manifeste.")
        vector_ids, codes, document_ids = chunks.document_map()
        document_vectors, corpus_mean = _load(build / DOCUMENT_VECTORS, lambda: DocumentVectors.load(build).centered(document_ids)) \
            if DOCUMENT_VECTORS in manifest.index_files else (None, None)
        logger.info("Index chargé : %s (%d documents, %d passages)", build.name, manifest.documents, manifest.chunks)
        return cls(build, manifest, vectors, lexical, chunks, vector_ids, codes, document_ids,
                   document_vectors=document_vectors, corpus_mean=corpus_mean)

    def close(self) -> None:
        self.chunks.close()


def _load(path: Path, loader):
    try:
        return loader()
    except Exception as error:
        raise CorruptIndex(f"Fichier d'index illisible : {path} ({error.__class__.__name__}: {error})") from error


def _previous_builds(index_dir: Path, live: Path) -> list[Path]:
    """Other complete builds beside the live one, newest first (build folder names start with their date)."""
    builds = index_dir / BUILDS
    others = [p for p in builds.iterdir() if p.is_dir() and p.name != live.name and not p.name.startswith(PARTIAL_PREFIX)] \
        if builds.is_dir() else []
    return sorted(others, key=lambda p: p.name, reverse=True)
