"""What the live index holds, for the content team: documents per folder and type, the last build, skipped files."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from index.snapshot import IndexSnapshot

ROOT_FOLDER = "(racine)"


@dataclass(frozen=True)
class FolderCount:
    folder: str
    type: str
    documents: int


@dataclass(frozen=True)
class CorpusOverview:
    documents: int
    passages: int
    built_at: str
    build_seconds: float
    vector_index: str
    model: str
    folders: list[FolderCount]
    skipped: dict[str, str]  # file -> reason, in French


def folder_of(document_id: str) -> str:
    """The top folder of a document id (its path in the corpus); documents at the root share one name."""
    return document_id.split("/", 1)[0] if "/" in document_id else ROOT_FOLDER


def corpus_overview(snapshot: IndexSnapshot) -> CorpusOverview:
    manifest = snapshot.manifest
    _, total = snapshot.chunks.catalogue(0, 0)
    rows, _ = snapshot.chunks.catalogue(0, total)
    counts = Counter((folder_of(document_id), kind) for document_id, _, kind in rows)
    return CorpusOverview(
        documents=total, passages=manifest.chunks, built_at=manifest.built_at, build_seconds=round(manifest.build_seconds, 1),
        vector_index=manifest.vector_index.get("type", ""), model=manifest.model_name,
        folders=[FolderCount(folder, kind, n) for (folder, kind), n in sorted(counts.items())],
        skipped=dict(sorted(manifest.skipped.items())))
