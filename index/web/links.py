"""The links a fetched HTML page points to, and whether it asks not to be indexed or followed."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from .scope import normalize


@dataclass(frozen=True)
class PageLinks:
    links: list[str]  # normalized, in page order, without duplicates
    noindex: bool = False


def page_links(html: str, url: str) -> PageLinks:
    """Links of ``<a href>`` (``<base href>`` honoured), unless the page's robots meta says ``nofollow``."""
    tree = LexborHTMLParser(html)
    directives = {d.strip().lower() for meta in tree.css("meta[name]")
                  if (meta.attributes.get("name") or "").lower() in ("robots", "eclaireur")
                  for d in (meta.attributes.get("content") or "").split(",")}
    noindex = bool(directives & {"noindex", "none"})
    if directives & {"nofollow", "none"}:
        return PageLinks([], noindex)
    base_tag = tree.css_first("base[href]")
    base = normalize(base_tag.attributes.get("href") or "", base=url) if base_tag else None
    found = (normalize(anchor.attributes.get("href") or "", base=base or url) for anchor in tree.css("a[href]")
             if "nofollow" not in (anchor.attributes.get("rel") or "").lower().split())
    return PageLinks(list(dict.fromkeys(link for link in found if link)), noindex)
