"""Web sources from the API and on a schedule: POST /admin/sources/sync runs in the background, GET /admin/sources
shows its progress and report, ECLAIREUR_SOURCES_SYNC_HOURS runs it in the service."""

from __future__ import annotations

import time

import httpx
from loopback_site import PDF_TEXT
from support import PATIENT_TIMEOUT_SECONDS, write_corpus

from assistant.service import Eclaireur
from assistant.settings import Settings

ADMIN_KEY = "cle-admin-sources-0123456789"


def sources_service(tmp_path, site, model_path, embedder, **overrides) -> Eclaireur:
    (tmp_path / "sources.toml").write_text(f'''[[source]]
name = "portail"
start_url = "{site.base}/"
exclude = ["/calendrier"]
max_depth = 2
delay_seconds = 0
intranet = true
''', encoding="utf-8")
    settings = Settings(corpus_dir=write_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index",
                        records_path=tmp_path / "records.sqlite", model_path=model_path, admin_api_keys=[ADMIN_KEY],
                        sources_file=tmp_path / "sources.toml", sources_state_dir=tmp_path / "state",
                        sources_timeout_seconds=PATIENT_TIMEOUT_SECONDS, sources_max_page_bytes=200_000, _env_file=None, **overrides)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    return service


def wait_until_finished(read_state, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    state = read_state()
    while state["state"] in ("running", "idle") and time.monotonic() < deadline:
        time.sleep(0.2)
        state = read_state()
    return state


def test_an_admin_syncs_the_sources_in_the_background_and_search_links_to_the_site(site, tmp_path, model_path, embedder,
                                                                                  serve):
    server = serve(sources_service(tmp_path, site, model_path, embedder))
    with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=60) as client:
        listed = client.get("/admin/sources").json()
        assert [s["name"] for s in listed["sources"]] == ["portail"] and listed["sync"]["state"] == "idle"
        assert listed["sources"][0]["folder"] == "web/127.0.0.1" and listed["file_error"] is None

        started = client.post("/admin/sources/sync")
        assert started.status_code == 202 and started.json()["state"] == "running"
        state = wait_until_finished(lambda: client.get("/admin/sources").json()["sync"])

        assert state["state"] == "done", state
        report = state["reports"][0]
        assert len(report["new"]) == 6 and report["error"] is None
        assert report["skipped"][site.base + "/prive/secret.html"] == "interdit par robots.txt"
        assert state["index"]["chunks_embedded"] > 0
        results = client.get("/search", params={"q": PDF_TEXT}).json()["results"]
        assert results[0]["url"] == site.base + "/documents/note.pdf"
        results = client.get("/search", params={"q": "Où trouve-t-on des laboratoires d'innovation publique ?"}).json()
        urls = {r["document_id"]: r["url"] for r in results["results"]}
        assert urls["web/127.0.0.1/guides/laboratoires/index.html"] == site.base + "/guides/laboratoires/"

    anonymous = httpx.post(server.url + "/admin/sources/sync", timeout=10)
    assert anonymous.status_code == 401


def test_a_second_sync_request_while_one_runs_is_refused(site, tmp_path, model_path, embedder, serve):
    site.resources["/robots.txt"].body += b"Crawl-delay: 1\n"  # a polite, slow sync
    server = serve(sources_service(tmp_path, site, model_path, embedder))
    with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=60) as client:
        assert client.post("/admin/sources/sync").status_code == 202
        refused = client.post("/admin/sources/sync")
        assert refused.status_code == 409 and "déjà en cours" in refused.json()["detail"]
        assert wait_until_finished(lambda: client.get("/admin/sources").json()["sync"])["state"] == "done"


def test_a_broken_sources_file_is_shown_to_the_admin_in_french(site, tmp_path, model_path, embedder, serve):
    service = sources_service(tmp_path, site, model_path, embedder)
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "x"\n', encoding="utf-8")
    server = serve(service)
    with httpx.Client(base_url=server.url, headers={"X-API-Key": ADMIN_KEY}, timeout=60) as client:
        listed = client.get("/admin/sources").json()
        assert listed["sources"] == [] and "« start_url » ou « sitemap » est requis" in listed["file_error"]


def test_the_service_syncs_on_its_schedule(site, tmp_path, model_path, embedder):
    service = sources_service(tmp_path, site, model_path, embedder, sources_sync_hours=0.0003)  # about a second
    service.open_for_serving()
    try:
        assert service.sources_sync.state.next_run_at is not None
        state = wait_until_finished(lambda: {**vars(service.sources_sync.state)})
        assert state["state"] == "done", state
        report = state["reports"][0]  # the first run's, or a later one's when the machine is slow to look
        assert report["error"] is None and len(report["new"]) + len(report["unchanged"]) == 6
        document = service.search(PDF_TEXT, k=1).results[0].best.chunk
        assert document.url == site.base + "/documents/note.pdf"
    finally:
        service.sources_sync.stop()
