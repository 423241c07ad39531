"""How the server holds up against slow or silent clients, and what its access log keeps."""

from __future__ import annotations

import socket

import httpx
import pytest
from support import LiveServer

from assistant.api.app import create_app

GENEROUS = 30  # seconds: far above the 1 s deadline, only there so that a regression fails instead of hanging


@pytest.mark.parametrize("sent", [b"", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lent: ", b"POST /ask HTTP/1.1\r\n"
                                  b"Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"qu"])
def test_a_client_that_never_finishes_its_request_is_disconnected(default_service, serve, sent):
    server = serve(default_service, request_read_timeout_seconds=1)
    with socket.create_connection(("127.0.0.1", server.port)) as half_open:
        half_open.sendall(sent)
        half_open.settimeout(GENEROUS)
        try:
            received = half_open.recv(1024)
        except TimeoutError:
            pytest.fail(f"connexion encore ouverte après {GENEROUS} s")
        assert received == b"" or b" 408 " in received or b" 400 " in received
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200  # a complete request is still served


@pytest.mark.parametrize("keep_text", [True, False])
def test_the_access_log_keeps_the_question_only_when_question_texts_are_kept(default_service, capfd, keep_text):
    settings = default_service.settings.model_copy(update={"record_question_text": keep_text})
    with LiveServer(create_app(settings, service=default_service), log_level="info") as server:
        assert httpx.get(f"{server.url}/search", params={"q": "dossier fiscal 4455667"}, timeout=30).status_code == 200
    captured = capfd.readouterr()
    log = captured.out + captured.err
    assert '"GET /search' in log
    assert ("4455667" in log) is keep_text
    if not keep_text:
        assert '"GET /search HTTP/1.1" 200' in log


def test_connections_beyond_the_limit_are_turned_away_with_503(default_service, serve):
    server = serve(default_service, max_connections=2)
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
    try:
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 503
    finally:
        for connection in idle:
            connection.close()


def test_an_idle_connection_stays_open_as_long_as_configured_for_a_proxy_in_front(default_service, serve):
    server = serve(default_service, keep_alive_seconds=30)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        assert _health_over(connection).startswith(b"HTTP/1.1 200")
        connection.settimeout(7)  # longer than the 5 s default keep-alive: the server has not closed the connection
        with pytest.raises(TimeoutError):
            connection.recv(1)
        connection.settimeout(10)
        assert _health_over(connection).startswith(b"HTTP/1.1 200")


def _health_over(connection: socket.socket) -> bytes:
    """One GET /health on an open connection, its whole response read (head, then the body its length announces)."""
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received:
        received += _more(connection)
    head, body = received.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += _more(connection)
    return head


def _more(connection: socket.socket) -> bytes:
    data = connection.recv(65536)
    assert data, "the server closed the connection"
    return data
