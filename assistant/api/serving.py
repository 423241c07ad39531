"""How ``eclaireur serve`` runs uvicorn: only the configured proxies trusted, a bounded number of connections,
a deadline for each request to arrive, and an access log without query strings when questions are not kept."""

from __future__ import annotations

import copy
import logging

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..settings import Settings
from .security import server_options

MAX_HEADER_BYTES = 16 * 1024  # a request head larger than this gets a 400


class RequestDeadline(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's arrival, head and body.

    uvicorn arms no timer until a request's head is complete, so a client that sends half its headers, or
    nothing, would hold its connection (and a slot of ``limit_concurrency``) forever. Once a request has fully
    arrived the deadline is lifted: the time the answer takes is the server's, not the client's.
    """

    read_timeout = 10.0

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:  # the next request on a kept-alive connection
            self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._lift_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lift_deadline()
        super().connection_lost(exc)

    def _lift_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


class WithoutQueryString(logging.Filter):
    """uvicorn's access log line with the path only: ``GET /search?q=…`` is logged as ``GET /search``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > 2 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], record.args[2].split("?", 1)[0], *record.args[3:])
        return True


def uvicorn_options(settings: Settings) -> dict:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config``, from the settings alone."""
    protocol = type("RequestDeadline", (RequestDeadline,), {"read_timeout": settings.request_read_timeout_seconds})
    return server_options(settings) | {
        "http": protocol, "timeout_keep_alive": settings.keep_alive_seconds, "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "limit_concurrency": settings.max_connections, "log_config": log_config(settings),
    }


def log_config(settings: Settings) -> dict:
    """uvicorn's logging configuration; without question texts, the access log drops query strings."""
    config = copy.deepcopy(LOGGING_CONFIG)
    if not settings.record_question_text:
        config["filters"] = {"sans_requete": {"()": WithoutQueryString}}
        config["handlers"]["access"]["filters"] = ["sans_requete"]  # on the handler: a new one at each start
    return config
