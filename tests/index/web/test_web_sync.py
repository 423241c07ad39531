"""Syncing a website into the corpus folder: what is stored, skipped, kept and removed, against a real loopback site."""

from __future__ import annotations

import pytest
from loopback_site import DOCX_TEXT, PDF_TEXT, crawl_source, link_from_home

from index.readers import read_document
from index.web.sync import sync_source

GUIDES = ["/guides/laboratoires/", "/guides/mois/", "/guides/faq-juridique/"]


def stored(options, folder="web/127.0.0.1"):
    root = options.corpus_dir / folder
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def read(options, relative, folder="web/127.0.0.1"):
    return read_document((options.corpus_dir / folder / relative).read_bytes(), f"{folder}/{relative}")


def test_first_sync_stores_pages_and_linked_documents_with_their_public_address(site, options):
    report = sync_source(crawl_source(site), options)

    assert report.error is None
    for path in GUIDES:
        assert site.base + path in report.new
    files = stored(options)
    assert {"guides/laboratoires/index.html", "guides/mois/index.html", "guides/faq-juridique/index.html",
            "documents/note.pdf", "documents/fiche.docx", "index.html"} <= set(files)
    guide = read(options, "guides/laboratoires/index.html")
    assert guide.url == site.base + "/guides/laboratoires/"
    assert guide.title == "Les laboratoires d'innovation publique"
    assert guide.type == "guide" and guide.tags == ["innovation"]
    assert guide.metadata["source"] == "portail" and guide.metadata["fetched"].startswith("20")
    assert "Portail de l'innovation publique" not in guide.text  # the site's header and navigation are left out
    pdf = read(options, "documents/note.pdf")
    assert pdf.url == site.base + "/documents/note.pdf" and "budget participatif" in pdf.text
    docx = read(options, "documents/fiche.docx")
    assert docx.url == site.base + "/documents/fiche.docx" and DOCX_TEXT in docx.text
    assert PDF_TEXT.split(":")[0] in pdf.text


def test_robots_txt_and_hostile_pages_are_skipped_with_a_reason(site, options):
    link_from_home(site, "/lent.html")
    report = sync_source(crawl_source(site), options)

    assert report.skipped[site.base + "/prive/secret.html"] == "interdit par robots.txt"
    assert not [r for r in site.requests if r.path.startswith("/prive/")]
    assert "trop volumineuse" in report.skipped[site.base + "/gros.html"]
    assert "délai dépassé" in report.skipped[site.base + "/lent.html"]
    assert "type de contenu non pris en charge (image/png)" == report.skipped[site.base + "/image.html"]
    assert "redirection hors périmètre" in report.skipped[site.base + "/ailleurs"]
    assert not any(name in " ".join(stored(options)) for name in ("secret", "gros", "lent", "image"))
    assert all(r.headers["user-agent"].startswith("Eclaireur/") and "innovation@example.org" in r.headers["user-agent"]
               for r in site.requests)


def test_a_redirect_inside_the_site_is_followed_and_stored_once_under_its_target(site, options):
    report = sync_source(crawl_source(site), options)

    assert site.base + "/ancien-guide" not in report.new
    assert report.new.count(site.base + "/guides/laboratoires/") == 1
    assert not [p for p in stored(options) if "ancien" in p]


def test_an_endless_calendar_is_stopped_by_the_depth_limit_and_by_exclude_patterns(site, options):
    sync_source(crawl_source(site, max_depth=3), options)
    months = {r.path for r in site.requests if r.path.startswith("/calendrier")}
    assert months == {f"/calendrier?mois={m}" for m in range(-2, 3)}  # home → 0 → ±1 → ±2, then depth 3 stops

    site.requests.clear()
    sync_source(crawl_source(site, name="sans-agenda", folder="web/sans-agenda", exclude=["/calendrier"]), options)
    assert not [r for r in site.requests if r.path.startswith("/calendrier")]


def test_max_pages_bounds_the_pages_fetched(site, options):
    report = sync_source(crawl_source(site, max_pages=3), options)

    assert len(report.new) + len(report.unchanged) <= 3
    assert len(site.page_requests()) == 3
    assert any(reason == "limite de 3 pages atteinte" for reason in report.skipped.values())


def test_a_second_sync_of_an_unchanged_site_sends_only_conditional_requests(site, options):
    first = sync_source(crawl_source(site), options)
    site.requests.clear()

    second = sync_source(crawl_source(site), options)

    assert second.new == [] and second.changed == [] and second.removed == []
    assert sorted(second.unchanged) == sorted(first.new)
    stored_pages = {url.removeprefix(site.base) for url in first.new}
    requests = [r for r in site.page_requests() if r.path in stored_pages]
    assert {r.path for r in requests} == stored_pages
    assert all("if-none-match" in r.headers for r in requests)


def test_a_changed_page_is_rewritten_and_a_page_gone_twice_is_removed(site, options):
    from loopback_site import Resource, render_page

    sync_source(crawl_source(site), options)
    site.resources["/guides/mois/"] = Resource(render_page("# Le Mois de l'innovation publique\n\nDésormais en octobre."))
    del site.resources["/guides/faq-juridique/"]

    second = sync_source(crawl_source(site), options)
    assert second.changed == [site.base + "/guides/mois/"]
    assert "Désormais en octobre." in read(options, "guides/mois/index.html").text
    gone = site.base + "/guides/faq-juridique/"
    assert "prochaine synchronisation" in second.skipped[gone]
    assert "guides/faq-juridique/index.html" in stored(options)  # one 404 is not enough

    third = sync_source(crawl_source(site), options)
    assert third.removed == [gone]
    assert "guides/faq-juridique/index.html" not in stored(options)
    assert not (options.corpus_dir / "web/127.0.0.1/guides/faq-juridique").exists()


def test_an_unreachable_source_removes_nothing(served, site, options):
    first = sync_source(crawl_source(site), options)
    before = stored(options)
    served.close()

    for _ in range(2):
        report = sync_source(crawl_source(site), options)
        assert report.error is not None and "injoignable" in report.error
        assert report.removed == []
    assert stored(options) == before and len(before) == len(first.new)


def test_a_sitemap_index_with_a_gzipped_part_lists_the_pages(site, options):
    source = crawl_source(site, start_url=None, sitemap=site.base + "/sitemap.xml")
    report = sync_source(source, options)

    assert report.error is None
    assert sorted(report.new) == sorted([site.base + p for p in GUIDES] + [site.base + "/documents/note.pdf",
                                                                           site.base + "/documents/fiche.docx"])
    assert not [r for r in site.requests if r.path.startswith("/calendrier")]  # no link following beyond documents


def test_include_patterns_select_pages_not_the_sitemaps_listing_them(site, options):
    source = crawl_source(site, start_url=None, sitemap=site.base + "/sitemap.xml", include=["/guides/faq-*"])
    report = sync_source(source, options)

    assert report.new == [site.base + "/guides/faq-juridique/"]


def test_the_politeness_delay_is_honoured_between_requests(site, options):
    sync_source(crawl_source(site, max_pages=4, delay_seconds=0.3), options)

    times = [r.at for r in site.requests]
    assert len(times) == 5  # robots.txt then four pages
    assert all(later - earlier >= 0.29 for earlier, later in zip(times, times[1:]))


def test_crawl_delay_from_robots_txt_is_obeyed(site, options):
    from loopback_site import Resource

    site.resources["/robots.txt"] = Resource(b"User-agent: Eclaireur\nCrawl-delay: 0.4\nDisallow: /prive/\n", "text/plain")
    sync_source(crawl_source(site, max_pages=3, delay_seconds=0.0), options)

    times = [r.at for r in site.requests]
    assert all(later - earlier >= 0.39 for earlier, later in zip(times, times[1:]))


def test_a_private_address_is_refused_unless_the_source_is_an_intranet(site, options):
    report = sync_source(crawl_source(site, intranet=False), options)

    assert report.error is not None and "adresse non publique refusée" in report.error
    assert site.requests == [] and stored(options) == []


def test_intranet_headers_are_read_from_the_environment(site, options, monkeypatch):
    from loopback_site import TOKEN

    site.require_header = ("Authorization", f"Bearer {TOKEN}")
    source = crawl_source(site, header_env={"Authorization": "ECLAIREUR_TEST_INTRANET_TOKEN"}, max_pages=2)

    monkeypatch.delenv("ECLAIREUR_TEST_INTRANET_TOKEN", raising=False)
    missing = sync_source(source, options)
    assert "ECLAIREUR_TEST_INTRANET_TOKEN" in missing.error and site.requests == []

    monkeypatch.setenv("ECLAIREUR_TEST_INTRANET_TOKEN", f"Bearer {TOKEN}")
    report = sync_source(source, options)
    assert report.error is None and len(report.new) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_a_robots_txt_server_error_means_the_site_is_not_crawled_and_nothing_removed(site, options, status):
    sync_source(crawl_source(site), options)
    before = stored(options)
    site.statuses["/robots.txt"] = status
    site.requests.clear()

    report = sync_source(crawl_source(site), options)

    assert report.error == (f"robots.txt de 127.0.0.1:{site.port} illisible (réponse HTTP {status}) : "
                            "site considéré comme injoignable")
    assert [r.path for r in site.requests] == ["/robots.txt"]
    assert report.removed == [] and stored(options) == before


def test_without_robots_txt_everything_in_scope_is_allowed(site, options):
    del site.resources["/robots.txt"]

    report = sync_source(crawl_source(site), options)

    assert site.base + "/prive/secret.html" in report.new


def test_addresses_differing_by_fragment_or_tracking_parameters_are_fetched_once(site, options):
    from loopback_site import Resource, render_page

    site.resources["/"] = Resource(render_page("# Accueil\n\nLiens.", ["/guides/mois/#haut", "/guides/mois/?utm_source=lettre",
                                                                       "/guides/mois/?fbclid=abc#bas", "/guides/mois/"]))
    report = sync_source(crawl_source(site, exclude=["/calendrier"]), options)

    assert [r.path for r in site.requests if r.path.startswith("/guides/mois/")] == ["/guides/mois/"]
    assert report.new == [site.base + "/", site.base + "/guides/mois/"]


def test_a_noindex_page_is_not_stored_but_its_links_are_followed(site, options):
    from loopback_site import Resource

    site.resources["/"] = Resource(b'<html><head><meta name="robots" content="noindex"></head><body><main><p>Plan du site'
                                   b'</p><a href="/guides/mois/">Le Mois</a></main></body></html>')
    report = sync_source(crawl_source(site, exclude=["/calendrier"]), options)

    assert report.skipped[site.base + "/"] == "page marquée noindex"
    assert report.new == [site.base + "/guides/mois/"]


def test_the_total_volume_of_a_source_is_bounded(site, options):
    from dataclasses import replace

    bounded = replace(options, limits=replace(options.limits, max_total_bytes=3_000))
    report = sync_source(crawl_source(site), bounded)

    assert 1 <= len(report.new) <= 3  # each page weighs more than 800 bytes
    assert any(reason.startswith("volume total de la source atteint") for reason in report.skipped.values())


def test_a_broken_sitemap_fails_the_source_and_leaves_its_files_as_they_were(site, options):
    from loopback_site import Resource

    source = crawl_source(site, start_url=None, sitemap=site.base + "/sitemap.xml")
    sync_source(source, options)
    before = {p: (options.corpus_dir / "web/127.0.0.1" / p).read_bytes() for p in stored(options)}
    site.resources["/sitemap.xml"] = Resource(b"<html><body>Maintenance</body></html>", "text/html")

    report = sync_source(source, options)

    assert report.error.endswith("illisible (sitemap inattendu : élément racine « html » (urlset ou sitemapindex attendu))")
    assert {p: (options.corpus_dir / "web/127.0.0.1" / p).read_bytes() for p in stored(options)} == before


def test_one_sync_at_a_time(site, options, tmp_path):
    from index.web.sync import sync_lock, sync_sources

    (tmp_path / "sources.toml").write_text(f'[[source]]\nname = "portail"\nstart_url = "{site.base}/"\nintranet = true\n')
    with sync_lock(options.state_dir), pytest.raises(RuntimeError, match="déjà en cours"):
        sync_sources(tmp_path / "sources.toml", options)
    assert site.requests == []


def test_the_checked_address_is_the_one_connected_to(site, options, monkeypatch):
    """A name that resolves to a public address when checked, then to loopback (DNS rebinding), never reaches loopback."""
    import socket
    from dataclasses import replace

    from index.web.fetch import Limits

    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.10", site.port))]])

    def rebinding(host, port, *args, **kwargs):
        if host == "portail.example":
            return next(answers, [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", site.port))])
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr("index.web.addresses.ipaddress.IPv4Address.is_global",
                        property(lambda address: str(address) == "192.0.2.10"))
    quick = replace(options, limits=Limits(timeout_seconds=0.3))
    report = sync_source(crawl_source(site, start_url=f"http://portail.example:{site.port}/", intranet=False), quick)

    assert report.error is not None and site.requests == []
