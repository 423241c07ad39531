"""What built an index: model identity, chunking settings, per-file content hashes, versions, counts.

The manifest is written last in a build; a directory without one is not a finished index.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT_VERSION = 1
# Bump when readers or chunking change what a file becomes: every index is then rebuilt once.
INGESTION_VERSION = 1
FILE = "manifest.json"


class ManifestError(RuntimeError):
    """The manifest is missing or unreadable: the directory is not a complete index."""


@dataclass
class FileRecord:
    sha256: str
    size: int
    chunks: int = 0
    skipped: str | None = None  # the reason, in French, when the file could not be indexed


@dataclass
class Manifest:
    model_name: str
    model_path: str
    model_fingerprint: str
    dimension: int
    chunking: dict
    vector_index: dict
    files: dict[str, FileRecord] = field(default_factory=dict)
    built_at: str = ""
    build_seconds: float = 0.0
    versions: dict = field(default_factory=dict)
    documents: int = 0
    chunks: int = 0
    format_version: int = FORMAT_VERSION
    ingestion_version: int = INGESTION_VERSION

    @property
    def skipped(self) -> dict[str, str]:
        return {path: record.skipped for path, record in self.files.items() if record.skipped}

    def save(self, directory: Path) -> None:
        payload = asdict(self)
        (Path(directory) / FILE).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = Path(directory) / FILE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            payload["files"] = {k: FileRecord(**v) for k, v in payload["files"].items()}
            payload.setdefault("ingestion_version", 0)  # written before the field existed: rebuild once
            return cls(**payload)
        except FileNotFoundError:
            raise ManifestError(f"Index incomplet : {path} est absent.") from None
        except (ValueError, TypeError, KeyError) as error:
            raise ManifestError(f"Index illisible : {path} est corrompu ({error}).") from None
