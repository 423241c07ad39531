"""Damaged index files: the previous build is served with a warning, or start-up stops naming the file.

Never wrong results in silence: every file of a build is checked against the size and SHA-256 its manifest
recorded, and the manifest carries a checksum of itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from support import SMALL_CORPUS, write_corpus

from assistant.service import Eclaireur
from assistant.settings import Settings
from index.builder import BUILDS, IndexConfig, build_index, current_build
from index.manifest import Manifest
from index.snapshot import CorruptIndex
from index.sources import CorpusFolder

HACKATHON = {"guides/hackathon.md": "# Organiser un hackathon\n\n"
                                    "Un hackathon réunit pendant quarante-huit heures des développeurs et des agents.\n"}


def truncated(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def flipped(path: Path) -> None:
    """Eight bytes inverted in the middle of the file: same size, different content."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
    path.write_bytes(bytes(data))


def rewritten(path: Path) -> None:
    """Still valid JSON, one figure changed: only the manifest's own checksum can tell."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["chunks"] += 1
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


DAMAGES = {"tronqué": truncated, "octets inversés": flipped}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory, embedder, model_path) -> Path:
    """A work folder with a corpus and an index of two complete builds: the live one knows the hackathon guide."""
    work = tmp_path_factory.mktemp("two-builds")
    corpus = write_corpus(work / "corpus")
    config = IndexConfig(model_path=model_path)
    build_index(CorpusFolder(corpus), work / "index", config, embedder=embedder)
    write_corpus(corpus, HACKATHON)
    build_index(CorpusFolder(corpus), work / "index", config, embedder=embedder)
    assert len(list((work / "index" / BUILDS).iterdir())) == 2
    return work


@pytest.fixture()
def damaged(two_builds, tmp_path, embedder, model_path):
    """``damaged(name, damage, keep_previous)``: a fresh copy of the two builds with one file of the live one damaged."""
    def make(name: str, damage, keep_previous: bool = True, **overrides) -> tuple[Eclaireur, Path, Path]:
        work = tmp_path / f"{name}-{damage.__name__}-{keep_previous}"
        shutil.copytree(two_builds, work, symlinks=True)
        live = current_build(work / "index")
        previous = next(p for p in (work / "index" / BUILDS).iterdir() if p.name != live.name)
        if not keep_previous:
            shutil.rmtree(previous)
        damage(live / name)
        settings = Settings(corpus_dir=work / "corpus", index_dir=work / "index", records_path=work / "records.sqlite",
                            model_path=model_path, _env_file=None, **overrides)
        return Eclaireur(settings, embedder=embedder), live, previous
    return make


def index_files(build: Path) -> list[str]:
    return sorted(p.name for p in build.iterdir() if p.name != "manifest.json")


def test_the_manifest_records_the_size_and_hash_of_every_other_file(two_builds):
    live = current_build(two_builds / "index")
    recorded = Manifest.load(live).index_files
    assert sorted(recorded) == index_files(live) and len(recorded) >= 4
    assert all(entry["size"] == (live / name).stat().st_size and len(entry["sha256"]) == 64 for name, entry in recorded.items())


def test_a_damaged_file_makes_the_service_serve_the_previous_build_and_say_so(two_builds, damaged, caplog):
    for name in index_files(current_build(two_builds / "index")):
        for label, damage in DAMAGES.items():
            service, live, previous = damaged(name, damage)
            caplog.clear()
            service.ensure_index()
            health = service.health()
            assert health.ready and health.build == previous.name, (name, label)
            assert len(health.warnings) == 1 and name in health.warnings[0] and live.name in health.warnings[0]
            assert any(name in r.getMessage() and r.levelname == "WARNING" for r in caplog.records), (name, label)
            top = service.search("droit à l'erreur de l'usager de bonne foi", k=3).results[0]
            assert top.best.chunk.document_id == "faq/faq-juridique.md"
            assert all(r.best.chunk.document_id != "guides/hackathon.md" for r in service.search("hackathon").results)


def test_without_a_previous_build_start_up_stops_with_a_french_message_naming_the_file(two_builds, damaged):
    for name in index_files(current_build(two_builds / "index")):
        for label, damage in DAMAGES.items():
            service, live, _ = damaged(name, damage, keep_previous=False)
            with pytest.raises(CorruptIndex) as refused:
                service.ensure_index()
            message = str(refused.value)
            assert str(live / name) in message and "endommagé" in message and "eclaireur index" in message, (label, message)
            assert not service.health().ready


def test_checking_sizes_only_still_catches_a_truncated_file(damaged):
    service, live, previous = damaged("vectors.faiss", truncated, verify_index_hashes=False)
    service.ensure_index()
    assert service.health().build == previous.name
    assert "vectors.faiss" in service.health().warnings[0]


def test_a_corrupted_manifest_is_never_trusted(two_builds, damaged):
    for damage in (truncated, flipped, rewritten):
        service, live, previous = damaged("manifest.json", damage)
        service.reload()  # the API started without building: serves the previous build, with a warning
        assert service.health().build == previous.name
        assert f"{live.name}/manifest.json" in service.health().warnings[0]
        assert str(live) not in service.health().warnings[0]  # /health answers without a key: no absolute path

        service, live, _ = damaged("manifest.json", damage, keep_previous=False)
        with pytest.raises(CorruptIndex, match="manifest.json"):
            service.reload()
        assert service.ensure_index() is not None, "a live build without a valid manifest is rebuilt"
        assert service.health().warnings == () and service.health().documents == 4


def test_health_reports_the_fallback_and_the_next_build_repairs_the_index(damaged, serve):
    service, live, previous = damaged("chunks.sqlite", flipped)
    service.ensure_index()
    server = serve(service)
    health = httpx.get(f"{server.url}/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and "chunks.sqlite" in health.json()["warnings"][0]

    report = service.build()  # e.g. POST /admin/reindex: the damaged build is not reused, all is rebuilt
    assert report.files_read == len(SMALL_CORPUS) + 1
    facts = httpx.get(f"{server.url}/health", timeout=10).json()
    assert facts["status"] == "ok" and facts["warnings"] == [] and facts["build"] not in (live.name, previous.name)
    assert service.search("hackathon de quarante-huit heures").results[0].best.chunk.document_id == "guides/hackathon.md"
