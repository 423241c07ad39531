"""Keys, scopes, rate limits, body size and CORS, as a client on the network sees them."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from assistant.api.security import KeyRing, RateLimiter, read_keys_file

SEARCH_KEY, ADMIN_KEY = "cle-recherche-0123456789", "cle-admin-9876543210"


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
