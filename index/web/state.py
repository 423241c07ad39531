"""What the last syncs of a source learnt, page by page: where each is stored, its validators, its links, and how
many syncs in a row found it gone. Kept outside the corpus (one JSON file per source), written atomically."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class PageState:
    path: str  # relative to the target folder
    kind: str
    sha256: str  # of the body as served, before the provenance is stamped
    fetched: str
    etag: str | None = None
    last_modified: str | None = None
    links: list[str] = field(default_factory=list)
    depth: int = 0
    misses: int = 0  # syncs in a row that found it gone (404 or 410)


@dataclass
class SourceState:
    folder: str
    pages: dict[str, PageState] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, folder: str) -> SourceState:
        """The state saved for this source; a missing, unreadable or other-folder state starts afresh."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            state = cls(data["folder"], {url: PageState(**page) for url, page in data["pages"].items()})
        except FileNotFoundError:
            return cls(folder)
        except (ValueError, KeyError, TypeError) as error:
            logger.warning("État de synchronisation illisible (%s) : %s ; il est recommencé", path, error)
            return cls(folder)
        return state if state.folder == folder else cls(folder, {})

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"folder": self.folder, "pages": {url: asdict(page) for url, page in sorted(self.pages.items())}},
                      handle, ensure_ascii=False, indent=1)
        os.replace(temporary, path)

    def owner_of(self, relative: str) -> str | None:
        return next((url for url, page in self.pages.items() if page.path == relative), None)
