"""Syncing a source: discover its pages (sitemaps, else links in scope), fetch each politely, store what changed,
remove what is gone twice in a row, and report. An unreachable source removes nothing."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from filelock import FileLock, Timeout

from ..documents import UnreadableDocument
from .config import SourcesFileError, WebSource
from .fetch import Fetcher, Limits, Page, Skipped, Validators
from .links import page_links
from .provenance import Provenance, stamp
from .report import SyncReport
from .robots import Robots, read_robots
from .scope import Scope, normalize
from .sitemaps import MAX_SITEMAPS, SitemapError, parse_sitemap
from .state import PageState, SourceState
from .storage import file_path, remove_beneath, write_beneath

logger = logging.getLogger(__name__)

GONE_AFTER = 2  # syncs in a row answering 404 or 410 before a page leaves the corpus
DOCUMENT_LINK = re.compile(r"\.(pdf|docx)$", re.I)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)


@dataclass(frozen=True)
class SyncOptions:
    corpus_dir: Path
    state_dir: Path  # one JSON state per source, outside the corpus
    user_agent: str
    limits: Limits = Limits()


def user_agent(contact: str | None) -> str:
    """``Eclaireur/<version> (+contact)``: who is crawling and how to reach them."""
    try:
        release = version("eclaireur")
    except PackageNotFoundError:
        release = "dev"
    return f"Eclaireur/{release} (+{contact})" if contact else f"Eclaireur/{release}"


@contextmanager
def sync_lock(state_dir: Path) -> Iterator[None]:
    """One sync at a time over a state folder, across processes and replicas sharing it."""
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    lock = FileLock(Path(state_dir) / ".sync.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RuntimeError(f"Une synchronisation des sources web est déjà en cours ({state_dir}).") from None
    try:
        yield
    finally:
        lock.release()


def sync_source(source: WebSource, options: SyncOptions, on_page: Callable[[int], None] | None = None,
                transport: httpx.BaseTransport | None = None) -> SyncReport:
    """Bring ``source``'s folder in the corpus up to date with the site; ``on_page`` gets the pages fetched so far."""
    started = time.monotonic()
    report = SyncReport(source.name, source.target_folder)
    state_path = Path(options.state_dir) / f"{source.name}.json"
    state = SourceState.load(state_path, source.target_folder)
    try:
        headers = source.headers()
    except SourcesFileError as error:
        report.error = str(error)
        return report
    with Fetcher(Scope.of(source), source.intranet, headers, options.user_agent, options.limits,
                 source.delay_seconds, transport) as fetcher:
        try:
            _Sync(source, options, state, report, fetcher, on_page).run()
        except (_SourceFailed, OSError) as failure:
            report.error = str(failure)
        finally:
            state.save(state_path)
            report.requests, report.bytes_received = len(fetcher.requests), fetcher.bytes_received
            report.seconds = time.monotonic() - started
    logger.info("%s", report.summary().splitlines()[0])
    return report


class _SourceFailed(Exception):
    """The source as a whole cannot be synced (robots.txt or sitemap unreadable): nothing is removed."""


class _Sync:
    def __init__(self, source: WebSource, options: SyncOptions, state: SourceState, report: SyncReport,
                 fetcher: Fetcher, on_page: Callable[[int], None] | None) -> None:
        self.source, self.options, self.state, self.report, self.fetcher = source, options, state, report, fetcher
        self.on_page = on_page or (lambda done: None)
        self.scope = Scope.of(source)
        self.start = normalize(source.start_url) if source.start_url else None
        self.robots: dict[str, Robots] = {}
        self.seen: set[str] = set()
        self.fetched = 0

    def run(self) -> None:
        self._robots_for(self.start or normalize(self.source.sitemap))
        queue: deque[tuple[str, int]] = deque()
        if self.start:
            queue.append((self.start, 0))
        if self.source.sitemap:
            queue.extend((url, 0) for url in self._sitemap_pages(normalize(self.source.sitemap)))
        queue.extend((url, page.depth) for url, page in sorted(self.state.pages.items()))
        queued = {url for url, _ in queue}
        while queue:
            url, depth = queue.popleft()
            if url in self.seen:
                continue
            if self.fetched >= self.source.max_pages:
                self.report.skipped.setdefault(url, f"limite de {self.source.max_pages} pages atteinte")
                continue
            for link in self._visit(url, depth):
                if link not in queued and depth + 1 <= self.source.max_depth:
                    queued.add(link)
                    queue.append((link, depth + 1))

    # ----------------------------------------------------------------------------------------- discovery

    def _robots_for(self, url: str) -> Robots:
        host = urlsplit(url).netloc
        if host not in self.robots:
            try:
                self.robots[host] = read_robots(self.fetcher, url, self.options.user_agent)
            except Skipped as reason:
                raise _SourceFailed(f"robots.txt de {host} illisible ({reason}) : site considéré comme injoignable") from None
            self.fetcher.delay = max(self.fetcher.delay, self.robots[host].crawl_delay)
        return self.robots[host]

    def _sitemap_pages(self, root: str) -> list[str]:
        """Every in-scope page listed by the sitemap ``root`` and the sitemaps it indexes (gzipped or not)."""
        pages, pending, read = [], deque([root]), set()
        while pending and len(read) < MAX_SITEMAPS:
            url = pending.popleft()
            if url in read:
                continue
            read.add(url)
            try:
                page = self.fetcher.get(url, document=False)
                if page.gone:
                    raise SitemapError(f"sitemap introuvable (HTTP {page.status})")
                sitemap = parse_sitemap(page.body)
            except (Skipped, SitemapError) as reason:
                if url == root:
                    raise _SourceFailed(f"sitemap {url} illisible ({reason})") from None
                self.report.skipped[url] = str(reason)
                continue
            pending.extend(child for child in map(normalize, sitemap.children)  # on a declared host, whatever its path
                           if child and urlsplit(child).hostname in self.scope.hosts)
            pages.extend(link for link in map(normalize, sitemap.pages) if link and self.scope.allows(link))
        return list(dict.fromkeys(pages))

    def _follows(self, link: str) -> bool:
        """Without a sitemap every in-scope link is followed; with one, only the PDF and DOCX files pages link to."""
        return self.scope.allows(link) and (not self.source.sitemap or bool(DOCUMENT_LINK.search(urlsplit(link).path)))

    # ----------------------------------------------------------------------------------------- one page

    def _visit(self, url: str, depth: int) -> list[str]:
        """Fetch, store or remove ``url``; the links to follow from it."""
        self.seen.add(url)
        if url != self.start and not self.scope.allows(url):
            if url in self.state.pages:
                self._remove(url, self.scope.why_not(url))
            return []
        if not self._allowed(url):
            return []
        self.fetched += 1
        try:
            page = self.fetcher.get(url, self._validators)
        except Skipped as reason:
            self._skip(url, str(reason))
            return []
        finally:
            self.on_page(self.fetched)
        if page.url != url:
            if url in self.state.pages:
                self._remove(url, f"déplacée vers {page.url}")
            if page.url in self.seen or not self._allowed(page.url):
                return []
            self.seen.add(page.url)
        known = self.state.pages.get(page.url)
        if page.status == 304 and known is not None:
            self.report.unchanged.append(page.url)
            known.misses = 0
            return [link for link in known.links if self._follows(link)]
        if page.gone or page.status == 304:
            self._gone(page.url, page.status)
            return []
        return self._store(page, depth)

    def _allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch ``url``; a page it now forbids leaves the corpus."""
        if self._robots_for(url).allowed(url):
            return True
        if url in self.state.pages:
            self._remove(url, "interdit par robots.txt")
        else:
            self._skip(url, "interdit par robots.txt")
        return False

    def _validators(self, url: str) -> Validators | None:
        known = self.state.pages.get(url)
        if known is None or not (Path(self.options.corpus_dir) / self.source.target_folder / known.path).is_file():
            return None  # never stored, or removed by hand: fetch it whole
        return Validators(known.etag, known.last_modified)

    def _store(self, page: Page, depth: int) -> list[str]:
        url, known = page.url, self.state.pages.get(page.url)
        text = _decode(page.body, page.charset) if page.kind == "html" else None
        found = page_links(text, url) if text is not None else None
        links = found.links if found else []
        if found and found.noindex or not self.scope.allows(url):
            self._skip(url, "page marquée noindex" if found and found.noindex else "hors périmètre (lue pour ses liens)")
            return [link for link in links if self._follows(link)]
        digest = hashlib.sha256(page.body).hexdigest()
        relative = known.path if known else self._free_path(url, page.kind)
        if known and known.sha256 == digest and self._validators(url) is not None:
            self.report.unchanged.append(url)
        else:
            provenance = Provenance(url, datetime.now(UTC).isoformat(timespec="seconds"), self.source.name,
                                    self.source.type, self.source.tags)
            try:
                data = stamp(page.kind, text if text is not None else page.body, provenance)
            except UnreadableDocument as reason:
                self._skip(url, str(reason))
                return []
            write_beneath(self.options.corpus_dir, f"{self.source.target_folder}/{relative}", data)
            (self.report.changed if known else self.report.new).append(url)
        fetched = known.fetched if known and known.sha256 == digest else datetime.now(UTC).isoformat(timespec="seconds")
        self.state.pages[url] = PageState(relative, page.kind, digest, fetched, page.validators.etag,
                                          page.validators.last_modified, links, depth)
        return [link for link in links if self._follows(link)]

    def _free_path(self, url: str, kind: str) -> str:
        relative = file_path(url, kind, self.source.main_host)
        owner = self.state.owner_of(relative)
        if owner is None or owner == url:
            return relative
        stem, dot, suffix = relative.rpartition(".")
        return f"{stem}-{hashlib.sha256(url.encode()).hexdigest()[:10]}{dot}{suffix}"

    def _gone(self, url: str, status: int) -> None:
        known = self.state.pages.get(url)
        if known is None:
            self._skip(url, f"introuvable (HTTP {status})")
            return
        known.misses += 1
        if known.misses >= GONE_AFTER:
            self._remove(url, f"introuvable (HTTP {status}) {known.misses} fois de suite")
        else:
            self._skip(url, f"introuvable (HTTP {status}) : retirée si elle l'est encore à la prochaine synchronisation")

    def _remove(self, url: str, reason: str) -> None:
        page = self.state.pages.pop(url)
        remove_beneath(self.options.corpus_dir, f"{self.source.target_folder}/{page.path}")
        self.report.removed.append(url)
        logger.info("%s retirée du corpus : %s", url, reason)

    def _skip(self, url: str, reason: str) -> None:
        self.report.skipped[url] = reason


def _decode(body: bytes, charset: str | None) -> str:
    """The page's text: the charset the server declared, else the one its ``<meta>`` declares, else UTF-8,
    else Windows-1252 (which decodes any byte)."""
    declared = META_CHARSET.search(body[:4096])
    for encoding in (charset, declared.group(1).decode() if declared else None, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("cp1252", errors="replace")


def sync_sources(sources_file: Path, options: SyncOptions, name: str | None = None,
                 on_page: Callable[[str, int], None] | None = None) -> list[SyncReport]:
    """Sync every source declared in ``sources_file`` (or only ``name``), one at a time, under the sync lock."""
    from .config import load_sources

    sources = load_sources(sources_file)
    if name is not None:
        sources = [source for source in sources if source.name == name]
        if not sources:
            raise ValueError(f"Source « {name} » absente de {sources_file}.")
    elif not sources:
        raise ValueError(f"Aucune source web déclarée dans {sources_file} (voir la section « Sources web » du README).")
    with sync_lock(options.state_dir):
        return [sync_source(source, options, (lambda done, source=source: on_page(source.name, done)) if on_page else None)
                for source in sources]
