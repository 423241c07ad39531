"""Cut documents into retrieval units sized with the model's own tokenizer.

A FAQ pair is one unit (split only when longer than the model accepts). A guide section becomes one
chunk when it fits the budget, otherwise it is split at sentence boundaries with a small overlap.
Every chunk carries its heading path, which is embedded with its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .documents import LIST_BULLET, Document, Section

TokenCounter = Callable[[list[str]], list[int]]

HEADING_SEPARATOR = " > "
# Sentence ends: ., !, ?, … or ; followed by space and an upper-case letter, a digit, a quote or a bullet.
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(\[A-ZÀ-ÖØ-ÞŒ0-9•])|\n+")
ABBREVIATIONS = re.compile(r"(?:\b(?:M|Mme|Mmes|MM|Dr|art|Art|cf|n°|p|pp|vol|éd|etc|ex|av|J\.-C)|\b[A-Z])\.$")


@dataclass(frozen=True)
class ChunkingConfig:
    max_tokens: int = 256
    overlap_tokens: int = 32
    model_max_tokens: int = 512


@dataclass(frozen=True)
class Chunk:
    """One retrieval unit; ``ordinal`` numbers it within its document (its id is ``document_id#ordinal``)."""

    document_id: str
    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    kind: str  # "faq" (a question/answer pair) or "section"
    page: int | None = None

    @property
    def id(self) -> str:
        return f"{self.document_id}#{self.ordinal}"

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)

    @property
    def embedding_text(self) -> str:
        """What the model sees: the heading path, then the text."""
        return f"{self.heading}\n{self.text}" if self.heading_path else self.text


def split_sentences(text: str) -> list[str]:
    """French sentence split that keeps abbreviations such as « M. », « art. » or « n°. » whole."""
    pieces, start = [], 0
    for match in SENTENCE_END.finditer(text):
        candidate = text[start:match.start()]
        if ABBREVIATIONS.search(candidate) and "\n" not in match.group(0):
            continue
        if candidate.strip():
            pieces.append(candidate.strip())
        start = match.end()
    if text[start:].strip():
        pieces.append(text[start:].strip())
    return pieces


def sentences_by_line(text: str) -> list[tuple[str, bool]]:
    """The sentences of ``text``, each with whether it opens a line: a paragraph or a list item starts there."""
    return [(sentence, number == 0) for line in text.split("\n") for number, sentence in enumerate(split_sentences(line))]


def _split_long_word(word: str, budget: int, count: TokenCounter) -> list[str]:
    """A "word" over budget (a long URL, a run of symbols): cut it into character slices that fit."""
    pieces, rest = [], word
    while rest:
        size = len(rest)
        while size > 1 and count([rest[:size]])[0] > budget:
            size = max(1, size * budget // (count([rest[:size]])[0] + 1))
        pieces.append(rest[:size])
        rest = rest[size:]
    return pieces


def _split_long_sentence(sentence: str, budget: int, count: TokenCounter) -> list[str]:
    """Last resort for a sentence over budget: cut on words, keeping each piece within the budget."""
    words, pieces, current = [], [], []
    for word in sentence.split():
        words += _split_long_word(word, budget, count) if count([word])[0] > budget else [word]
    for word in words:
        current.append(word)
        if len(current) > 1 and count([" ".join(current)])[0] > budget:
            current.pop()
            pieces.append(" ".join(current))
            current = [word]
    if current:
        pieces.append(" ".join(current))
    return pieces


class Piece(NamedTuple):
    """What the packer places: a sentence, or a lead-in with its list, and its size in tokens."""

    text: str
    opens_line: bool
    tokens: int


def pack_sentences(sentences: list[tuple[str, bool]], header_tokens: int, config: ChunkingConfig, count: TokenCounter,
                   budget: int | None = None) -> list[str]:
    """Greedy packing of ``(sentence, opens a line)`` pairs into texts of at most ``budget`` tokens, with a sentence
    overlap. Line breaks are kept, so a list stays a list of items in every chunk that holds it."""
    budget = (budget or config.max_tokens) - header_tokens
    sizes = count([sentence for sentence, _ in sentences])
    pieces: list[Piece] = []
    for (sentence, opens_line), size in zip(sentences, sizes):
        if size > budget:
            parts = _split_long_sentence(sentence, budget, count)
            pieces += [Piece(part, opens_line and n == 0, tokens) for n, (part, tokens) in enumerate(zip(parts, count(parts)))]
        else:
            pieces.append(Piece(sentence, opens_line, size))
    pieces = _lists_kept_whole(pieces, budget)

    texts: list[str] = []
    current: list[Piece] = []
    for piece in pieces:
        if current and _tokens(current) + piece.tokens > budget:
            texts.append(_joined(current))
            overlap: list[Piece] = []
            for previous in reversed(current):
                if _tokens(overlap) + previous.tokens > config.overlap_tokens:
                    break
                overlap.insert(0, previous)
            current = overlap if _tokens(overlap) + piece.tokens <= budget else []
        current.append(piece)
    if current:
        texts.append(_joined(current))
    return texts


def _lists_kept_whole(pieces: list[Piece], budget: int) -> list[Piece]:
    """A lead-in ending with « : » and the list items after it, made one piece when they fit the budget together,
    so that no chunk ends on a promise whose list the next chunk holds."""
    merged: list[Piece] = []
    position = 0
    while position < len(pieces):
        end = position + 1
        if pieces[position].text.endswith(":"):
            while end < len(pieces) and _is_item(pieces[end]) and _tokens(pieces[position:end + 1]) <= budget:
                end += 1
        group = pieces[position:end]
        merged.append(Piece(_joined(group), group[0].opens_line, _tokens(group)) if len(group) > 1 else group[0])
        position = end
    return merged


def _is_item(piece: Piece) -> bool:
    return piece.opens_line and piece.text.startswith(LIST_BULLET)


def _tokens(pieces: list[Piece]) -> int:
    return sum(piece.tokens for piece in pieces)


def _joined(pieces: list[Piece]) -> str:
    return pieces[0].text + "".join(("\n" if piece.opens_line else " ") + piece.text for piece in pieces[1:])


def chunk_document(document: Document, count: TokenCounter, config: ChunkingConfig = ChunkingConfig()) -> list[Chunk]:
    """All chunks of a document, in reading order."""
    chunks: list[Chunk] = []
    for section in document.sections:
        is_faq = section.is_question or (document.type == "faq" and len(section.heading_path) > 1)
        budget = config.model_max_tokens - 8 if is_faq else config.max_tokens
        for text in _section_texts(section, budget, count, config):
            chunks.append(Chunk(document_id=document.id, ordinal=len(chunks), heading_path=section.heading_path,
                                text=text, kind="faq" if is_faq else "section", page=section.page))
    return chunks


def _section_texts(section: Section, budget: int, count: TokenCounter, config: ChunkingConfig) -> list[str]:
    header = HEADING_SEPARATOR.join(section.heading_path)
    header_tokens, whole = count([header, f"{header}\n{section.text}"])
    if whole <= budget:
        return [section.text]
    return pack_sentences(sentences_by_line(section.text), header_tokens, config, count, budget)
