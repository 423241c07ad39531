"""A full disk during a build: the build stops with a clear French message, the live index is untouched.

The index folder is a small tmpfs (in a user and mount namespace, so no privilege is needed) that holds the
live build and room for one of the same size, but not for the bigger next one.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support import PROJECT_ROOT, write_corpus

from assistant.retrieval import Retriever
from index.builder import BUILDS, IndexConfig, build_index, current_build
from index.snapshot import IndexSnapshot
from index.sources import CorpusFolder

PAGE = 4096
MORE = {f"notes/note-{n:02d}.md": f"# Note de service {n}\n\n" + " ".join(
    f"Phrase {i} de la note {n} sur la simplification des démarches administratives." for i in range(40))
    for n in range(4)}


def namespaces_available() -> bool:
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def disk_usage(directory: Path) -> int:
    """Bytes a copy of ``directory`` takes on a tmpfs (whole pages per file, one page per folder)."""
    return sum(-(-p.stat().st_size // PAGE) * PAGE if p.is_file() else PAGE for p in directory.rglob("*"))


def top_document(index_dir: Path, embedder, query: str) -> str:
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    return Retriever(snapshot, embedder).search(query, k=3).results[0].best.chunk.document_id


@pytest.fixture()
def seeded(tmp_path, embedder, model_path):
    """A corpus and a complete index of it; then the corpus grows (the next build is bigger)."""
    corpus = write_corpus(tmp_path / "corpus")
    build_index(CorpusFolder(corpus), tmp_path / "seed", IndexConfig(model_path=model_path), embedder=embedder)
    write_corpus(corpus, MORE)
    return corpus, tmp_path / "seed"


def index_command(corpus: Path, index_dir: Path) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus), "--index", str(index_dir)]


def environment(model_path) -> dict:
    return os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ECLAIREUR_MODEL_PATH": str(model_path)}


@pytest.mark.slow
@pytest.mark.skipif(not namespaces_available(), reason="unshare --user --mount indisponible (voir le test prlimit)")
def test_a_full_disk_fails_the_build_cleanly_and_leaves_the_live_index_untouched(tmp_path, seeded, embedder, model_path):
    corpus, seed = seeded
    live = current_build(seed).name
    index_dir, kept = tmp_path / "index", tmp_path / "after"
    index_dir.mkdir()
    size = 2 * disk_usage(seed) + 4 * PAGE  # the live build, and room for a second one of the same size only
    q = shlex.quote
    script = f"""
        set -e
        mount -t tmpfs -o size={size} tmpfs {q(str(index_dir))}
        cp -a {q(str(seed))}/. {q(str(index_dir))}/
        set +e
        {shlex.join(index_command(corpus, index_dir))} > {q(str(tmp_path / "stdout"))} 2> {q(str(tmp_path / "stderr"))}
        echo $? > {q(str(tmp_path / "rc"))}
        cp -a {q(str(index_dir))}/. {q(str(kept))}/
    """
    subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script], cwd=PROJECT_ROOT,
                   env=environment(model_path), check=True, timeout=300)

    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert (tmp_path / "rc").read_text().strip() == "1", stderr
    assert f"Espace disque insuffisant dans {index_dir / BUILDS}" in stderr and "l'index en service est inchangé" in stderr
    assert "Traceback" not in stderr
    assert current_build(kept).name == live
    assert not list((kept / BUILDS).glob(".partial-*")), "the failed build removed its partial folder"
    assert top_document(kept, embedder, "droit à l'erreur de l'usager de bonne foi") == "faq/faq-juridique.md"

    report = build_index(CorpusFolder(corpus), kept, IndexConfig(model_path=model_path), embedder=embedder)
    assert report.files_read == len(MORE) and current_build(kept).name != live
    assert top_document(kept, embedder, "simplification des démarches, note de service 3").startswith("notes/")


@pytest.mark.slow
def test_a_file_size_limit_fails_the_build_cleanly_and_leaves_the_live_index_untouched(tmp_path, seeded, embedder, model_path):
    """A write refused another way (RLIMIT_FSIZE: EFBIG, the path where namespaces are forbidden): same clean failure."""
    corpus, index_dir = seeded
    live = current_build(index_dir).name
    largest = max(p.stat().st_size for p in current_build(index_dir).iterdir())
    process = subprocess.run(["prlimit", f"--fsize={largest}", *index_command(corpus, index_dir)], cwd=PROJECT_ROOT,
                             env=environment(model_path), capture_output=True, text=True, timeout=300)
    assert process.returncode != 0
    assert current_build(index_dir).name == live
    assert not list((index_dir / BUILDS).glob(".partial-*")), "the failed build removed its partial folder"
    assert top_document(index_dir, embedder, "droit à l'erreur de l'usager de bonne foi") == "faq/faq-juridique.md"
