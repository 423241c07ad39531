"""Inline Markdown, kramdown and HTML markup to the plain text a person reads.

Links keep their label (an autolink its address), images, their credit lines and footnote markers go, emphasis
markers, attribute lists and stray tags are removed, entities are decoded. Code spans, addresses and backslash
escapes are set aside first, so ``snake_case``, ``*.md`` or an address with underscores come out as written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
LABEL = r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
DESTINATION = r"\(\s*(?:<[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
IMAGE = re.compile(rf"!{LABEL}(?:{DESTINATION}|\[[^\[\]]*\])")
INLINE_LINK = re.compile(rf"{LABEL}{DESTINATION}")
REFERENCE_LINK = re.compile(rf"{LABEL}\[([^\[\]]*)\]")
SHORTCUT_LINK = re.compile(LABEL)
FOOTNOTE = re.compile(r"\[\^[^\[\]\s]+\]")
ATTRIBUTE_LIST = re.compile(r"\{:[^{}\n]*\}|\{[ \t]*[.#][A-Za-z][^{}\n]*\}|\{[ \t]*[A-Za-z][\w-]*[ \t]*=[^{}\n]*\}")
AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]+|mailto:[^\s<>]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
BARE_URL = re.compile(r"(?:https?|ftp)://[^\s<>\"]+[^\s<>\"().,;:!?'’»]")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
# Emphasis delimiters as (opener, closer): ``*`` may sit inside a word, ``_`` may not (CommonMark), so
# ``mon_fichier_v2`` stays whole. Strong before simple, so ``**`` is never read as two ``*``.
EMPHASIS = tuple((re.compile(opener), re.compile(closer)) for opener, closer in (
    (r"\*\*(?=\S)", r"(?<=\S)\*\*"),
    (r"~~(?=\S)", r"(?<=\S)~~"),
    (r"(?<!\w)__(?=\S)", r"(?<=\S)__(?!\w)"),
    (r"(?<![*\w])\*(?=[^\s*])", r"(?<=[^\s*])\*(?!\*)"),
    (r"(?<!\w)_(?=[^\s_])", r"(?<=[^\s_])_(?!\w)"),
))
STRAY_STRONG = re.compile(r"\*{2,}")  # left unpaired or badly spaced (« **6 mai ** »)
# An asterisk against a French quote mark is emphasis badly spaced (« «* de systématiquement … genre *» »).
QUOTED_STAR = re.compile(r"«[\s*]*\*[\s*]*|[\s*]*\*[\s*]*»")
# An image's credit line: who took it, under which licence (« By Isabelle Bideau - Give by the author, CC BY-SA 4.0,
# Link », « (Photos : CC-BY-SA) »), or a caption's trailing « - © Bastien Guerry, CC BY-SA 4.0 ».
LICENCE = r"(?i:\bCC[- ]?(?:BY|0)\b|©|\bcreative commons\b|\bdomaine public\b|\bpublic domain\b)"
CREDIT_LINE = re.compile(rf"^\W*(?:(?:[Bb]y|[Pp]ar)\s+[A-ZÀ-Ý]|(?:[Pp]hotos?|[Cc]rédits?(?: photos?)?)\s*:|©)"
                         rf"[^!?]{{0,120}}?{LICENCE}[^!?]{{0,60}}$")
CREDIT_TAIL = re.compile(r"\s+[-–—]\s+©[^©]{0,80}$")


def strip_inline(text: str, references: Iterable[str] = ()) -> str:
    """Plain text of one paragraph, list item, heading or table cell; ``references`` are the document's
    link-reference labels, so a shortcut link ``[label]`` loses its brackets only when it is one."""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\ue000{len(kept) - 1}\ue001"

    known = {label.casefold() for label in references}
    text = CODE_SPAN.sub(lambda m: keep(m.group(2).strip() or m.group(2)), text)
    text = ESCAPE.sub(lambda m: keep(m.group(1)), text)
    text = AUTOLINK.sub(lambda m: keep(m.group(1).removeprefix("mailto:")), text)
    text = IMAGE.sub("", text)
    text = _until_stable(lambda t: INLINE_LINK.sub(r"\1", t), text)
    text = REFERENCE_LINK.sub(r"\1", text)
    text = FOOTNOTE.sub("", text)
    if known:
        text = SHORTCUT_LINK.sub(lambda m: m.group(1) if m.group(1).casefold() in known else m.group(0), text)
    text = ATTRIBUTE_LIST.sub("", text)
    text = BARE_URL.sub(lambda m: keep(m.group(0)), text)
    text = HTML_TAG.sub("", text)
    text = STRAY_STRONG.sub("", _until_stable(_drop_emphasis, text))
    text = QUOTED_STAR.sub(lambda m: "« " if "«" in m.group(0) else " »", html.unescape(text))
    if CREDIT_LINE.match(text):
        return ""
    text = CREDIT_TAIL.sub("", text)
    return _until_stable(lambda t: PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], t), text)


def _drop_emphasis(text: str) -> str:
    for opener, closer in EMPHASIS:
        text = _unwrap(text, opener, closer)
    return text


def _unwrap(text: str, opener: re.Pattern, closer: re.Pattern) -> str:
    """Remove each opener with the first closer after it (and some text between), in one linear pass."""
    closers = [(m.start(), m.end()) for m in closer.finditer(text)]
    cuts, position, index = [], 0, 0
    for match in opener.finditer(text):
        if match.start() < position:
            continue
        while index < len(closers) and closers[index][0] <= match.end():
            index += 1
        if index == len(closers):
            break
        cuts += [(match.start(), match.end()), closers[index]]
        position, index = closers[index][1], index + 1
    pieces, previous = [], 0
    for start, end in cuts:
        pieces.append(text[previous:start])
        previous = end
    return "".join(pieces) + text[previous:]


def _until_stable(step: Callable[[str], str], text: str, rounds: int = 4) -> str:
    """Apply ``step`` until nothing changes (nested links, emphasis inside emphasis), a few rounds at most."""
    for _ in range(rounds):
        changed = step(text)
        if changed == text:
            break
        text = changed
    return text
