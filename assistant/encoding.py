"""``SharedEncoder``: one model shared by concurrent requests.

Encoding the query dominates a search on a CPU. Requests served at the same time put their texts in one
queue; a single worker thread drains it and runs them as one forward pass (at most ``max_batch`` texts,
waiting at most ``max_wait_ms`` for company), so concurrent requests share the model instead of fighting
over the cores. Queries go before passages: a search never waits behind other callers' passages, however
many are queued. Query vectors are also kept in an LRU cache: as-you-type prefixes, follow-ups and answer
composition ask for the same text again.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from index.embedding import Embedder

logger = logging.getLogger(__name__)

QUERY, PASSAGE = "query", "passage"
PASSAGE_BATCH = 8  # answer sentences vary in length: small model batches pad less
PASSAGE_SLICE = 2  # a query arriving while passages are encoded waits for at most this many of them
PRIORITY = {QUERY: 0, PASSAGE: 1}
STOP = 2  # after every job already queued


@dataclass(frozen=True)
class BatchingConfig:
    enabled: bool = True
    max_batch: int = 32
    max_wait_ms: float = 2.0


@dataclass
class _Job:
    kind: str
    texts: list[str]
    result: Future = field(default_factory=Future)


class SharedEncoder:
    """The ``Embedder``'s query and passage encoding, batched across requests and cached for queries."""

    def __init__(self, embedder: Embedder, cache_size: int = 4096, batching: BatchingConfig = BatchingConfig()) -> None:
        self.embedder = embedder
        self.batching = batching
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._jobs: queue.PriorityQueue[tuple[int, int, _Job | None]] = queue.PriorityQueue()
        self._order = itertools.count()  # first come, first served within a priority
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._last_batch_jobs = 0
        self.batches = 0  # forward passes run for requests (by the worker when batching), for metrics and tests
        self.batched_texts = 0

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector (read-only: it may be shared through the cache)."""
        with self._cache_lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
                return vector
        vector = self._encode(QUERY, [text])[0]
        vector.setflags(write=False)
        if self.cache_size:
            with self._cache_lock:
                self._cache[text] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return vector

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(QUERY, texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(PASSAGE, texts)

    def close(self) -> None:
        """Stop the worker thread (requests still queued are served first)."""
        with self._worker_lock:
            if self._worker is not None:
                self._jobs.put((STOP, next(self._order), None))
                self._worker.join()
                self._worker = None

    def _encode(self, kind: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not self.batching.enabled:
            vectors = self._run_model(kind, texts)
            with self._cache_lock:
                self._count_pass(len(texts))
            return vectors
        self._ensure_worker()
        job = _Job(kind, list(texts))
        self._jobs.put((PRIORITY[kind], next(self._order), job))
        return job.result.result()

    def _run_model(self, kind: str, texts: list[str]) -> np.ndarray:
        if kind == QUERY:
            return self.embedder.encode_queries(texts)
        return self.embedder.encode_passages(texts, batch_size=PASSAGE_BATCH)

    def _ensure_worker(self) -> None:
        with self._worker_lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="eclaireur-encoder", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            jobs, stop = self._next_batch()
            if jobs:
                self._serve(jobs)
            if stop:
                return

    def _next_batch(self) -> tuple[list[_Job], bool]:
        """Block for a first job, then take what else is queued, up to ``max_batch`` texts. Under concurrent
        load (the last batch served several requests) wait up to ``max_wait_ms`` for more; a lone user
        never waits."""
        first = self._jobs.get()[2]
        if first is None:
            return [], True
        jobs, size = [first], len(first.texts)
        wait = self.batching.max_wait_ms / 1000 if self._last_batch_jobs > 1 else 0.0
        deadline = time.monotonic() + wait
        while size < self.batching.max_batch:
            try:
                job = (self._jobs.get(timeout=max(0.0, deadline - time.monotonic())) if wait else self._jobs.get_nowait())[2]
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            jobs.append(job)
            size += len(job.texts)
        self._last_batch_jobs = len(jobs)
        return jobs, False

    def _serve(self, jobs: list[_Job]) -> None:
        """One forward pass per kind of text; identical texts (the same query typed by many) encoded once."""
        for kind in (QUERY, PASSAGE):
            group = [job for job in jobs if job.kind == kind]
            if group:
                self._serve_group(kind, group)

    def _run_passages(self, texts: list[str]) -> np.ndarray:
        """Passages a few at a time, serving the queries that arrive meanwhile between two slices."""
        parts = []
        for start in range(0, len(texts), PASSAGE_SLICE):
            self._serve_waiting_queries()
            parts.append(self._run_model(PASSAGE, texts[start:start + PASSAGE_SLICE]))
        return np.concatenate(parts)

    def _serve_waiting_queries(self) -> None:
        waiting = []
        while True:
            with self._jobs.mutex:  # only this worker takes jobs out: the head seen here is the one taken next
                head = self._jobs.queue[0] if self._jobs.queue else None
            if head is None or head[0] != PRIORITY[QUERY]:
                break
            waiting.append(self._jobs.get_nowait()[2])
        if waiting:
            self._serve_group(QUERY, waiting)

    def _count_pass(self, texts: int) -> None:
        self.batches += 1
        self.batched_texts += texts

    def _serve_group(self, kind: str, group: list[_Job]) -> None:
        unique = list(dict.fromkeys(text for job in group for text in job.texts))
        try:
            vectors = self._run_model(kind, unique) if kind == QUERY else self._run_passages(unique)
        except Exception as error:
            if len(group) > 1:  # one bad text must not fail its neighbours: retry each request alone
                for job in group:
                    self._serve_group(kind, [job])
                return
            logger.warning("Échec de l'encodage de %d textes : %s", len(unique), error)
            group[0].result.set_exception(error)
            return
        self._count_pass(len(unique))
        row = {text: i for i, text in enumerate(unique)}
        for job in group:
            job.result.set_result(vectors[[row[text] for text in job.texts]])
