"""Fetched pages as files under the source's target folder: one path per address, written atomically, never
through a symbolic link, removed when the page is gone."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

SUFFIXES = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")
NO_FOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def file_path(url: str, kind: str, main_host: str) -> str:
    """The file of ``url`` relative to the target folder: its path, ``index.html`` for a folder address, the
    kind's extension, a short hash of the query string; another declared host gets a subfolder of its name.

    Every segment is reduced to safe characters and never starts with a dot, so no hidden file, no ``..``."""
    parts = urlsplit(url)
    segments = [_safe(unquote(segment)) for segment in parts.path.split("/") if segment]
    if not segments or parts.path.endswith("/"):
        segments.append("index")
    stem, suffix = segments[-1], SUFFIXES[kind]
    stem = stem[:-len(suffix)] if stem.lower().endswith(suffix) else stem
    if kind == "html" and stem.lower().endswith(".htm"):
        stem = stem[:-4]
    if parts.query:
        stem += "-" + hashlib.sha256(parts.query.encode()).hexdigest()[:10]
    segments[-1] = stem + suffix
    if parts.hostname != main_host:
        segments.insert(0, _safe(parts.hostname or "hote"))
    return "/".join(segments)


def _safe(segment: str) -> str:
    cleaned = UNSAFE.sub("-", segment).strip("-")[:120] or "_"
    return "_" + cleaned if cleaned.startswith(".") else cleaned


def write_beneath(root: Path, relative: str, data: bytes) -> None:
    """Write ``root/relative`` whole or not at all (a temporary file renamed over it), creating folders on the
    way and refusing to go through a symbolic link."""
    *folders, name = PurePosixPath(relative).parts
    dir_fd = _open_folders(root, folders, create=True)
    temporary = f".{name}.{os.getpid()}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            _unlink(temporary, dir_fd)
            raise
    finally:
        os.close(dir_fd)


def remove_beneath(root: Path, relative: str) -> bool:
    """Remove ``root/relative`` and the folders it leaves empty; False when it was not there."""
    *folders, name = PurePosixPath(relative).parts
    try:
        dir_fd = _open_folders(root, folders, create=False)
    except FileNotFoundError:
        return False
    try:
        removed = _unlink(name, dir_fd)
    finally:
        os.close(dir_fd)
    for depth in range(len(folders), 0, -1):
        try:
            os.rmdir(Path(root, *folders[:depth]))
        except OSError:
            break
    return removed


def _open_folders(root: Path, folders: list[str], create: bool) -> int:
    root = Path(root)
    if create:
        root.mkdir(parents=True, exist_ok=True)
    dir_fd = os.open(root, NO_FOLLOW_DIR)
    try:
        for folder in folders:
            if create:
                try:
                    os.mkdir(folder, 0o755, dir_fd=dir_fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(folder, NO_FOLLOW_DIR, dir_fd=dir_fd)
            except OSError as error:
                if error.errno == 2:
                    raise FileNotFoundError(folder) from None
                raise OSError(error.errno, f"dossier « {folder} » refusé (lien symbolique ou illisible)") from None
            os.close(dir_fd)
            dir_fd = child
    except BaseException:
        os.close(dir_fd)
        raise
    return dir_fd


def _unlink(name: str, dir_fd: int) -> bool:
    try:
        os.unlink(name, dir_fd=dir_fd)
        return True
    except FileNotFoundError:
        return False
