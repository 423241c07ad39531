"""A site's ``robots.txt`` (parsed by Protego, which follows RFC 9309 and reads Crawl-delay)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from .fetch import Fetcher, HttpStatus

MAX_ROBOTS_BYTES = 500_000  # RFC 9309 asks crawlers to read at least 500 KiB


@dataclass
class Robots:
    """What ``robots.txt`` allows our user agent; an absent file (4xx) allows everything."""

    rules: Protego | None
    user_agent: str

    def allowed(self, url: str) -> bool:
        return self.rules is None or self.rules.can_fetch(url, self.user_agent)

    @property
    def crawl_delay(self) -> float:
        delay = self.rules.crawl_delay(self.user_agent) if self.rules else None
        return float(delay or 0.0)

    @property
    def sitemaps(self) -> list[str]:
        return list(self.rules.sitemaps) if self.rules else []


def read_robots(fetcher: Fetcher, site: str, user_agent: str) -> Robots:
    """The rules of the site holding ``site``. A server error or no answer means « disallow everything »
    (RFC 9309): the caller treats the source as unreachable and removes nothing."""
    parts = urlsplit(site)
    url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    try:
        page = fetcher.get(url, document=False)
    except HttpStatus as answer:
        if 400 <= answer.status < 500:
            return Robots(None, user_agent)
        raise
    if page.gone:
        return Robots(None, user_agent)
    text = page.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    return Robots(Protego.parse(text), user_agent)
