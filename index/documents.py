"""The shapes that flow through indexing: a read ``Document`` made of ``Section``s."""

from __future__ import annotations

from dataclasses import dataclass, field

DOCUMENT_TYPES = ("guide", "faq")
LIST_BULLET = "• "  # opens the line of a list item in a section's text, whatever the source format


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path; ``page`` is set for paged formats (PDF)."""

    heading_path: tuple[str, ...]
    text: str
    page: int | None = None
    is_question: bool = False


@dataclass
class Document:
    """A source file once read: its id is its path relative to the corpus root."""

    id: str
    title: str
    type: str = "guide"
    tags: list[str] = field(default_factory=list)
    url: str | None = None
    metadata: dict = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return self.id.rsplit("/", 1)[0] if "/" in self.id else ""

    @property
    def text(self) -> str:
        """The whole readable text, headings included, for display."""
        parts = []
        for section in self.sections:
            if section.heading_path[1:]:
                parts.append(section.heading_path[-1])
            if section.text:
                parts.append(section.text)
        return "\n\n".join(parts)


class UnreadableDocument(Exception):
    """Raised by a reader when a file cannot be turned into a Document; the message says why, in French."""
