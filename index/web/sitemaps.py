"""Sitemaps (``urlset``) and sitemap indexes (``sitemapindex``), plain or gzipped, read with bounded size."""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_SITEMAPS = 100


class SitemapError(ValueError):
    """The sitemap cannot be read; the message says why, in French."""


@dataclass(frozen=True)
class Sitemap:
    pages: list[str]
    children: list[str]  # sitemaps listed by an index


def parse_sitemap(data: bytes) -> Sitemap:
    """The addresses listed in a sitemap or a sitemap index (``<loc>`` elements, namespace ignored)."""
    xml = _gunzip(data) if data[:2] == b"\x1f\x8b" else data
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise SitemapError(f"sitemap XML invalide ({error})") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"sitemap inattendu : élément racine « {kind} » (urlset ou sitemapindex attendu)")
    locations = [element.text.strip() for element in root.iter() if _local(element.tag) == "loc" and element.text]
    return Sitemap(pages=locations, children=[]) if kind == "urlset" else Sitemap(pages=[], children=locations)


def _gunzip(data: bytes) -> bytes:
    """Decompress at most MAX_SITEMAP_BYTES: a small « gzip bomb » is refused, not expanded."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            xml = handle.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise SitemapError(f"sitemap gzip illisible ({error})") from None
    if len(xml) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"sitemap décompressé trop volumineux (plus de {MAX_SITEMAP_BYTES} octets)")
    return xml


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
