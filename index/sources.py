"""Where documents come from: a corpus folder of files, or a JSON-lines file of passages (evaluation)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .documents import Document, Section, UnreadableDocument
from .readers import read_document, reader_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceEntry:
    """A document not read yet: its id, a hash of its content, and how to read it."""

    id: str
    sha256: str
    size: int
    load: Callable[[], Document]


class CorpusFolder:
    """Every supported file under ``root``; hidden files and folders are ignored."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Dossier de corpus introuvable : {self.root}")

    @property
    def identity(self) -> str:
        return str(self.root.resolve())

    def scan(self) -> Iterator[SourceEntry]:
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root).as_posix()
            if not path.is_file() or any(part.startswith((".", "_site")) for part in relative.split("/")[:-1]) or path.name.startswith("."):
                continue
            data = path.read_bytes()
            yield SourceEntry(relative, hashlib.sha256(data).hexdigest(), len(data), _file_loader(path, relative))

    def is_supported(self, document_id: str) -> bool:
        return reader_for(document_id) is not None


def _file_loader(path: Path, document_id: str) -> Callable[[], Document]:
    def load() -> Document:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UnreadableDocument(f"lecture impossible ({error.strerror})") from None
        return read_document(data, document_id)

    return load


class PassagesFile:
    """Passages ``{"id", "title", "text"}`` one per line; each becomes a one-section guide."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def identity(self) -> str:
        return str(self.path.resolve())

    def scan(self) -> Iterator[SourceEntry]:
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    passage_id, text = str(record["id"]), str(record["text"])
                except (ValueError, KeyError) as error:
                    logger.warning("%s, ligne %d ignorée : %s", self.path, number, error)
                    continue
                title = str(record.get("title") or "").strip()
                digest = hashlib.sha256(line.encode()).hexdigest()
                yield SourceEntry(passage_id, digest, len(line), _passage_loader(passage_id, title, text))

    def is_supported(self, document_id: str) -> bool:
        return True


def _passage_loader(passage_id: str, title: str, text: str) -> Callable[[], Document]:
    def load() -> Document:
        if not text.strip():
            raise UnreadableDocument("passage vide")
        return Document(id=passage_id, title=title or passage_id, sections=[Section(heading_path=(title,) if title else (), text=text)])

    return load
