"""``Eclaireur``: the facade the CLI and the API share — one model, one live index, a retriever."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from index.builder import BuildReport, build_index, is_up_to_date
from index.chunkstore import StoredDocument
from index.embedding import Embedder
from index.snapshot import IndexSnapshot
from index.sources import CorpusFolder

from .retrieval import Retriever, SearchFilters, SearchOutcome
from .settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    ready: bool
    model: str
    model_fingerprint: str
    documents: int
    chunks: int
    built_at: str
    index_path: str
    vector_index: str


class Eclaireur:
    """Loads the model and the index once; ``reload`` swaps in a newer index without stopping queries."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.model_path, batch_size=settings.embedding_batch_size)
        self._lock = threading.Lock()
        self._retriever: Retriever | None = None

    def build(self, corpus_dir: Path | None = None, progress: bool = False) -> BuildReport:
        """Bring the index of the corpus up to date (incremental), then serve the result."""
        report = build_index(CorpusFolder(corpus_dir or self.settings.corpus_dir), self.settings.index_dir,
                             self.settings.index_config(), embedder=self.embedder, progress=progress)
        self.reload()
        return report

    def ensure_index(self, progress: bool = False) -> BuildReport | None:
        """Build the index when it is missing or stale, then load it; None when it was already current."""
        corpus = CorpusFolder(self.settings.corpus_dir)
        report = None
        if not is_up_to_date(corpus, self.settings.index_dir, self.settings.index_config()):
            logger.info("Index absent ou périmé : construction depuis %s", self.settings.corpus_dir)
            report = build_index(corpus, self.settings.index_dir, self.settings.index_config(),
                                 embedder=self.embedder, progress=progress)
        self.reload()
        return report

    def reload(self) -> None:
        snapshot = IndexSnapshot.open(self.settings.index_dir, self.embedder.fingerprint, self.settings.hnsw_ef_search)
        with self._lock:
            previous, self._retriever = self._retriever, Retriever(snapshot, self.embedder, self.settings.retrieval_config())
        if previous is not None and previous.snapshot.path != snapshot.path:
            logger.info("Nouvel index en service : %s", snapshot.path.name)

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self.reload()
        return self._retriever

    def search(self, query: str, k: int = 10, mode: str | None = None, filters: SearchFilters = SearchFilters()) -> SearchOutcome:
        return self.retriever.search(query, k=k, mode=mode or self.settings.default_mode, filters=filters)

    def document(self, document_id: str) -> StoredDocument | None:
        return self.retriever.snapshot.chunks.document(document_id)

    def health(self) -> Health:
        retriever = self._retriever
        if retriever is None:
            return Health(False, self.embedder.name, self.embedder.fingerprint, 0, 0, "", str(self.settings.index_dir), "")
        manifest = retriever.snapshot.manifest
        return Health(True, manifest.model_name, manifest.model_fingerprint, manifest.documents, manifest.chunks,
                      manifest.built_at, str(retriever.snapshot.path), manifest.vector_index.get("type", ""))
