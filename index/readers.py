"""One reader per file format, behind a registry keyed by extension.

Each reader takes the file's bytes and its corpus-relative id and returns a ``Document``; it raises
``UnreadableDocument`` with a French reason when the file is empty, binary, undecodable or malformed.
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import PurePosixPath

import yaml

from .documents import DOCUMENT_TYPES, LIST_BULLET, Document, Section, UnreadableDocument
from .markup import strip_inline
from .urls import clean_url
from .web.provenance import docx_provenance, pdf_provenance

Reader = Callable[[bytes, str], Document]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- text helpers


def decode_text(data: bytes) -> str:
    """UTF-8 text (a BOM is allowed); binary or other encodings are refused."""
    if not data.strip():
        raise UnreadableDocument("fichier vide")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("fichier binaire (octets nuls) alors qu'un texte est attendu")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDocument(f"encodage illisible : UTF-8 attendu (octet invalide à la position {error.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_whitespace(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def title_from_id(document_id: str) -> str:
    stem = PurePosixPath(document_id).stem
    stem = re.sub(r"^[\d_.-]+", "", stem) or stem
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:]


def sections_from_headings(title: str, blocks: list[tuple[int, str] | str]) -> list[Section]:
    """Turn a flat list of headings ``(level, text)`` and text blocks into sections with heading paths."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    buffer: list[str] = []

    def flush() -> None:
        text = clean_whitespace("\n".join(buffer))
        path = (title, *[h for _, h in stack])
        if text:
            sections.append(Section(heading_path=path, text=text, is_question=len(path) > 1 and path[-1].rstrip().endswith("?")))
        buffer.clear()

    for block in blocks:
        if isinstance(block, tuple):
            level, heading = block
            flush()
            heading = clean_whitespace(heading)
            if level == 1 and not stack and heading.casefold() == title.casefold():
                continue  # the document's own title, already first in every path
            while stack and stack[-1][0] >= level:
                stack.pop()
            if heading:
                stack.append((level, heading))
        else:
            buffer.append(block)
    flush()
    return sections


def _metadata_document(document_id: str, meta: dict, title: str, sections: list[Section]) -> Document:
    """Build a Document from front-matter-like metadata, normalising type and tags."""
    doc_type = str(meta.get("type") or "").strip().lower()
    if doc_type not in DOCUMENT_TYPES:
        questions = sum(1 for s in sections if s.is_question)
        doc_type = "faq" if questions >= 2 and questions >= len(sections) / 2 else "guide"
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    tags = [str(t).strip().lower() for t in tags if str(t).strip()]
    url = clean_url(meta.get("url"))  # the document's own address; ``source`` (its origin) stays in metadata
    if meta.get("url") and url is None:
        logger.warning("%s : adresse « url » ignorée (ni http(s) ni chemin propre depuis la racine du site) : %r",
                       document_id, meta["url"])
    extra = {k: _jsonable(v) for k, v in meta.items() if k not in {"title", "type", "tags", "url"}}
    return Document(id=document_id, title=title, type=doc_type, tags=tags, url=url,
                    metadata=extra, sections=sections)


def _jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- Markdown

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
KRAMDOWN_TOC = re.compile(r"^[ \t]*(?:[-*+]|1\.)[ \t]+[^\n]*\n[ \t]*\{:[ \t]*toc[ \t]*\}[ \t]*$", re.M)
LIQUID = re.compile(r"\{%-?.*?-?%\}|\{\{-?.*?-?\}\}|^[ \t]*\{:[^}\n]*\}[ \t]*$", re.S | re.M)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
HTML_DROP = re.compile(r"<(script|style|svg|iframe|object|canvas|noscript)\b.*?</\1\s*>", re.S | re.I)
HTML_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/ul|/ol|/table)\b[^>]*>", re.I)
HARD_BREAK = re.compile(r"(?: {2,}|\\|<\s*(?:br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/ul|/ol|/table)\b[^>]*>)\s*$", re.I)
CONTAINER = re.compile(r"^\s*:::+\s*(\w[\w-]*)?\s*(.*)$")
ATX_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A paragraph that is only a question in bold (« **Qui utilise ce service ?** ») heads the answer that follows it
BOLD_QUESTION = re.compile(r"^(\*\*|__)([^*_].*\?)\s*\1$")
PSEUDO_HEADING_LEVEL = 6  # below any heading the document has: it opens a subsection of the current section
# A heading written in HTML on a line of its own, as DSFR sites write theirs (« <h2 class="fr-h6">…</h2> »)
HTML_HEADING = re.compile(r"^\s*<h([1-6])\b[^>]*>(.+?)</h\1\s*>\s*$", re.I)
SETEXT = re.compile(r"^(=+|-+)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
THEMATIC_BREAK = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
REF_DEF = re.compile(r"^\s{0,3}\[([^\]^][^\]]*)\]:\s*\S+.*$")
FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^[^\]]+\]:\s*")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def parse_front_matter(text: str) -> tuple[dict, str]:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (ligne {mark.line + 2})" if mark else ""
        raise UnreadableDocument(f"en-tête YAML invalide{where}") from None
    if not isinstance(meta, dict):
        raise UnreadableDocument("en-tête YAML invalide : un dictionnaire clé: valeur est attendu")
    return meta, text[match.end():]


def markdown_blocks(body: str) -> list[tuple[int, str] | str]:
    """Headings and plain-text lines of a Markdown body: one line per paragraph, list item or table row
    (soft line breaks joined, hard ones kept), code as written, template and container markup removed."""
    body = HTML_COMMENT.sub("", body)
    body = HTML_DROP.sub("", body)
    body = KRAMDOWN_TOC.sub("", body)
    body = LIQUID.sub("", body)
    body = "\n".join(line if line.lstrip().startswith("|") else HTML_BREAK.sub(lambda m: m.group(0) + "\n", line)
                     for line in body.split("\n"))  # a <br> inside a table row stays in its row
    references = [m.group(1) for m in map(REF_DEF.match, body.splitlines()) if m]
    blocks: list[tuple[int, str] | str] = []
    paragraph: list[str] = []
    bullet = ""

    def plain(text: str) -> str:
        return strip_inline(text, references)

    def flush() -> None:
        nonlocal bullet
        if paragraph:
            text = " ".join(line.strip() for line in paragraph)
            question = None if bullet else BOLD_QUESTION.match(text)
            blocks.append((PSEUDO_HEADING_LEVEL, plain(question.group(2))) if question else bullet + plain(text))
        paragraph.clear()
        bullet = ""

    in_fence = False
    for raw in body.splitlines():
        if FENCE.match(raw):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            blocks.append(raw)
            continue
        container = CONTAINER.match(raw)
        heading = ATX_HEADING.match(raw) or HTML_HEADING.match(raw)
        if container or heading or not raw.strip():
            flush()
            if container and container.group(2):
                blocks.append(plain(container.group(2)))
            elif heading:
                level = heading.group(1)
                blocks.append((int(level) if level.isdigit() else len(level), plain(heading.group(2))))
            elif not container:
                blocks.append("")
            continue
        if SETEXT.match(raw) and paragraph and not bullet:
            text = plain(" ".join(line.strip() for line in paragraph))
            paragraph.clear()
            blocks.append((1 if raw.strip()[0] == "=" else 2, text))
            continue
        if TABLE_RULE.match(raw) or THEMATIC_BREAK.match(raw) or REF_DEF.match(raw):
            flush()
            continue
        line = FOOTNOTE_DEF.sub("", re.sub(r"^\s*>\s?", "", raw))
        if line.lstrip().startswith("|"):
            flush()
            cells = (plain(cell) for cell in line.strip().strip("|").split("|"))
            blocks.append(" ; ".join(cell for cell in cells if cell.strip()))
            continue
        if LIST_ITEM.match(line):
            flush()
            bullet, line = LIST_BULLET, LIST_ITEM.sub("", line, count=1)
        if HARD_BREAK.search(line):
            paragraph.append(line.rstrip().removesuffix("\\"))
            flush()
        else:
            paragraph.append(line)
    flush()
    return blocks


def read_markdown(data: bytes, document_id: str) -> Document:
    meta, body = parse_front_matter(decode_text(data))
    if meta.get("published") is False or meta.get("draft") is True:  # Jekyll's and Hugo's unpublished pages
        raise UnreadableDocument("brouillon non publié (« published: false » ou « draft: true » dans l'en-tête)")
    blocks = markdown_blocks(body)
    first_h1 = next((b[1] for b in blocks if isinstance(b, tuple) and b[0] == 1), None)
    title = clean_whitespace(html.unescape(str(meta.get("title") or first_h1 or title_from_id(document_id))))
    sections = sections_from_headings(title, blocks)
    if not any(s.text for s in sections):
        raise UnreadableDocument("aucun texte après l'en-tête")
    return _metadata_document(document_id, meta, title, sections)


def read_text(data: bytes, document_id: str) -> Document:
    text = clean_whitespace(decode_text(data))
    lines = text.splitlines()
    title = lines[0] if lines and len(lines[0]) <= 120 and len(lines) > 1 else title_from_id(document_id)
    body = "\n".join(lines[1:]) if title == (lines[0] if lines else None) else text
    return _metadata_document(document_id, {}, title, [Section(heading_path=(title,), text=body.strip())])


# --------------------------------------------------------------------------- HTML

HTML_SKIP = {"script", "style", "nav", "header", "footer", "aside", "noscript", "form", "svg", "template", "iframe", "button"}
HTML_BLOCKS = {"p", "li", "pre", "blockquote", "td", "th", "dt", "dd", "figcaption", "caption"}
HTML_HEADINGS = {f"h{i}": i for i in range(1, 7)}
HTML_LINE_BREAK = "\ue002"  # stands for <br> while whitespace is collapsed


def _html_blocks(node, blocks: list) -> None:
    child = node.child
    while child is not None:
        tag = child.tag
        if tag in HTML_SKIP or tag.startswith("-") and tag != "-text":
            pass
        elif tag == "-text":
            text = _inline_text(child)
            if text:
                blocks.append(text)
        elif tag in HTML_HEADINGS:
            blocks.append((HTML_HEADINGS[tag], _inline_text(child)))
        elif tag == "pre":
            blocks.append(child.text().replace(HTML_LINE_BREAK, "\n"))
        elif tag in HTML_BLOCKS and not _has_block_inside(child):
            prefix = LIST_BULLET if tag == "li" else ""
            blocks.append(prefix + _inline_text(child))
        else:
            _html_blocks(child, blocks)
        child = child.next


def _inline_text(node) -> str:
    """A block's text as a browser lays it out: source line breaks and runs of spaces are one space,
    ``<br>`` is a line break, inline tags (``<strong>``, ``<a>``) add nothing."""
    lines = node.text().split(HTML_LINE_BREAK)
    return "\n".join(" ".join(line.split()) for line in lines).strip()


def _has_block_inside(node) -> bool:
    return any(inner.tag in HTML_BLOCKS or inner.tag in HTML_HEADINGS
               for inner in node.traverse(include_text=False) if inner.mem_id != node.mem_id)


def read_html(data: bytes, document_id: str) -> Document:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(decode_text(data))
    meta = {}
    for tag in tree.css("meta[name]"):
        name, content = tag.attributes.get("name") or "", tag.attributes.get("content") or ""
        if name.startswith("eclaireur:"):
            meta[name.split(":", 1)[1]] = content
        elif name == "description":
            meta["description"] = content
    if "tags" in meta:
        meta["tags"] = [t.strip() for t in meta["tags"].split(",")]
    for line_break in tree.css("br"):
        line_break.replace_with(HTML_LINE_BREAK)
    root = (tree.css_first("main") or tree.css_first("[role=main]") or tree.css_first("article") or tree.body)
    if root is None:
        raise UnreadableDocument("HTML sans corps de page")
    blocks: list = []
    _html_blocks(root, blocks)
    h1 = next((b[1] for b in blocks if isinstance(b, tuple) and b[0] == 1), None)
    page_title = tree.css_first("title")
    title = meta.pop("title", None) or h1 or (page_title.text(strip=True) if page_title else "") or title_from_id(document_id)
    sections = sections_from_headings(clean_whitespace(title), blocks)
    if not any(s.text for s in sections):
        raise UnreadableDocument("aucun texte dans le contenu principal de la page")
    return _metadata_document(document_id, meta, clean_whitespace(title), sections)


# --------------------------------------------------------------------------- PDF


def read_pdf(data: bytes, document_id: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise UnreadableDocument("PDF invalide : signature %PDF absente")
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(number, clean_whitespace(page.extract_text() or "")) for number, page in enumerate(reader.pages, start=1)]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise UnreadableDocument(f"PDF illisible ({error.__class__.__name__}: {error})") from None
    pages = [(n, t) for n, t in pages if t]
    meta = pdf_provenance(reader.metadata)
    if not pages:
        raise UnreadableDocument("PDF sans texte extractible (document scanné ?)")
    first_line = pages[0][1].splitlines()[0]
    title = clean_whitespace(info_title) or (first_line if len(first_line) <= 120 else title_from_id(document_id))
    sections = [Section(heading_path=(title,), text=text, page=number) for number, text in pages]
    return _metadata_document(document_id, meta, title, sections)


# --------------------------------------------------------------------------- DOCX

DOCX_HEADING = re.compile(r"^(?:heading|titre)\s*(\d)$", re.I)


def read_docx(data: bytes, document_id: str) -> Document:
    import zipfile

    import docx
    from docx.table import Table

    try:
        word = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableDocument(f"DOCX illisible ({error.__class__.__name__}: {error})") from None
    blocks: list = []
    for item in word.iter_inner_content():  # paragraphs and tables, in reading order
        if isinstance(item, Table):
            for row in item.rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    blocks.append(" ; ".join(dict.fromkeys(cells)))
            continue
        style = (item.style.name if item.style is not None else "") or ""
        level = DOCX_HEADING.match(style.strip())
        text = item.text.strip()
        if not text:
            continue
        if style.strip().lower() in {"title", "titre"}:
            blocks.append((1, text))
        elif level:
            blocks.append((int(level.group(1)), text))
        else:
            blocks.append((LIST_BULLET if "list" in style.lower() else "") + text)
    core_title = (word.core_properties.title or "").strip()
    h1 = next((b[1] for b in blocks if isinstance(b, tuple) and b[0] == 1), None)
    title = core_title or h1 or title_from_id(document_id)
    meta = {"tags": word.core_properties.keywords} if word.core_properties.keywords else {}
    meta |= docx_provenance(word)
    sections = sections_from_headings(title, blocks)
    if not any(s.text for s in sections):
        raise UnreadableDocument("DOCX sans texte")
    return _metadata_document(document_id, meta, title, sections)


# --------------------------------------------------------------------------- registry

READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}


def reader_for(path: str) -> Reader | None:
    """The reader registered for this file's extension, or None when the format is not supported."""
    return READERS.get(PurePosixPath(path).suffix.lower())


def read_document(data: bytes, document_id: str) -> Document:
    reader = reader_for(document_id)
    if reader is None:
        raise UnreadableDocument(f"format non pris en charge ({PurePosixPath(document_id).suffix or 'sans extension'})")
    return reader(data, document_id)
