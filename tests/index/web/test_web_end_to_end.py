"""From a website to an answer: ``eclaireur sources sync`` fetches the site into the corpus and updates the index;
search finds the synced pages and links to their public address; a second sync of the unchanged site re-embeds nothing."""

from __future__ import annotations

import json

from loopback_site import PDF_TEXT

from assistant.cli import main
from assistant.service import Eclaireur
from assistant.settings import Settings


def sources_file(path, site) -> None:
    path.write_text(f'''[[source]]
name = "portail"
start_url = "{site.base}/"
exclude = ["/calendrier"]
max_depth = 2
delay_seconds = 0
intranet = true
type = "guide"
tags = ["innovation"]
''', encoding="utf-8")


def test_synced_pages_are_searchable_and_link_to_their_public_page(site, tmp_path, monkeypatch, capsys, model_path, embedder):
    sources_file(tmp_path / "sources.toml", site)
    environment = {"CORPUS_DIR": tmp_path / "corpus", "INDEX_DIR": tmp_path / "index", "MODEL_PATH": model_path,
                   "SOURCES_FILE": tmp_path / "sources.toml", "SOURCES_STATE_DIR": tmp_path / "state",
                   "SOURCES_TIMEOUT_SECONDS": 1, "SOURCES_MAX_PAGE_BYTES": 200_000, "RECORDS_PATH": tmp_path / "records.sqlite"}
    for name, value in environment.items():
        monkeypatch.setenv(f"ECLAIREUR_{name}", str(value))

    assert main(["sources", "sync", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["sources"][0]["new"]) == 6 and first["index"]["chunks_embedded"] > 0

    service = Eclaireur(Settings(_env_file=None), embedder=embedder)
    service.reload()
    guide = service.search("Où trouve-t-on des laboratoires d'innovation publique ?", k=3).results[0].best.chunk
    assert guide.url == site.base + "/guides/laboratoires/"
    assert guide.document_id == "web/127.0.0.1/guides/laboratoires/index.html"
    assert guide.type == "guide" and "innovation" in guide.tags
    pdf = service.search(PDF_TEXT, k=3).results[0].best.chunk
    assert pdf.url == site.base + "/documents/note.pdf"

    site.requests.clear()
    assert main(["sources", "sync", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["sources"][0]["new"] == [] and len(second["sources"][0]["unchanged"]) == 6
    assert second["index"] is None  # nothing changed: nothing to embed
    stored = {url.removeprefix(site.base) for url in first["sources"][0]["new"]}
    assert all("if-none-match" in r.headers for r in site.page_requests() if r.path in stored)


def test_sync_names_an_unknown_source_in_french(site, tmp_path, monkeypatch, capsys):
    sources_file(tmp_path / "sources.toml", site)
    monkeypatch.setenv("ECLAIREUR_SOURCES_FILE", str(tmp_path / "sources.toml"))
    monkeypatch.setenv("ECLAIREUR_SOURCES_STATE_DIR", str(tmp_path / "state"))

    assert main(["sources", "sync", "inconnue"]) == 1
    assert "Source « inconnue » absente de" in capsys.readouterr().err
