"""A website on a loopback port for the web-source tests: Markdown guides rendered to HTML pages (with the site's
header, navigation and footer around them), a PDF and a DOCX, a sitemap index (one part gzipped), robots.txt with
a disallowed folder, redirects inside and outside the site, ETags, and hostile pages (slow, oversized, wrong type,
an endless calendar). Tests change and delete pages between syncs and read the request log."""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from markdown_it import MarkdownIt
from support import SILENT_SECONDS

from index.readers import parse_front_matter
from index.web.config import WebSource

TOKEN = "jeton-intranet-de-test"
PDF_TEXT = "Note sur le budget participatif : les habitants proposent et votent des projets d'investissement."
DOCX_TEXT = "La fiche explique comment organiser un hackathon de données publiques en trois jours."


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic()


WORD = re.compile(r"\w+")
VUEPRESS_CONTAINER = re.compile(r"^[ \t]*:::+[ \t]*(?:[\w-]+)?[ \t]*(.*)$", re.M)
VUEPRESS_BUTTON = re.compile(r"<Button\s+link=\"([^\"]*)\"\s+text=\"([^\"]*)\"\s*/?>")


def render_page(markdown: str, links: list[str] = ()) -> bytes:
    """A published page: site chrome around the guide's rendered Markdown (title from its front matter), its
    VuePress containers and buttons rendered as the site generator does (a paragraph, a link)."""
    meta, body = parse_front_matter(markdown)
    title = html.escape(str(meta.get("title", "Guide")))
    body = VUEPRESS_CONTAINER.sub(lambda m: f"\n{m.group(1)}\n" if m.group(1) else "\n", body)
    body = VUEPRESS_BUTTON.sub(r"[\2](\1)", body)
    article = MarkdownIt("commonmark").enable("table").render(body)
    if "title" in meta and "<h1>" not in article:
        article = f"<h1>{title}</h1>{article}"  # a site shows the page's title as its heading
    more = "".join(f'<li><a href="{html.escape(link)}">{html.escape(link)}</a></li>' for link in links)
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title} | Site de test</title></head>'
            f'<body><header><a href="/">Accueil</a> Portail de l\'innovation publique</header>'
            f'<nav><ul><li><a href="/">Accueil</a></li><li><a href="/calendrier?mois=0">Agenda</a></li></ul></nav>'
            f'<main>{article}<ul>{more}</ul></main><footer>Mentions légales — plan du site</footer></body></html>').encode()


@dataclass
class LoopbackSite:
    """The site's resources by path (mutable between syncs) and every request it received."""

    resources: dict[str, Resource] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # path -> error status served instead
    requests: list[Request] = field(default_factory=list)
    require_header: tuple[str, str] | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_requests(self, prefix: str = "/") -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix) and not r.path.startswith(("/robots.txt", "/sitemap"))]


def guides_site(guides: dict[str, str], pdf: bytes, docx: bytes) -> LoopbackSite:
    """``guides`` (corpus path → Markdown) published under /guides/<name>/, with the documents, traps and sitemaps."""
    site = LoopbackSite()
    paths = [f"/guides/{name.rsplit('/', 1)[-1].removesuffix('.md')}/" for name in guides]
    for path, markdown in zip(paths, guides.values()):
        site.resources[path] = Resource(render_page(markdown))
    first = paths[0]
    site.resources[first] = Resource(render_page(guides[next(iter(guides))], ["/documents/note.pdf", "/documents/fiche.docx"]))
    site.resources["/documents/note.pdf"] = Resource(pdf, "application/pdf")
    site.resources["/documents/fiche.docx"] = Resource(docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    site.resources["/prive/secret.html"] = Resource(render_page("# Secret\n\nPage interdite aux robots."))
    site.resources["/image.html"] = Resource(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    site.resources["/gros.html"] = Resource(render_page("# Gros\n\n" + "Texte très long. " * 40_000))
    site.resources["/lent.html"] = Resource(render_page("# Lent\n\nUne page qui tarde."))
    site.redirects["/ancien-guide"] = first
    site.redirects["/ailleurs"] = "http://localhost:{port}/guides/"
    home_links = paths + ["/documents/note.pdf", "/prive/secret.html", "/image.html", "/gros.html", "/ancien-guide",
                          "/ailleurs", "/calendrier?mois=0", "mailto:contact@example.org",
                          "https://www.example.org/externe"]
    site.resources["/"] = Resource(render_page("---\ntitle: Accueil\n---\n# Accueil\n\nLes guides du portail.", home_links))
    site.resources["/robots.txt"] = Resource(b"User-agent: *\nDisallow: /prive/\n", "text/plain")
    part = "".join(f"<url><loc>{{base}}{path}</loc></url>" for path in paths[:-1])
    last = f"<url><loc>{{base}}{paths[-1]}</loc></url>"
    site.resources["/sitemap-guides.xml"] = Resource(_urlset(part).encode(), "application/xml")
    site.resources["/sitemap-faq.xml.gz"] = Resource(_urlset(last).encode(), "application/gzip")
    site.resources["/sitemap.xml"] = Resource((
        b'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>{base}/sitemap-guides.xml</loc></sitemap><sitemap><loc>{base}/sitemap-faq.xml.gz</loc></sitemap>"
        b"</sitemapindex>"), "application/xml")
    return site


def link_from_home(site: LoopbackSite, path: str) -> None:
    """A link to ``path`` added to the home page (the slow page is linked only by the test that waits for it)."""
    home = site.resources["/"]
    site.resources["/"] = Resource(home.body.replace(b"</main>", f'<a href="{path}">{path}</a></main>'.encode()), home.content_type)


def corpus_site(corpus: Path, limit: int | None = None, step: int = 1) -> tuple[LoopbackSite, dict[str, str]]:
    """A folder of Markdown files published as a site (every ``step``-th file, ``limit`` at most) with a sitemap;
    and, for each page path, the id of the file it was rendered from."""
    site, origin = LoopbackSite(), {}
    files = sorted(corpus.rglob("*.md"))[::step][:limit]
    for file in files:
        relative = file.relative_to(corpus).as_posix()
        path = "/" + relative.removesuffix(".md") + "/"
        site.resources[path] = Resource(render_page(file.read_text(encoding="utf-8")))
        origin[path] = relative
    locations = "".join(f"<url><loc>{{base}}{path}</loc></url>" for path in origin)
    site.resources["/sitemap.xml"] = Resource(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locations}</urlset>'.encode(), "application/xml")
    site.resources["/robots.txt"] = Resource(b"User-agent: *\nAllow: /\n", "text/plain")
    return site, origin



def word_overlap(expected: str, found: str) -> float:
    """Words shared by two texts over words in either (Jaccard, case folded): 1.0 when they say the same."""
    a, b = set(WORD.findall(expected.casefold())), set(WORD.findall(found.casefold()))
    return len(a & b) / max(1, len(a | b))


def _urlset(urls: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def calendar_page(month: int) -> bytes:
    return render_page(f"# Agenda, mois {month}\n\nAucun événement ce mois-ci.",
                       [f"/calendrier?mois={month - 1}", f"/calendrier?mois={month + 1}"])


class _Handler(BaseHTTPRequestHandler):
    site: LoopbackSite

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        site = self.site
        parts = urlsplit(self.path)
        site.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()))
        if site.require_header and self.headers.get(site.require_header[0]) != site.require_header[1]:
            return self._send(401, b"non autorise", "text/plain")
        if parts.path in site.statuses:
            return self._send(site.statuses[parts.path], b"erreur", "text/plain")
        if parts.path in site.redirects:
            self.send_response(301)
            self.send_header("Location", site.redirects[parts.path].format(port=site.port))
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if parts.path == "/calendrier":
            resource = Resource(calendar_page(int(parse_qs(parts.query).get("mois", ["0"])[0])))
        else:
            resource = site.resources.get(parts.path)
        if resource is None:
            return self._send(404, b"introuvable", "text/plain")
        if parts.path == "/lent.html":
            time.sleep(SILENT_SECONDS)
        if self.headers.get("If-None-Match") == resource.etag:
            self.send_response(304)
            self.send_header("ETag", resource.etag)
            return self.end_headers()
        body = resource.body
        if parts.path.startswith("/sitemap"):
            body = body.replace(b"{base}", site.base.encode())
            body = gzip.compress(body, mtime=0) if parts.path.endswith(".gz") else body
        self._send(200, body, resource.content_type, resource.etag, declare_length=parts.path != "/gros.html")

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None, declare_length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if etag:
            self.send_header("ETag", etag)
        if declare_length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not declare_length:
            self.close_connection = True


class ServedSite:
    """``site`` served by a threaded HTTP server on 127.0.0.1, on a free port, until ``close``."""

    def __init__(self, site: LoopbackSite) -> None:
        handler = type("Handler", (_Handler,), {"site": site})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        site.port = self.server.server_address[1]
        self.site = site
        self.thread = threading.Thread(target=self.server.serve_forever, name="loopback-site", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sample_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def sample_docx(title: str, text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, 1)
    document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def crawl_source(site: LoopbackSite, **overrides) -> WebSource:
    """The site crawled from its home page, no delay (loopback), as an intranet source (127.0.0.1 is private)."""
    values = dict(name="portail", start_url=site.base + "/", max_depth=3, delay_seconds=0.0, intranet=True,
                  type="guide", tags=["innovation"])
    return WebSource(**(values | overrides))
