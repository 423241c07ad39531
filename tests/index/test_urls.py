"""Document addresses from the corpus: web links and clean site paths only."""

from __future__ import annotations

import pytest

from index.readers import read_document
from index.urls import clean_url


@pytest.mark.parametrize("address", [
    "https://www.modernisation.gouv.fr/innovation-publique", "http://intranet.example/guides/labo?x=1#section",
    "/guides/laboratoires.html", "/",
])
def test_web_addresses_and_clean_site_paths_are_kept(address):
    assert clean_url(address) == address


@pytest.mark.parametrize("address", [
    "/\\evil.example/x", "//evil.example/x", "\\\\evil.example", "javascript:alert(1)", "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:x", "mailto:a@b.fr", "https://service-public.fr@evil.example/",
    "https:///chemin", "https://[::1/", "guides/relatif.html", "/guides/../../etc/passwd", "/a b", "/a\tb", "/x\x00y",
    "java\nscript:alert(1)", "", None,
])
def test_addresses_a_browser_could_turn_against_the_reader_are_dropped(address):
    assert clean_url(address) is None


def test_a_document_declaring_a_hostile_address_keeps_no_address():
    text = "---\ntitle: Piège\nurl: '/\\evil.example/x'\n---\n# Piège\n\nUn texte.\n"
    document = read_document(text.encode(), "guides/piege.md")
    assert document.url is None and document.title == "Piège"
    safe = read_document(text.replace("/\\evil.example/x", "https://www.numerique.gouv.fr/").encode(), "guides/sur.md")
    assert safe.url == "https://www.numerique.gouv.fr/"


def test_an_address_stored_by_an_older_index_is_checked_again_before_it_reaches_a_client():
    from assistant.api.document_page import document_url

    assert document_url("/\\evil.example/x", "guides/piège.md") == "/documents/guides/pi%C3%A8ge.md"
    assert document_url("https://www.numerique.gouv.fr/", "guides/x.md") == "https://www.numerique.gouv.fr/"
