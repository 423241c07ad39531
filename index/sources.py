"""Where documents come from: a corpus folder of files, or a JSON-lines file of passages (evaluation)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .documents import Document, Section, UnreadableDocument
from .readers import read_document, reader_for

logger = logging.getLogger(__name__)

# Kernel pseudo-filesystems: their "files" are live process and device state, never documents.
FORBIDDEN_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
GENERATED_FOLDERS = ("_site",)  # a static site generator's output: copies of the sources
CONFIGURATION_FILES = ("sources.toml",)  # at the corpus root: the web sources to sync (index/web), not a document
NO_FOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class SourceEntry:
    """A document not read yet: its id, a hash of its content, and how to read it.

    ``refused`` is the French reason a path is never read (a link, a special file, a hidden file); the
    build reports it like an unreadable file.
    """

    id: str
    sha256: str
    size: int
    load: Callable[[], Document]
    refused: str | None = None


class CorpusFolder:
    """Every regular file under ``root``, reached without following any symbolic link.

    Links are never followed (a link inside the corpus to another corpus file would only index it twice;
    one leaving the corpus would publish whatever it points at), special files are never opened, and
    hidden files and folders (``.env``, ``.git/``) are refused unless their path matches one of
    ``allow_hidden``'s glob patterns. Files are opened relative to their folder's descriptor with
    ``O_NOFOLLOW``, so a link swapped in during the build is not followed either.
    """

    def __init__(self, root: Path, allow_hidden: tuple[str, ...] | list[str] = ()) -> None:
        self.root = Path(root)
        self.allow_hidden = tuple(allow_hidden)
        if not self.root.is_dir():
            raise FileNotFoundError(f"Dossier de corpus introuvable : {self.root}")
        resolved = self.root.resolve()
        if any(resolved == forbidden or forbidden in resolved.parents for forbidden in FORBIDDEN_ROOTS):
            raise ValueError(f"Dossier de corpus refusé : {resolved} est un système de fichiers du noyau "
                             f"({', '.join(map(str, FORBIDDEN_ROOTS))}), pas un dossier de documents.")

    @property
    def identity(self) -> str:
        return str(self.root.resolve())

    def scan(self) -> Iterator[SourceEntry]:
        root_fd = os.open(self.root.resolve(), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            entries = sorted(self._walk(root_fd, ""), key=lambda entry: entry.id)
        finally:
            os.close(root_fd)
        yield from entries

    def is_supported(self, document_id: str) -> bool:
        return reader_for(document_id) is not None

    def _walk(self, dir_fd: int, prefix: str) -> Iterator[SourceEntry]:
        with os.scandir(dir_fd) as listing:
            names = [(entry.name, entry.is_symlink(), entry.is_dir(follow_symlinks=False),
                      entry.is_file(follow_symlinks=False)) for entry in listing]
        for name, is_link, is_dir, is_file in names:
            relative = prefix + name
            if relative in CONFIGURATION_FILES and is_file:
                continue
            if is_link:
                yield _refused(relative, _link_reason(dir_fd, name))
            elif name.startswith(".") and not self._hidden_allowed(relative):
                yield _refused(relative + ("/" if is_dir else ""),
                               f"{'dossier' if is_dir else 'fichier'} caché, non indexé "
                               "(ECLAIREUR_CORPUS_ALLOW_HIDDEN pour l'autoriser)")
            elif is_dir and name in GENERATED_FOLDERS:
                yield _refused(relative + "/", "dossier généré par un site statique (copie des sources), non indexé")
            elif is_dir:
                try:
                    child = os.open(name, NO_FOLLOW | os.O_DIRECTORY, dir_fd=dir_fd)
                except OSError as error:
                    yield _refused(relative + "/", f"dossier illisible ({error.strerror})")
                    continue
                try:
                    yield from self._walk(child, relative + "/")
                finally:
                    os.close(child)
            elif not is_file:
                yield _refused(relative, "fichier spécial (tube, périphérique ou socket), non lu")
            else:
                try:
                    data = _read_regular(name, dir_fd)
                except UnreadableDocument as reason:
                    yield _refused(relative, str(reason))
                    continue
                yield SourceEntry(relative, hashlib.sha256(data).hexdigest(), len(data), self._loader(relative))

    def _hidden_allowed(self, relative: str) -> bool:
        return any(PurePosixPath(relative).match(pattern) for pattern in self.allow_hidden)

    def _loader(self, document_id: str) -> Callable[[], Document]:
        def load() -> Document:
            return read_document(_read_beneath(self.root.resolve(), document_id), document_id)

        return load


def _refused(relative: str, reason: str) -> SourceEntry:
    def load() -> Document:
        raise UnreadableDocument(reason)

    return SourceEntry(relative, hashlib.sha256(f"refusé:{reason}".encode()).hexdigest(), 0, load, refused=reason)


def _link_reason(dir_fd: int, name: str) -> str:
    try:
        target = os.readlink(name, dir_fd=dir_fd)
    except OSError:
        target = "?"
    return f"lien symbolique (vers « {target} »), jamais suivi : indexez le fichier lui-même dans le corpus"


def _read_regular(name: str, dir_fd: int) -> bytes:
    """The bytes of a regular file, opened without following a link and without blocking on a FIFO."""
    try:
        fd = os.open(name, NO_FOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as error:
        raise UnreadableDocument(f"lecture impossible ({error.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableDocument("fichier spécial (tube, périphérique ou socket), non lu")
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    except OSError as error:
        raise UnreadableDocument(f"lecture impossible ({error.strerror})") from None
    finally:
        os.close(fd)


def _read_beneath(root: Path, relative: str) -> bytes:
    """Read ``root/relative`` opening each folder on the way with ``O_NOFOLLOW``: never leaves ``root``."""
    *folders, name = relative.split("/")
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for folder in folders:
            try:
                child = os.open(folder, NO_FOLLOW | os.O_DIRECTORY, dir_fd=dir_fd)
            except OSError as error:
                raise UnreadableDocument(f"lecture impossible ({error.strerror})") from None
            os.close(dir_fd)
            dir_fd = child
        return _read_regular(name, dir_fd)
    finally:
        os.close(dir_fd)


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
