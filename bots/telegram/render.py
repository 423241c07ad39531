"""API answers and results as Telegram HTML, cut into messages of at most 4,096 characters."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from . import texts

TELEGRAM_LIMIT = 4096
QUOTE_CHARS = 700
MARKER = re.compile(r"\[(\d{1,2})\]")
# Pieces that must never be cut: one link or one bold/italic run; everything else may break at spaces.
ATOM = re.compile(r"<a\s[^>]*>.*?</a>|<b>.*?</b>|<i>.*?</i>|\s+|[^\s<]+|<", re.S)


def absolute(url: str, api_url: str) -> str:
    return urljoin(api_url.rstrip("/") + "/", url)


def link(url: str, label: str, api_url: str) -> str:
    """``label`` (already HTML) linked to ``url``; an address other than http(s) — a ``javascript:`` a corpus
    file could declare — leaves the label as plain text."""
    target = absolute(url, api_url)
    if not target.lower().startswith(("http://", "https://")):
        return label
    return f'<a href="{html.escape(target, quote=True)}">{label}</a>'


def snippet_html(snippet: str) -> str:
    """Server snippets are escaped text with <mark> highlights; Telegram knows <b>, not <mark>. Only the mark
    tags become markup: everything else is escaped again, whatever the server sent."""
    return "".join("<b>" if part == "<mark>" else "</b>" if part == "</mark>" else html.escape(html.unescape(part), quote=False)
                   for part in re.split(r"(</?mark>)", snippet))


def render_answer(answer: dict, api_url: str) -> str:
    """The answer with each [n] linked to its source, then the numbered sources (or the closest resources)."""
    citations = {c["number"]: c for c in answer.get("citations", [])}

    def linked(match: re.Match) -> str:
        citation = citations.get(int(match.group(1)))
        return link(citation["url"], match.group(0), api_url) if citation else match.group(0)

    body = MARKER.sub(linked, html.escape(answer["answer"], quote=False))
    if answer["status"] == "answered" and citations:
        sources = [f"[{n}] {link(c['url'], html.escape(c['title']), api_url)}" for n, c in sorted(citations.items())]
        return body + "\n\n" + "\n".join(sources)
    related = answer.get("related") or []
    if related:  # each with the extract of its closest passage, for the agent to judge whether it answers
        lines = [f"• {link(r['url'], html.escape(r['title']), api_url)}"
                 + (f"\n{snippet_html(r['snippet'])}" if r.get("snippet") else "") for r in related[:5]]
        return body + "\n\n" + texts.CLOSEST + "\n" + "\n".join(lines)
    return body


def render_results(results: list[dict], header: str, api_url: str, start: int = 1) -> str:
    lines = [header, ""]
    for number, result in enumerate(results, start=start):
        lines.append(f"{number}. {link(result['url'], html.escape(result['title']), api_url)}")
        heading = result.get("heading_path", "")
        if heading and heading != result["title"]:
            lines.append(f"<i>{html.escape(heading)}</i>")
        if result.get("snippet"):
            lines.append(snippet_html(result["snippet"]))
        lines.append("")
    return "\n".join(lines).strip()


def render_sources(citations: list[dict], api_url: str) -> str:
    if not citations:
        return texts.NO_SOURCES
    parts = [texts.SOURCES_HEADER]
    for citation in citations:
        quote = citation["quote"] if len(citation["quote"]) <= QUOTE_CHARS else citation["quote"][:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
        parts.append(f"\n[{citation['number']}] {link(citation['url'], html.escape(citation['title']), api_url)}"
                     f"\n<i>{html.escape(citation['heading_path'])}</i>\n« {html.escape(quote)} »")
    return "\n".join(parts)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Cut at paragraph, then line, then word boundaries; never inside a link or a tag."""
    if len(text) <= limit:
        return [text]
    messages: list[str] = []
    current = ""
    for paragraph in re.split(r"(\n\n)", text):
        if len(current) + len(paragraph) <= limit:
            current += paragraph
            continue
        if current.strip():
            messages.append(current.strip())
        current = ""
        if len(paragraph) <= limit:
            current = paragraph
            continue
        for atom in _atoms(paragraph, limit):
            if len(current) + len(atom) > limit:
                if current.strip():
                    messages.append(current.strip())
                current = ""
            current += atom
    if current.strip():
        messages.append(current.strip())
    return messages


def _atoms(text: str, limit: int):
    """Unbreakable pieces no longer than ``limit``: a link longer than a message loses its tags."""
    for atom in ATOM.findall(text):
        if len(atom) <= limit:
            yield atom
        elif atom.startswith("<"):
            yield from _atoms(re.sub(r"<[^>]+>", "", atom), limit)
        else:
            yield from (atom[i:i + limit] for i in range(0, len(atom), limit))
