"""Sitemaps and sitemap indexes, plain or gzipped; hostile ones are refused with a French reason."""

from __future__ import annotations

import gzip

import pytest

from index.web.sitemaps import MAX_SITEMAP_BYTES, SitemapError, parse_sitemap

URLSET = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          b"<url><loc> https://x.fr/a </loc></url><url><loc>https://x.fr/b</loc></url></urlset>")


def test_a_urlset_lists_pages_and_an_index_lists_sitemaps():
    assert parse_sitemap(URLSET).pages == ["https://x.fr/a", "https://x.fr/b"]
    index = parse_sitemap(b"<sitemapindex><sitemap><loc>https://x.fr/s1.xml.gz</loc></sitemap></sitemapindex>")
    assert index.children == ["https://x.fr/s1.xml.gz"] and index.pages == []


def test_a_gzipped_sitemap_is_read():
    assert parse_sitemap(gzip.compress(URLSET)).pages == ["https://x.fr/a", "https://x.fr/b"]


def test_a_gzip_bomb_is_refused_without_being_expanded():
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_SITEMAP_BYTES + 10) + b"</urlset>")
    with pytest.raises(SitemapError, match="décompressé trop volumineux"):
        parse_sitemap(bomb)


@pytest.mark.parametrize(("data", "message"), [
    (b"<html><body>Not found</body></html>", "élément racine « html »"),
    (b"<urlset><url>", "sitemap XML invalide"),
    (b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><urlset><url><loc>&b;</loc></url></urlset>',
     "sitemap XML invalide"),
    (b"\x1f\x8bpas du gzip", "sitemap gzip illisible"),
])
def test_broken_or_hostile_sitemaps_are_refused(data, message):
    with pytest.raises(SitemapError, match=message):
        parse_sitemap(data)
