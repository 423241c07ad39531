"""A sample of corpus-real published as a site and synced: each page reads back as its Markdown file did
(same text, mostly the same title). Skipped when ../shared/data/corpus-real is absent."""

from __future__ import annotations

import pytest
from loopback_site import ServedSite, corpus_site, crawl_source, word_overlap
from support import PROJECT_ROOT

from index.documents import UnreadableDocument
from index.readers import read_document
from index.web.sync import sync_source

CORPUS_REAL = PROJECT_ROOT.parent / "shared" / "data" / "corpus-real"


@pytest.mark.skipif(not CORPUS_REAL.is_dir(), reason="corpus-real absent (../shared/data/corpus-real)")
def test_pages_synced_from_a_published_sample_read_like_their_files(options):
    site, origin = corpus_site(CORPUS_REAL, step=20)
    served = ServedSite(site)
    try:
        report = sync_source(crawl_source(site, start_url=None, sitemap=site.base + "/sitemap.xml", max_pages=1000), options)
    finally:
        served.close()

    assert report.error is None and len(report.new) == len(origin) and report.skipped == {}
    overlaps, same_titles = [], 0
    for url in report.new:
        path = url.removeprefix(site.base)
        try:
            markdown = read_document((CORPUS_REAL / origin[path]).read_bytes(), origin[path])
        except UnreadableDocument:
            continue
        stored = f"web/127.0.0.1{path}index.html"
        page = read_document((options.corpus_dir / stored).read_bytes(), stored)
        assert page.url == url
        overlaps.append(word_overlap(markdown.text, page.text))
        same_titles += page.title == markdown.title
    assert sum(overlaps) / len(overlaps) >= 0.95
    assert same_titles >= 0.8 * len(overlaps)
