"""The console's corpus panel: documents per folder and type, the last build, skipped files, and « Réindexer »."""

from __future__ import annotations

import re
import threading

from console_pages import ADMIN_KEY, log_in
from playwright.sync_api import expect

NEW_GUIDE = """---
title: "Organiser un hackathon"
type: guide
---
# Organiser un hackathon

Un hackathon réunit en deux jours agents, développeurs et usagers autour d'un jeu de données publiques.
"""


def test_the_panel_describes_the_index_and_reindexing_shows_its_progress(page, console_server, console_service, artifacts):
    corpus = console_service.settings.corpus_dir
    (corpus / "notes").mkdir()
    (corpus / "notes" / "vide.md").write_text("", encoding="utf-8")
    console_service.build()  # the empty file is skipped, with its reason
    log_in(page, console_server.url, ADMIN_KEY)

    panel = page.get_by_role("region", name="Corpus et index")
    expect(panel.locator("#nombre-documents")).to_have_text("3")
    folders = panel.get_by_role("table", name="Documents par dossier et par type")
    expect(folders.get_by_role("row", name="faq faq 1")).to_be_visible()
    expect(folders.get_by_role("row", name="guides guide 2")).to_be_visible()
    expect(panel.get_by_role("heading", name="Fichiers écartés (1)")).to_be_visible()
    expect(panel.get_by_role("listitem").filter(has_text="notes/vide.md")).to_be_visible()
    expect(panel).to_contain_text(re.compile(r"Dernière construction\d{1,2}(?:er)? \S+ \d{4} à \d{2}:\d{2} \(\d+(,\d)? s\)"))
    expect(panel).to_contain_text("exact (flat)")

    (corpus / "guides" / "hackathon.md").write_text(NEW_GUIDE, encoding="utf-8")
    held, released = [], threading.Event()  # the page's looks at the rebuild are held: a rebuild of one file may end first

    def hold_looks_until_released(route):
        if route.request.method == "GET" and not released.is_set():
            held.append(route)
        else:
            route.continue_()

    page.route("**/admin/reindex", hold_looks_until_released)
    panel.get_by_role("button", name="Réindexer").click()
    status = panel.locator("#etat-reindexation")
    expect(status).to_have_text(re.compile(r"^Réindexation en cours"))  # from the answer to the button's request
    expect(panel.get_by_role("button", name="Réindexer")).to_be_disabled()
    expect(panel.get_by_label("Avancement de la réindexation")).to_be_visible()
    page.screenshot(path=str(artifacts / "console-reindexation-en-cours.png"))
    released.set()  # later looks go through; the held ones are let go here, not by an unroute racing them
    for look in held:
        look.continue_()
    expect(status).to_have_text(re.compile(r"^Réindexation terminée le \d{1,2}(?:er)? \S+ \d{4} à \d{2}:\d{2} : 4 documents, "
                                           r"\d+ passages, 1 fichier\(s\) relu\(s\) en \d+(,\d)? s\.$"), timeout=60_000)
    expect(panel.get_by_label("Avancement de la réindexation")).to_be_hidden()
    expect(panel.get_by_role("button", name="Réindexer")).to_be_enabled()
    expect(panel.locator("#nombre-documents")).to_have_text("4")
    expect(folders.get_by_role("row", name="guides guide 3")).to_be_visible()
    assert console_service.search("hackathon agents développeurs", k=1).results[0].best.chunk.document_id == "guides/hackathon.md"
