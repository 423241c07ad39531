"""What built an index: model identity, chunking settings, per-file content hashes, versions, counts.

The manifest is written last in a build; a directory without one is not a finished index. It also
records the size and SHA-256 of every other file of the build (``index_files``) and a checksum of
itself, so a truncated or bit-flipped file is detected before it can give wrong results.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# 2: the manifest records the size and SHA-256 of every index file, and a checksum of itself.
FORMAT_VERSION = 2
# Bump when readers or chunking change what a file becomes: every index is then rebuilt once.
# 2: plain text (no kramdown attribute lists, emphasis, link syntax), paragraphs joined;
# 3: a long section's chunks keep its line breaks (list items stay items) and a list stays with its lead-in;
# 4: a Markdown heading written in HTML (« <h2 class="fr-h6">…</h2> ») is a heading, not a paragraph, and so is a
#    paragraph that is only a question in bold; an unpublished draft (« published: false », « draft: true ») is skipped.
# 5: an image's credit line (« By … - Own work, CC BY-SA 4.0, Link », « - © … » after a caption) goes, and so do
#    asterisks against French quote marks (« «* … *» »).
INGESTION_VERSION = 5
FILE = "manifest.json"


class ManifestError(RuntimeError):
    """The manifest is missing or unreadable: the directory is not a complete index."""


class DamagedIndexFile(ManifestError):
    """A file of the build is missing, or differs in size or content from what the manifest recorded."""


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
    model_engine: str = "torch"  # torch, onnx or onnx-int8; manifests written before engines existed were torch
    build_seconds: float = 0.0
    versions: dict = field(default_factory=dict)
    documents: int = 0
    chunks: int = 0
    format_version: int = FORMAT_VERSION
    ingestion_version: int = INGESTION_VERSION
    index_files: dict[str, dict] = field(default_factory=dict)  # name -> {"size", "sha256"}, set by ``save``
    lexical: dict = field(default_factory=dict)  # BM25 scoring parameters: when they change, only BM25 is rebuilt

    @property
    def skipped(self) -> dict[str, str]:
        return {path: record.skipped for path, record in self.files.items() if record.skipped}

    def save(self, directory: Path) -> None:
        """Write the manifest, last: it records the size and SHA-256 of every other file of ``directory``."""
        directory = Path(directory)
        self.index_files = {path.name: {"size": path.stat().st_size, "sha256": file_sha256(path)}
                            for path in sorted(directory.iterdir()) if path.is_file() and path.name != FILE}
        payload = asdict(self)
        payload["checksum"] = _checksum(payload)
        (directory / FILE).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")

    def verify_files(self, directory: Path, hashes: bool = True) -> None:
        """Raise ``DamagedIndexFile`` naming the first file whose size (and, with ``hashes``, SHA-256) differs."""
        for name, expected in self.index_files.items():
            path = Path(directory) / name
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                raise DamagedIndexFile(f"Fichier d'index absent : {path}.") from None
            if size != expected["size"]:
                raise DamagedIndexFile(f"Fichier d'index endommagé : {path} fait {size} octets, "
                                       f"le manifeste en annonce {expected['size']} (fichier tronqué ou modifié).")
            if hashes and file_sha256(path) != expected["sha256"]:
                raise DamagedIndexFile(f"Fichier d'index endommagé : le contenu de {path} ne correspond plus "
                                       "à son empreinte SHA-256 enregistrée dans le manifeste.")

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = Path(directory) / FILE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            checksum = payload.pop("checksum", None)
            if checksum is not None and checksum != _checksum(payload):
                raise ValueError("somme de contrôle du manifeste différente")
            payload["files"] = {k: FileRecord(**v) for k, v in payload["files"].items()}
            payload.setdefault("ingestion_version", 0)  # written before the field existed: rebuild once
            return cls(**payload)
        except FileNotFoundError:
            raise ManifestError(f"Index incomplet : {path} est absent.") from None
        except (ValueError, TypeError, KeyError) as error:
            raise ManifestError(f"Index illisible : {path} est corrompu ({error}).") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _checksum(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
