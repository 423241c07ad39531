"""``Eclaireur``: the facade the CLI and the API share — one model, one live index, a retriever."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from index.builder import BuildReport, build_index, is_up_to_date
from index.chunkstore import StoredDocument
from index.embedding import Embedder
from index.snapshot import CorruptIndex, IndexNotFound, IndexSnapshot, ModelMismatchError

from .answers import Answer, AnswerComposer, Citation
from .encoding import SharedEncoder
from .followups import retrieval_query
from .generation import GenerationError, LLMClient
from .reindex import BuildFollower, ReindexJob
from .rerank import RerankClient
from .retention import DailyPurge
from .retrieval import Retriever, SearchFilters, SearchOutcome
from .settings import Settings
from .sources_sync import SourcesSyncJob
from .storage import INTERNAL, Caller, Database, Records, RecordsUnavailable
from .storage.console import WordingVector
from .storage.gaps import wording_key
from .storage.leases import BuildLease

ASK_DOCUMENTS = 8
DATABASE_DOWN = ("Base de suivi indisponible : les questions ne sont pas enregistrées et les avis sont refusés "
                 "jusqu'à son retour.")
GENERATION_PASSAGES = 5

logger = logging.getLogger(__name__)


@dataclass
class AskResult:
    answer: Answer
    answer_id: str
    conversation_id: str
    retrieval_query: str
    timings: dict[str, float]
    fallback_reason: str | None = None
    rerank_fallback: str | None = None


@dataclass(frozen=True)
class Health:
    ready: bool
    model: str
    model_fingerprint: str
    documents: int
    chunks: int
    built_at: str
    build: str  # the live build's folder name: an id, never a path (``/health`` answers without a key)
    vector_index: str
    encoder: str  # the engine encoding queries: torch, onnx or onnx-int8
    warnings: tuple[str, ...] = ()  # in French: e.g. a damaged index replaced by the previous build
    database: str = "ok"  # the records database answers (ok) or not (unavailable)


class Eclaireur:
    """Loads the model and the index once; ``reload`` swaps in a newer index without stopping queries."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.model_path, batch_size=settings.embedding_batch_size,
                                             engine=settings.encoder)
        self.encoder = SharedEncoder(self.embedder, settings.query_cache_size, settings.batching_config())
        self._lock = threading.Lock()
        self._retriever: Retriever | None = None
        self.composer = AnswerComposer(self.encoder, settings.answer_config())
        self.database = Database(settings.database_location(), timeout=settings.records_busy_timeout_seconds)
        self.records = Records(self.database, timedelta(hours=settings.conversation_ttl_hours), settings.record_question_text,
                               max_turns=settings.conversation_max_turns)
        self.builds = BuildLease(self.database, settings.reindex_lease_seconds)
        self.reindex = ReindexJob(self.build, self.builds)
        self.follower = BuildFollower(self.builds, self.live_build, self.reload)
        self._skipped_lock = threading.Lock()
        self.records_skipped = 0  # questions answered but not recorded (database unavailable), for /metrics
        self.retention = DailyPurge(self.database, settings.question_retention_days)
        self.sources_sync = SourcesSyncJob(self.sync_sources, self.build)
        llm_config = settings.llm_config()
        self.llm = LLMClient(llm_config) if llm_config else None
        rerank_config = settings.rerank_config()
        self.reranker = RerankClient(rerank_config) if rerank_config else None

    def build(self, on_progress=None, progress: bool = False) -> BuildReport:
        """Bring the index of the corpus up to date (incremental), then swap the result in."""
        report = build_index(self.settings.corpus(), self.settings.index_dir, self.settings.index_config(),
                             embedder=self.embedder, progress=progress, on_progress=on_progress)
        self.reload()
        try:
            self.builds.announce(self.live_build())
        except RecordsUnavailable as error:
            logger.warning("Construction non annoncée aux autres processus : %s", error)
        return report

    def sync_sources(self, name: str | None = None, on_page=None) -> list:
        """Fetch the web sources (``sources.toml``) into the corpus; the index update is the caller's next step."""
        from index.web.sync import sync_sources

        return sync_sources(self.settings.sources_path, self.settings.sync_options(), name, on_page)

    def ensure_index(self, progress: bool = False) -> BuildReport | None:
        """Build the index when it is missing or stale, then load it; None when it was already current."""
        if is_up_to_date(self.settings.corpus(), self.settings.index_dir, self.settings.index_config()):
            self.reload()
            return None
        logger.info("Index absent ou périmé : construction depuis %s", self.settings.corpus_dir)
        return self.build(progress=progress)

    def open_for_serving(self, progress: bool = False) -> BuildReport | None:
        """Serve at once from the last complete index and bring it up to date in the background; build before
        serving only when no usable index exists (none yet, another model, damaged beyond fallback)."""
        if self.settings.sources_sync_hours:
            self.sources_sync.schedule(self.settings.sources_sync_hours)
        self.retention.start()
        self.follower.start(self.settings.build_poll_seconds)
        if is_up_to_date(self.settings.corpus(), self.settings.index_dir, self.settings.index_config()):
            self.reload()
            return None
        try:
            self.reload()
        except (IndexNotFound, ModelMismatchError, CorruptIndex) as reason:
            logger.info("Pas d'index utilisable (%s) : construction avant de servir", reason)
            return self.build(progress=progress)
        logger.info("Index périmé : l'index complet précédent reste en service pendant sa mise à jour en arrière-plan")
        try:
            self.reindex.start()
        except RecordsUnavailable as error:
            logger.warning("Mise à jour de l'index reportée (bail de construction inaccessible) : %s", error)
        return None

    def reload(self) -> None:
        snapshot = IndexSnapshot.open(self.settings.index_dir, self.embedder.fingerprint, self.settings.vector_index_config(),
                                      verify_hashes=self.settings.verify_index_hashes, model_engine=self.embedder.engine)
        with self._lock:
            previous, self._retriever = self._retriever, Retriever(snapshot, self.encoder, self.settings.retrieval_config(),
                                                                         self.reranker)
        if previous is not None and previous.snapshot.path != snapshot.path:
            logger.info("Nouvel index en service : %s", snapshot.path.name)

    @property
    def ready(self) -> bool:
        """An index is loaded: requests can be served (without asking the database, unlike ``health``)."""
        return self._retriever is not None

    def live_build(self) -> str:
        """The id of the build in service (its folder's name), or "" before the first load."""
        retriever = self._retriever
        return retriever.snapshot.path.name if retriever is not None else ""

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self.reload()
        return self._retriever

    def search(self, query: str, k: int = 10, mode: str | None = None, filters: SearchFilters = SearchFilters(),
               rerank: bool = False) -> SearchOutcome:
        return self.retriever.search(query, k=k, mode=mode or self.settings.default_mode, filters=filters, rerank=rerank)

    def ask(self, question: str, conversation_id: str | None = None, filters: SearchFilters = SearchFilters(),
            channel: str = "api", caller: Caller = INTERNAL) -> AskResult:
        """Answer a question with citations, in the context of its conversation; record it as ``caller``'s.

        Raises ``ForeignRecord`` when the conversation belongs to another caller.

        When the records store is unavailable (unreachable, locked, read-only, disk full), the question is still
        answered, without its conversation history; it is not logged (a warning says so, ``records_skipped``
        counts it) and ``answer_id`` is empty.
        """
        started = time.perf_counter()
        try:
            history = self.records.history(conversation_id, caller) if conversation_id else None
            recorded = True
        except RecordsUnavailable as error:
            self._skip_record(error)
            history, recorded = None, False
        new = history is None  # the conversation is created with the answer's record: one write for both
        if new and (recorded or not conversation_id):
            conversation_id = uuid.uuid4().hex
        query = retrieval_query(question, history or [])
        retriever = self.retriever
        outcome = retriever.search(query, k=ASK_DOCUMENTS, mode="hybrid", filters=filters, rerank=self.reranker is not None)
        retrieved = time.perf_counter()
        answer = self.composer.compose(question, outcome, retriever.snapshot)
        fallback = None
        if self.llm is not None and answer.status == "answered":
            try:
                answer = self._generate(question, outcome, answer)
            except GenerationError as error:
                fallback = f"Réponse extractive : {error}."
                logger.warning("Génération impossible, repli extractif : %s", error)
        composed = time.perf_counter()
        timings = {"retrieval_ms": round((retrieved - started) * 1000, 2), "answer_ms": round((composed - retrieved) * 1000, 2),
                   "total_ms": round((composed - started) * 1000, 2)}
        answer_id = ""
        try:
            if recorded:
                kept = None
                if answer.status == "no_answer" and self.records.keep_question_text:
                    wording = question.strip()
                    vector = outcome.query_vector if outcome.query == wording and outcome.query_vector is not None \
                        else self.encoder.encode_query(wording)
                    kept = WordingVector(wording_key(question), self.embedder.fingerprint, vector)
                answer_id = self.records.record_exchange(conversation_id, new, question, query, answer.status,
                                                         answer.confidence, channel, timings["total_ms"], caller, answer.text,
                                                         answer_sources(answer), kept)
        except RecordsUnavailable as error:
            self._skip_record(error)
        return AskResult(answer, answer_id, conversation_id, query, timings, fallback, outcome.rerank_fallback)

    def _skip_record(self, error: RecordsUnavailable) -> None:
        logger.warning("Question non enregistrée, réponse donnée quand même : %s", error)
        with self._skipped_lock:
            self.records_skipped += 1

    def _generate(self, question: str, outcome: SearchOutcome, extractive: Answer) -> Answer:
        passages = extractive.passages[:GENERATION_PASSAGES]  # the reader's choice, best first
        generated = self.llm.generate(question, passages)
        if generated.refused:
            return AnswerComposer.no_answer(outcome.results[:5], extractive.confidence, extractive.signals)
        citations = [Citation(new, passages[old - 1], passages[old - 1].text) for new, old in enumerate(generated.cited, start=1)]
        cited = {c.chunk.document_id for c in citations}
        related = [r for r in outcome.results if r.best.chunk.document_id not in cited][:5]
        return Answer("answered", generated.text, extractive.confidence, citations, related, "generative", extractive.signals)

    def feedback(self, answer_id: str, useful: bool, comment: str | None, caller: Caller = INTERNAL) -> bool:
        return self.records.record_feedback(answer_id, useful, comment, caller)

    def forget_conversation(self, conversation_id: str, caller: Caller = INTERNAL) -> bool:
        return self.records.forget_conversation(conversation_id, caller)

    def stats(self, days: int = 30) -> dict:
        return self.records.stats(datetime.now(UTC) - timedelta(days=days))

    def document(self, document_id: str) -> StoredDocument | None:
        return self.retriever.snapshot.chunks.document(document_id)

    def documents(self, offset: int, limit: int) -> tuple[list[tuple[str, str, str]], int]:
        """A page of the index's documents: (id, title, type) sorted by id, and the total count."""
        return self.retriever.snapshot.chunks.catalogue(offset, limit)

    def health(self) -> Health:
        retriever = self._retriever
        database = "ok" if self.database.ping() else "unavailable"
        if retriever is None:
            return Health(False, self.embedder.name, self.embedder.fingerprint, 0, 0, "", "", "",
                          self.embedder.engine, database=database)
        manifest = retriever.snapshot.manifest
        warnings = tuple(self._without_paths(w) for w in retriever.snapshot.warnings)
        return Health(True, manifest.model_name, manifest.model_fingerprint, manifest.documents, manifest.chunks,
                      manifest.built_at, retriever.snapshot.path.name, manifest.vector_index.get("type", ""),
                      self.embedder.engine, warnings + ((DATABASE_DOWN,) if database != "ok" else ()), database)

    def _without_paths(self, text: str) -> str:
        """A warning for ``/health``: the index folder's absolute path removed, build and file names kept."""
        for folder in {str(self.settings.index_dir.resolve()), str(self.settings.index_dir)}:
            text = text.replace(folder + "/", "")
        return text


def answer_sources(answer: Answer) -> list[dict]:
    """The documents an answer cites, or for a no_answer the closest ones it lists: what editors look at first."""
    chunks = [c.chunk for c in answer.citations] or [r.best.chunk for r in answer.related]
    return [{"document_id": d, "title": t} for d, t in dict.fromkeys((c.document_id, c.title) for c in chunks)]
