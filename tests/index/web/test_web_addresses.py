"""One spelling per address, what is in a source's scope, which hosts may be reached, and where a page is stored."""

from __future__ import annotations

import pytest

from index.web.addresses import AddressRefused, check_host
from index.web.scope import Scope, normalize
from index.web.storage import file_path, remove_beneath, write_beneath


@pytest.mark.parametrize(("raw", "expected"), [
    ("HTTPS://Guides.Etalab.gouv.fr:443/a/../b/#partie", "https://guides.etalab.gouv.fr/b/"),
    ("https://x.fr/p?utm_source=news&b=2&a=1&fbclid=zz&xtor=RSS", "https://x.fr/p?a=1&b=2"),
    ("http://x.fr:8080", "http://x.fr:8080/"),
    ("https://x.fr/r%C3%A9forme", "https://x.fr/r%C3%A9forme"),
    ("https://x.fr/réforme", "https://x.fr/r%C3%A9forme"),
])
def test_addresses_are_normalized(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["mailto:a@b.fr", "javascript:alert(1)", "ftp://x.fr/", "https://user:pw@x.fr/"])
def test_non_web_addresses_are_dropped(raw):
    assert normalize(raw, base="https://x.fr/") is None


def test_relative_links_resolve_against_the_page():
    assert normalize("../c.pdf", base="https://x.fr/a/b/") == "https://x.fr/a/c.pdf"


def test_scope_keeps_declared_hosts_and_include_exclude_patterns():
    scope = Scope(frozenset({"x.fr"}), include=("/guides/", "/faq/*.html"), exclude=("/guides/en/",))
    assert scope.allows("https://x.fr/guides/a")
    assert scope.allows("https://x.fr/faq/b.html")
    assert not scope.allows("https://x.fr/faq/b.pdf")
    assert not scope.allows("https://x.fr/guides/en/a")
    assert not scope.allows("https://y.fr/guides/a")
    assert scope.why_not("https://y.fr/guides/a") == "hors des hôtes déclarés (y.fr)"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "::1", "192.168.0.1"])
def test_private_and_loopback_addresses_are_refused_unless_intranet(host):
    with pytest.raises(AddressRefused, match="adresse non publique refusée"):
        check_host(host, 80, intranet=False)
    check_host(host, 80, intranet=True)


def test_public_addresses_pass():
    check_host("8.8.8.8", 443, intranet=False)  # an address literal: no resolution, no network


@pytest.mark.parametrize(("url", "kind", "expected"), [
    ("https://x.fr/", "html", "index.html"),
    ("https://x.fr/guides/a/", "html", "guides/a/index.html"),
    ("https://x.fr/guides/a", "html", "guides/a.html"),
    ("https://x.fr/guides/a.htm", "html", "guides/a.html"),
    ("https://x.fr/docs/note.pdf", "pdf", "docs/note.pdf"),
    ("https://x.fr/telecharger", "docx", "telecharger.docx"),
    ("https://x.fr/.git/config", "html", "_.git/config.html"),
    ("https://x.fr/a%2F..%2F..%2Fetc/passwd", "html", "a-..-..-etc/passwd.html"),
    ("https://y.fr/page", "html", "y.fr/page.html"),
])
def test_each_address_has_a_safe_file_path(url, kind, expected):
    assert file_path(url, kind, "x.fr") == expected


def test_query_strings_get_distinct_files():
    assert file_path("https://x.fr/agenda?mois=1", "html", "x.fr") != file_path("https://x.fr/agenda?mois=2", "html", "x.fr")


def test_files_are_written_beneath_the_corpus_never_through_a_link(tmp_path):
    root = tmp_path / "corpus"
    write_beneath(root, "web/x.fr/guides/a.html", b"<p>un</p>")
    assert (root / "web/x.fr/guides/a.html").read_bytes() == b"<p>un</p>"
    (tmp_path / "ailleurs").mkdir()
    (root / "web/x.fr/lien").symlink_to(tmp_path / "ailleurs")
    with pytest.raises(OSError, match="lien symbolique"):
        write_beneath(root, "web/x.fr/lien/b.html", b"x")
    assert list((tmp_path / "ailleurs").iterdir()) == []
    assert remove_beneath(root, "web/x.fr/guides/a.html")
    assert not (root / "web/x.fr/guides").exists()
