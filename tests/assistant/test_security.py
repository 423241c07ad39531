"""Keys, scopes, rate limits, proxies, body size and CORS, as a client on the network sees them."""

from __future__ import annotations

import hashlib
import time

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from support import run_async

from assistant.api.admission import RateLimiter
from assistant.api.app import create_app
from assistant.api.keys import KeyRing, hash_key, read_keys_file
from assistant.api.security import server_options
from assistant.cli import main

SEARCH_KEY, ADMIN_KEY = "cle-recherche-0123456789", "cle-admin-9876543210-abcdef"


def test_without_keys_admin_is_disabled_and_search_is_open_locally(api):
    assert api.get("/search", params={"q": "laboratoire"}).status_code == 200
    response = api.get("/admin/stats")
    assert response.status_code == 403 and "Administration désactivée" in response.json()["detail"]


def test_with_keys_every_endpoint_checks_key_and_scope(default_service, serve):
    server = serve(default_service, api_keys=[SEARCH_KEY], admin_api_keys=[ADMIN_KEY])
    with httpx.Client(base_url=server.url) as client:
        missing = client.get("/search", params={"q": "laboratoire"})
        assert missing.status_code == 401 and "X-API-Key" in missing.json()["detail"]
        assert client.get("/search", params={"q": "laboratoire"}, headers={"X-API-Key": "mauvaise"}).status_code == 401
        assert client.get("/search", params={"q": "laboratoire"}, headers={"X-API-Key": SEARCH_KEY}).status_code == 200
        assert client.post("/ask", json={"question": "laboratoire"}, headers={"Authorization": f"Bearer {SEARCH_KEY}"}).status_code == 200
        forbidden = client.get("/admin/stats", headers={"X-API-Key": SEARCH_KEY})
        assert forbidden.status_code == 403 and "admin" in forbidden.json()["detail"]
        assert client.get("/admin/stats", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
        assert client.get("/search", params={"q": "laboratoire"}, headers={"X-API-Key": ADMIN_KEY}).status_code == 200
        assert client.get("/health").status_code == 200  # monitoring needs no key


def test_keys_file_holds_only_hashes(tmp_path):
    digest = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    keys_file = tmp_path / "cles.txt"
    keys_file.write_text(f"# clés de production\nadmin:{digest}:intranet-ministere\n", encoding="utf-8")
    ring = KeyRing(read_keys_file(keys_file))
    assert ring.identify(ADMIN_KEY).name == "intranet-ministere"
    assert ring.identify("autre") is None and ring.has_scope("search") and ring.has_scope("admin")
    keys_file.write_text("lecture:abc\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ligne 1"):
        read_keys_file(keys_file)


def test_rate_limit_answers_429_with_retry_after(default_service, serve):
    server = serve(default_service, ip_rate_limit_per_minute=3)
    with httpx.Client(base_url=server.url) as client:
        statuses = [client.get("/search", params={"q": "laboratoire", "mode": "lexical"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/search", params={"q": "laboratoire"})
        assert int(limited.headers["Retry-After"]) >= 1 and "Trop de requêtes" in limited.json()["detail"]


def test_token_bucket_refills_over_time():
    limiter = RateLimiter()
    assert limiter.retry_after(("ip", "a"), 60) == 0
    for _ in range(59):
        limiter.retry_after(("ip", "a"), 60)
    assert 0 < limiter.retry_after(("ip", "a"), 60) <= 1.0
    assert limiter.retry_after(("ip", "b"), 60) == 0


def test_oversized_bodies_are_refused_with_413(api):
    response = api.post("/search", content=b'{"q": "' + b"a" * 200_000 + b'"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "trop volumineuse" in response.json()["detail"]


def test_cors_allows_only_configured_origins(default_service, serve):
    server = serve(default_service, cors_origins=["https://intranet.example.gouv.fr"])
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"}
    allowed = httpx.options(f"{server.url}/ask", headers={"Origin": "https://intranet.example.gouv.fr", **preflight})
    assert allowed.headers.get("access-control-allow-origin") == "https://intranet.example.gouv.fr"
    other = httpx.options(f"{server.url}/ask", headers={"Origin": "https://ailleurs.example.com", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_a_key_is_limited_on_its_own_quota_not_its_address(default_service, serve):
    server = serve(default_service, api_keys=[SEARCH_KEY], rate_limit_per_minute=2, ip_rate_limit_per_minute=1)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": SEARCH_KEY}) as client:
        statuses = [client.get("/search", params={"q": "laboratoire", "mode": "lexical"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# ---------- proxies and "local only" mode ----------

def call_as(asgi_app, peer: str, path: str, headers: dict | None = None) -> httpx.Response:
    """A request reaching ``asgi_app`` from the socket address ``peer`` (only loopback is reachable in tests)."""
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=asgi_app, client=(peer, 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            return await client.get(path, headers=headers)
    return run_async(send())


def as_uvicorn_serves_it(service, **overrides):
    """The application wrapped exactly as ``eclaireur serve`` has uvicorn wrap it (proxy middleware included)."""
    settings = service.settings.model_copy(update=overrides)
    config = uvicorn.Config(create_app(settings, service=service), **server_options(settings))
    config.load()
    return config.loaded_app


def test_forwarded_for_never_makes_a_remote_caller_local(default_service, monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # read by uvicorn itself unless told otherwise
    app = as_uvicorn_serves_it(default_service)
    spoofed = call_as(app, "203.0.113.7", "/search?q=laboratoire", {"X-Forwarded-For": "127.0.0.1, 8.8.8.8"})
    assert spoofed.status_code == 403 and "appels locaux" in spoofed.json()["detail"]
    assert call_as(app, "127.0.0.1", "/search?q=laboratoire").status_code == 200


def test_a_request_relayed_by_a_trusted_proxy_is_never_local(default_service):
    app = as_uvicorn_serves_it(default_service, trusted_proxies=["203.0.113.7"])
    relayed = call_as(app, "203.0.113.7", "/search?q=laboratoire", {"X-Forwarded-For": "127.0.0.1"})
    assert relayed.status_code == 403


def test_a_keyless_service_answers_only_requests_addressed_to_this_machine(default_service):
    """DNS rebinding: a web page at evil.example, its name re-pointed at 127.0.0.1, sends the browser's requests
    from loopback, but with its own name in Host."""
    app = create_app(default_service.settings, service=default_service)
    rebound = call_as(app, "127.0.0.1", "/search?q=laboratoire", {"Host": "evil.example:8000"})
    assert rebound.status_code == 403 and "appels locaux" in rebound.json()["detail"]
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert call_as(app, "127.0.0.1", "/search?q=laboratoire", {"Host": host}).status_code == 200


def test_the_test_client_name_is_not_a_local_address(default_service):
    app = create_app(default_service.settings, service=default_service)
    assert call_as(app, "testclient", "/search?q=laboratoire").status_code == 403


def test_rotating_forwarded_for_does_not_escape_the_per_ip_limit(default_service, serve, monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    server = serve(default_service, ip_rate_limit_per_minute=3)
    with httpx.Client(base_url=server.url) as client:
        statuses = [client.get("/search", params={"q": "laboratoire", "mode": "lexical"},
                               headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(4)]
    assert statuses[-1] == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(default_service, serve):
    server = serve(default_service, api_keys=[SEARCH_KEY], trusted_proxies=["127.0.0.1"], ip_rate_limit_per_minute=2)
    with httpx.Client(base_url=server.url) as client:
        def status(client_address: str) -> int:
            return client.get("/search", params={"q": "laboratoire"}, headers={"X-Forwarded-For": client_address}).status_code
        assert [status("198.51.100.1") for _ in range(3)] == [401, 401, 429]
        assert status("198.51.100.2") == 401


def test_server_options_ignore_proxy_variables_of_the_environment(default_service, monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert server_options(default_service.settings) == {"proxy_headers": False, "forwarded_allow_ips": []}
    trusted = default_service.settings.model_copy(update={"trusted_proxies": ["10.0.0.2"]})
    assert server_options(trusted) == {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.2"]}


# ---------- credential guessing and weak keys ----------

def test_wrong_keys_are_limited_per_address_even_when_the_right_key_follows(default_service, serve):
    server = serve(default_service, api_keys=[SEARCH_KEY], auth_failures_per_minute=3)
    with httpx.Client(base_url=server.url, params={"q": "laboratoire"}) as client:
        guesses = [client.get("/search", headers={"X-API-Key": f"essai-{n:024d}"}) for n in range(4)]
        assert [g.status_code for g in guesses] == [401, 401, 401, 429]
        assert int(guesses[-1].headers["Retry-After"]) >= 1 and "clés d'API erronées" in guesses[-1].json()["detail"]
        # Locked out: a right guess gets the same 429, so it cannot be told apart.
        assert client.get("/search", headers={"X-API-Key": SEARCH_KEY}).status_code == 429


def test_short_keys_stop_the_start_up_with_a_french_message(default_service):
    settings = default_service.settings.model_copy(update={"admin_api_keys": ["secret-trop-court"]})
    with pytest.raises(ValueError, match="ECLAIREUR_ADMIN_API_KEYS est trop courte .17 caractères.") as refused:
        create_app(settings, service=default_service)
    assert "secret-trop-court" not in str(refused.value) and "eclaireur keys new" in str(refused.value)


def test_keys_new_prints_a_strong_key_and_its_hashed_line(capsys, tmp_path):
    assert main(["keys", "new", "--scope", "metrics", "--name", "prometheus"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line and not line.endswith(":")]
    key, line = lines
    assert len(key) >= 40 and line == f"metrics:{hash_key(key)}:prometheus"
    (tmp_path / "cles.txt").write_text(line + "\n", encoding="utf-8")
    assert KeyRing(read_keys_file(tmp_path / "cles.txt")).identify(key).scope == "metrics"


# ---------- metrics ----------

def metric_series(text: str) -> set[str]:
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_made_up_methods_and_paths_never_create_metric_series(default_service, serve):
    server = serve(default_service, admin_api_keys=[ADMIN_KEY])
    with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}) as client:
        client.request("INVENTEE", "/chemin-inconnu")
        client.get("/documents/inconnu.md")
        client.get("/metrics")
        before = metric_series(client.get("/metrics").text)
        for n in range(500):
            client.request(f"METHODE{n}", f"/chemin-{n}")
        client.get("/documents/autre-inconnu.md")
        after = metric_series(client.get("/metrics").text)
    assert after == before
    assert any('method="OTHER"' in series and 'endpoint="non routé"' in series for series in after)
    assert any('endpoint="/documents/{document_id:path}"' in series for series in after)


def test_metrics_need_a_metrics_or_admin_key(default_service, serve, tmp_path):
    metrics_key = "cle-prometheus-0123456789-abcdef"
    keys_file = tmp_path / "cles.txt"
    keys_file.write_text(f"metrics:{hash_key(metrics_key)}:prometheus\n", encoding="utf-8")
    server = serve(default_service, api_keys=[SEARCH_KEY], admin_api_keys=[ADMIN_KEY], api_keys_file=keys_file)
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": SEARCH_KEY}).status_code == 403
        assert client.get("/metrics", headers={"X-API-Key": metrics_key}).status_code == 200
        assert client.get("/metrics", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
        assert client.get("/search", params={"q": "laboratoire"}, headers={"X-API-Key": metrics_key}).status_code == 403


# ---------- signed document links ----------

def test_with_keys_document_links_are_signed_for_their_document_and_open_without_a_key(default_service, serve):
    from assistant.api.links import LinkSigner

    server = serve(default_service, api_keys=[SEARCH_KEY])
    with httpx.Client(base_url=server.url) as client:
        results = client.get("/search", params={"q": "laboratoire", "k": 2}, headers={"X-API-Key": SEARCH_KEY}).json()["results"]
        first, second = (r["url"] for r in results)
        assert first.startswith("/documents/") and "sig=" in first and "exp=" in first
        page = client.get(first, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<h1>" in page.text
        assert client.get(first.split("?")[0]).status_code == 401

        tampered = client.get(first[:-3] + ("AAA" if not first.endswith("AAA") else "BBB"))
        assert tampered.status_code == 403 and "Lien de document invalide" in tampered.json()["detail"]
        borrowed = client.get(second.split("?")[0] + "?" + first.split("?")[1])  # another document's signature
        assert borrowed.status_code == 403

        document_id = results[0]["document_id"]
        expired = LinkSigner.from_settings(server.server.config.app.state.settings).link(document_id, now=time.time() - 91 * 86400)
        refused = client.get(expired)
        assert refused.status_code == 403 and "expiré" in refused.json()["detail"]

    rotated = serve(default_service, api_keys=[SEARCH_KEY], link_signing_secret=SecretStr("un-autre-secret-0123456789abcdef"))
    assert httpx.get(rotated.url + first).status_code == 403


def test_without_keys_document_links_stay_plain(api):
    result = api.get("/search", params={"q": "laboratoire", "k": 1}).json()["results"][0]
    assert result["url"] == f"/documents/{result['document_id']}"


def test_metrics_listen_serves_only_metrics_without_a_key(default_service):
    from support import free_port

    from assistant.api.metrics import serve_metrics

    app = create_app(default_service.settings.model_copy(update={"admin_api_keys": [ADMIN_KEY]}), service=default_service)
    scraper = serve_metrics(app, f"127.0.0.1:{free_port()}", "warning")
    try:
        for _ in range(200):
            if scraper.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{scraper.config.port}"
        scraped = httpx.get(f"{base}/metrics")
        assert scraped.status_code == 200 and "eclaireur_index_documents" in scraped.text
        assert httpx.get(f"{base}/search", params={"q": "laboratoire"}).status_code == 404
    finally:
        scraper.should_exit = True
