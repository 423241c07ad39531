"""Fetching one address safely: declared hosts and allowed addresses at every redirect, bounded size and time,
only the content types the corpus can read, conditional requests, and the politeness delay between requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from .addresses import AddressRefused, check_host
from .scope import Scope, normalize

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KINDS = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf", DOCX_TYPE: "docx"}
SUFFIX_KINDS = {".pdf": "pdf", ".docx": "docx"}  # for servers that send application/octet-stream


class Skipped(Exception):
    """This address is left aside (too big, too slow, wrong type, out of scope…); the message says why, in French."""


class Unreachable(Skipped):
    """The server did not answer (connection refused or reset, name unknown): nothing can be concluded."""


class HttpStatus(Skipped):
    """The server answered with a status other than 200, 304, 404, 410 or a redirect."""

    def __init__(self, status: int) -> None:
        super().__init__(f"réponse HTTP {status}")
        self.status = status


@dataclass(frozen=True)
class Limits:
    max_page_bytes: int = 10_000_000
    max_total_bytes: int = 500_000_000
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class Validators:
    """What a previous fetch returned, sent back so an unchanged page costs a 304."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Page:
    url: str  # after redirects, normalized
    status: int  # 200, 304, 404 or 410
    kind: str | None = None  # html, pdf, docx (None for robots.txt and sitemaps)
    body: bytes = b""
    charset: str | None = None
    validators: Validators = Validators()

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


class Fetcher:
    """One HTTP client per source: waits ``delay`` seconds between requests and counts the bytes received."""

    def __init__(self, scope: Scope, intranet: bool, headers: dict[str, str], user_agent: str, limits: Limits,
                 delay: float = 0.0, transport: httpx.BaseTransport | None = None) -> None:
        self.scope, self.intranet, self.limits, self.delay = scope, intranet, limits, delay
        self.bytes_received = 0
        self.requests: list[str] = []
        self._last_request: float | None = None
        self._client = httpx.Client(headers={"User-Agent": user_agent, **headers}, follow_redirects=False,
                                    timeout=httpx.Timeout(limits.timeout_seconds), transport=transport, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, validators: Callable[[str], Validators | None] = lambda url: None,
            document: bool = True) -> Page:
        """``url`` fetched, following in-scope redirects; ``validators`` gives what is known of each address
        (a conditional request), ``document`` keeps only HTML, PDF and DOCX."""
        for _ in range(MAX_REDIRECTS + 1):
            page_or_next = self._once(url, validators(url), document)
            if isinstance(page_or_next, Page):
                return page_or_next
            url = page_or_next
        raise Skipped(f"plus de {MAX_REDIRECTS} redirections")

    def _once(self, url: str, validators: Validators | None, document: bool) -> Page | str:
        parts = urlsplit(url)
        try:
            address = check_host(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), self.intranet)
        except AddressRefused as reason:
            raise Skipped(str(reason)) from None
        if self.bytes_received >= self.limits.max_total_bytes:
            raise Skipped(f"volume total de la source atteint ({self.limits.max_total_bytes} octets)")
        self._wait_turn()
        self.requests.append(url)
        deadline = time.monotonic() + self.limits.timeout_seconds
        headers = validators.headers() if validators else {}
        target, extensions = url, {}
        if address is not None:  # connect to the address checked, keep the name for Host and TLS
            target = _pinned(parts, address)
            headers["Host"] = parts.netloc
            extensions = {"sni_hostname": parts.hostname}
        try:
            with self._client.stream("GET", target, headers=headers, extensions=extensions) as response:
                if response.status_code in REDIRECTS and response.headers.get("location"):
                    return self._redirect_target(url, response.headers.get("location", ""))
                if response.status_code in (304, 404, 410):
                    return Page(url, response.status_code)
                if response.status_code != 200:
                    raise HttpStatus(response.status_code)
                kind = _kind(url, response.headers.get("content-type", ""))
                if document and kind is None:
                    raise Skipped(f"type de contenu non pris en charge ({_media_type(response.headers) or 'absent'})")
                body = self._body(response, deadline)
                return Page(url, 200, kind, body, response.charset_encoding,
                            Validators(response.headers.get("etag"), response.headers.get("last-modified")))
        except httpx.TimeoutException:
            raise Skipped(f"délai dépassé ({self.limits.timeout_seconds:g} s)") from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise Unreachable(f"serveur injoignable ({error.__class__.__name__})") from None
        finally:
            self._last_request = time.monotonic()

    def _wait_turn(self) -> None:
        """Sleep until ``delay`` seconds have passed since the end of the previous request."""
        if self._last_request is not None:
            remaining = self._last_request + self.delay - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

    def _redirect_target(self, url: str, location: str) -> str:
        target = normalize(location, base=url)
        if target is None:
            raise Skipped(f"redirection vers une adresse invalide « {location[:200]} »")
        if not self.scope.allows(target):
            raise Skipped(f"redirection hors périmètre vers {target} : {self.scope.why_not(target)}")
        return target

    def _body(self, response: httpx.Response, deadline: float) -> bytes:
        limit = self.limits.max_page_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Skipped(f"page trop volumineuse ({int(declared)} octets annoncés, limite {limit})")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            self.bytes_received += len(chunk)
            if size > limit:
                raise Skipped(f"page trop volumineuse (plus de {limit} octets)")
            if self.bytes_received > self.limits.max_total_bytes:
                raise Skipped(f"volume total de la source atteint ({self.limits.max_total_bytes} octets)")
            if time.monotonic() > deadline:
                raise Skipped(f"délai dépassé ({self.limits.timeout_seconds:g} s)")
            chunks.append(chunk)
        return b"".join(chunks)


def _pinned(parts: SplitResult, address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))


def _media_type(headers: httpx.Headers) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _kind(url: str, content_type: str) -> str | None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in KINDS:
        return KINDS[media]
    if media in ("application/octet-stream", "binary/octet-stream", ""):
        path = urlsplit(url).path.lower()
        return next((kind for suffix, kind in SUFFIX_KINDS.items() if path.endswith(suffix)), None)
    return None
