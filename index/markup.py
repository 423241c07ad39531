"""Inline Markdown, kramdown and HTML markup to the plain text a person reads.

Links keep their label (an autolink its address), images and footnote markers go, emphasis markers,
attribute lists and stray tags are removed, entities are decoded. Code spans, addresses and backslash
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
# Emphasis: ``*`` may sit inside a word, ``_`` may not (CommonMark), so ``mon_fichier_v2`` stays whole.
# A span is at most EMPHASIS_CHARS long, so a paragraph full of lone markers is read in linear time.
EMPHASIS_CHARS = 600
EMPHASIS = (
    re.compile(rf"(\*\*|~~)(?=\S)(.{{1,{EMPHASIS_CHARS}}}?)(?<=\S)\1", re.S),
    re.compile(rf"(?<!\w)__(?=\S)(.{{1,{EMPHASIS_CHARS}}}?)(?<=\S)__(?!\w)", re.S),
    re.compile(rf"(?<![*\w])\*(?=[^\s*])(.{{1,{EMPHASIS_CHARS}}}?)(?<=[^\s*])\*(?!\*)", re.S),
    re.compile(rf"(?<!\w)_(?=[^\s_])(.{{1,{EMPHASIS_CHARS}}}?)(?<=[^\s_])_(?!\w)", re.S),
)
STRAY_STRONG = re.compile(r"\*{2,}")  # left unpaired or badly spaced (« **6 mai ** »)


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
    text = html.unescape(text)
    return _until_stable(lambda t: PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], t), text)


def _drop_emphasis(text: str) -> str:
    for pattern in EMPHASIS:
        text = pattern.sub(lambda m: m.group(m.lastindex), text)
    return text


def _until_stable(step: Callable[[str], str], text: str, rounds: int = 4) -> str:
    """Apply ``step`` until nothing changes (nested links, emphasis inside emphasis), a few rounds at most."""
    for _ in range(rounds):
        changed = step(text)
        if changed == text:
            break
        text = changed
    return text
