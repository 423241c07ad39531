"""A complete index loaded from disk for querying: never modified, replaced whole by a newer one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .builder import current_build
from .chunkstore import ChunkStore
from .lexical import BM25Index
from .manifest import Manifest
from .vectors import FaissStore

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

    def documents_of(self, vector_ids: np.ndarray) -> list[str]:
        """The document id of each vector id (all must be in the index)."""
        positions = np.searchsorted(self.vector_ids, vector_ids)
        return [self.document_ids[code] for code in self.document_codes[positions]]

    @classmethod
    def open(cls, index_dir: Path, model_fingerprint: str | None = None, ef_search: int = 128) -> IndexSnapshot:
        """Load the live build of ``index_dir``; refuse it if ``model_fingerprint`` differs from its model's."""
        build = current_build(Path(index_dir))
        if build is None:
            raise IndexNotFound(f"Aucun index dans {index_dir} : lancez « eclaireur index » pour le construire.")
        manifest = Manifest.load(build)
        if model_fingerprint is not None and manifest.model_fingerprint != model_fingerprint:
            raise ModelMismatchError(
                f"L'index {build} a été construit avec le modèle « {manifest.model_name} » "
                f"(empreinte {manifest.model_fingerprint}, {manifest.model_path}), mais le modèle chargé a l'empreinte "
                f"{model_fingerprint}. Reconstruisez l'index avec « eclaireur index » ou réglez ECLAIREUR_MODEL_PATH "
                "sur le modèle qui l'a construit."
            )
        vectors = _load(build / FaissStore.FILE, lambda: FaissStore.load(build, ef_search=ef_search))
        lexical = _load(build / BM25Index.FILES[0], lambda: BM25Index.load(build))
        chunks = _load(build / ChunkStore.FILE, lambda: ChunkStore(build, read_only=True))
        _load(build / ChunkStore.FILE, chunks.counts)
        if len(vectors) != manifest.chunks or len(lexical) != manifest.chunks:
            raise CorruptIndex(f"Index incohérent dans {build} : {len(vectors)} vecteurs, {len(lexical)} entrées lexicales, "
                               f"{manifest.chunks} passages annoncés par le manifeste.")
        logger.info("Index chargé : %s (%d documents, %d passages)", build.name, manifest.documents, manifest.chunks)
        return cls(build, manifest, vectors, lexical, chunks, *chunks.document_map())

    def close(self) -> None:
        self.chunks.close()


def _load(path: Path, loader):
    try:
        return loader()
    except Exception as error:
        raise CorruptIndex(f"Fichier d'index illisible : {path} ({error.__class__.__name__}: {error})") from error
