"""Index builds: incremental, atomic, honest about what they skipped."""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import SMALL_CORPUS, write_corpus

from assistant.retrieval import Retriever
from index.builder import IndexConfig, build_index, current_build
from index.snapshot import IndexSnapshot, ModelMismatchError
from index.sources import CorpusFolder


def build(corpus: Path, index_dir: Path, embedder, model_path):
    return build_index(CorpusFolder(corpus), index_dir, IndexConfig(model_path=model_path), embedder=embedder)


def top_document(index_dir: Path, embedder, query: str, mode: str = "hybrid") -> str:
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    outcome = Retriever(snapshot, embedder).search(query, k=3, mode=mode)
    return outcome.results[0].best.chunk.document_id


def test_first_build_indexes_every_file(tmp_path, embedder, model_path):
    corpus = write_corpus(tmp_path / "corpus")
    report = build(corpus, tmp_path / "index", embedder, model_path)
    assert not report.up_to_date
    assert report.files_read == 3 and report.documents == 3
    assert report.chunks == report.chunks_embedded >= 4
    assert (current_build(tmp_path / "index") / "manifest.json").exists()


def test_rebuild_without_change_embeds_nothing(tmp_path, embedder, model_path):
    corpus = write_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index", embedder, model_path)
    live = current_build(tmp_path / "index")
    report = build_index(CorpusFolder(corpus), tmp_path / "index", IndexConfig(model_path=model_path),
                         embedder=lambda: pytest.fail("the model must not be loaded when nothing changed"))
    assert report.up_to_date and report.chunks_embedded == 0
    assert current_build(tmp_path / "index") == live


def test_incremental_update_adds_changes_and_deletes(tmp_path, embedder, model_path):
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder, model_path)

    (corpus / "guides" / "covid.md").write_text(
        "# Le COVID-19, accélérateur\n\nLa crise sanitaire a généralisé le télétravail et la téléconsultation médicale.\n",
        encoding="utf-8")
    (corpus / "guides" / "mois.md").write_text(
        "# Le Mois de l'innovation publique\n\nL'édition 2024 s'est tenue du 4 au 30 novembre avec plus de 400 événements.\n",
        encoding="utf-8")
    (corpus / "faq" / "faq-juridique.md").unlink()
    report = build(corpus, index_dir, embedder, model_path)

    assert report.files_read == 2 and report.files_removed == 1
    assert report.chunks_embedded == 2  # only the new and the changed file were embedded
    assert report.documents == 3
    assert top_document(index_dir, embedder, "téléconsultation pendant la crise sanitaire") == "guides/covid.md"
    assert top_document(index_dir, embedder, "combien d'événements en 2024 ?") == "guides/mois.md"
    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    assert snapshot.chunks.document("faq/faq-juridique.md") is None
    assert all(c.document_id != "faq/faq-juridique.md" for c in snapshot.chunks.iter_chunks())


def test_malformed_files_are_skipped_with_their_reason_and_a_warning(tmp_path, embedder, model_path, caplog):
    corpus = write_corpus(tmp_path / "corpus", SMALL_CORPUS | {
        "cassé/vide.md": "",
        "cassé/binaire.md": b"\x00\x01\x02\x89PNG\x00\x00",
        "cassé/latin1.txt": "Expérimentation réussie".encode("latin-1"),
        "cassé/faux.pdf": b"ceci n'est pas un PDF",
        "cassé/faux.docx": b"PK\x03\x04 pas un vrai docx",
        "cassé/en-tête.md": "---\ntitle: [non fermé\n---\n# Titre\n\nTexte.\n",
        "images/logo.png": b"\x89PNG\r\n\x1a\n",
    })
    with caplog.at_level(logging.WARNING, logger="index.builder"):
        report = build(corpus, tmp_path / "index", embedder, model_path)
    assert report.documents == 3
    assert set(report.skipped) == {"cassé/vide.md", "cassé/binaire.md", "cassé/latin1.txt", "cassé/faux.pdf",
                                   "cassé/faux.docx", "cassé/en-tête.md", "images/logo.png"}
    assert "vide" in report.skipped["cassé/vide.md"]
    assert "UTF-8" in report.skipped["cassé/latin1.txt"]
    assert "format non pris en charge" in report.skipped["images/logo.png"]
    for name in ("cassé/vide.md", "cassé/latin1.txt", "cassé/faux.pdf"):
        assert any(name in record.getMessage() for record in caplog.records)


def test_index_refuses_a_different_model(tmp_path, embedder, model_path):
    corpus = write_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index", embedder, model_path)
    with pytest.raises(ModelMismatchError, match="eclaireur index"):
        IndexSnapshot.open(tmp_path / "index", model_fingerprint="0000000000000000")


def test_service_refuses_an_index_built_by_another_model(tmp_path, embedder, model_path):
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    corpus = write_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index", embedder, model_path)
    other_model = tmp_path / "autre-modele"
    shutil.copytree(model_path, other_model, copy_function=os.link)
    (other_model / "sentence_bert_config.json").unlink()
    (other_model / "sentence_bert_config.json").write_text('{"max_seq_length": 256, "do_lower_case": false}')
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model_path=other_model,
                        records_path=tmp_path / "records.sqlite", _env_file=None)
    with pytest.raises(ModelMismatchError, match="construit avec le modèle"):
        Eclaireur(settings).reload()


@pytest.mark.slow
def test_killing_a_build_leaves_the_previous_index_intact(tmp_path, embedder, model_path):
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder, model_path)
    live = current_build(index_dir)
    for n in range(60):  # enough new text to keep the model busy for several seconds
        (corpus / "lot" / f"doc-{n:02d}.md").parent.mkdir(exist_ok=True)
        (corpus / "lot" / f"doc-{n:02d}.md").write_text(
            f"# Note de service {n}\n\n" + " ".join(f"Phrase {i} de la note {n} sur la modernisation de l'action publique."
                                                 for i in range(60)), encoding="utf-8")

    env = os.environ | {"HF_HUB_OFFLINE": "1", "ECLAIREUR_MODEL_PATH": str(model_path)}
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus), "--index", str(index_dir)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list((index_dir / "builds").glob(".partial-*")):
            assert process.poll() is None, "the build ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert current_build(index_dir) == live
    assert top_document(index_dir, embedder, "droit à l'erreur de l'usager de bonne foi") == "faq/faq-juridique.md"
    assert list((index_dir / "builds").glob(".partial-*")), "the interrupted build left its partial folder"

    report = build(corpus, index_dir, embedder, model_path)
    assert report.documents == 63
    assert not list((index_dir / "builds").glob(".partial-*"))
    assert current_build(index_dir) != live


@pytest.mark.parametrize("module, version, reads_again", [
    ("index.builder", "INGESTION_VERSION", True),  # how files become chunks: everything is read and embedded again
    ("index.lexical", "ANALYZER_VERSION", False),  # how texts become terms: only the BM25 weights are rebuilt
])
def test_a_new_version_of_the_ingestion_or_of_the_analyzer_rebuilds_what_depends_on_it(
        tmp_path, embedder, model_path, monkeypatch, module, version, reads_again):
    corpus = write_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index", embedder, model_path)
    monkeypatch.setattr(f"{module}.{version}", getattr(importlib.import_module(module), version) + 1)
    report = build(corpus, tmp_path / "index", embedder, model_path)
    assert not report.up_to_date
    assert (report.files_read == 3 and report.chunks_embedded > 0) if reads_again else report.chunks_embedded == 0
    manifest = json.loads((current_build(tmp_path / "index") / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lexical"]["analyzer"] == importlib.import_module("index.lexical").ANALYZER_VERSION
