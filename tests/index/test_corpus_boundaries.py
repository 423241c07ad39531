"""The corpus folder is the boundary: links leaving it, special files and hidden files are never read or served."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from support import SMALL_CORPUS, write_corpus

from index.builder import IndexConfig, build_index
from index.sources import CorpusFolder

SECRET = "JETON_SECRET_QUI_NE_DOIT_JAMAIS_SORTIR=ab12cd34"


@pytest.fixture()
def hostile_corpus(tmp_path) -> Path:
    """The small corpus plus every way a file from elsewhere could slip in."""
    corpus = write_corpus(tmp_path / "corpus")
    outside = tmp_path / "ailleurs"
    (outside / "dossier").mkdir(parents=True)
    (outside / "secret.md").write_text(f"# Secret\n\n{SECRET}\n", encoding="utf-8")
    (outside / "dossier" / "note.md").write_text(f"# Note\n\n{SECRET}\n", encoding="utf-8")
    (corpus / "guides" / "leak.txt").symlink_to("/etc/passwd")
    (corpus / "guides" / "secret.md").symlink_to(outside / "secret.md")
    (corpus / "guides" / "externe").symlink_to(outside / "dossier", target_is_directory=True)
    (corpus / "guides" / "copie.md").symlink_to(corpus / "guides" / "mois.md")  # inside, still not followed
    os.mkfifo(corpus / "guides" / "tube.md")
    (corpus / ".env").write_text(f"{SECRET}\n", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "config").write_text(f"[remote]\n url = https://{SECRET}@example.org\n", encoding="utf-8")
    return corpus


def scanned(corpus: Path, allow_hidden=()) -> dict[str, str | None]:
    return {entry.id: entry.refused for entry in CorpusFolder(corpus, allow_hidden).scan()}


def test_links_special_and_hidden_files_are_refused_with_a_french_reason(hostile_corpus):
    entries = scanned(hostile_corpus)
    assert {path for path, refused in entries.items() if refused is None} == set(SMALL_CORPUS)
    for link in ("guides/leak.txt", "guides/secret.md", "guides/externe", "guides/copie.md"):
        assert "lien symbolique" in entries[link] and "jamais suivi" in entries[link]
    assert "/etc/passwd" in entries["guides/leak.txt"]
    assert "fichier spécial" in entries["guides/tube.md"]
    assert "fichier caché" in entries[".env"] and "ECLAIREUR_CORPUS_ALLOW_HIDDEN" in entries[".env"]
    assert "dossier caché" in entries[".git/"]
    assert not any(path.startswith(("guides/externe/", ".git/config")) for path in entries)


def test_allowed_hidden_patterns_are_indexed_and_others_still_refused(hostile_corpus):
    (hostile_corpus / ".well-known").mkdir()
    (hostile_corpus / ".well-known" / "contact.md").write_text("# Contact\n\nÉcrivez-nous.\n", encoding="utf-8")
    entries = scanned(hostile_corpus, allow_hidden=[".well-known"])
    assert entries[".well-known/contact.md"] is None
    assert entries[".env"] is not None and entries[".git/"] is not None


def test_a_corpus_under_proc_is_refused():
    with pytest.raises(ValueError, match="noyau"):
        CorpusFolder(Path("/proc/self"))


def test_a_file_swapped_for_a_link_after_the_scan_is_not_read(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    entry = next(e for e in CorpusFolder(corpus).scan() if e.id == "guides/mois.md")
    (corpus / "guides" / "mois.md").unlink()
    (corpus / "guides" / "mois.md").symlink_to("/etc/passwd")
    from index.documents import UnreadableDocument

    with pytest.raises(UnreadableDocument, match="lecture impossible"):
        entry.load()


def test_the_build_report_lists_each_refused_path(hostile_corpus, tmp_path, embedder, model_path):
    from assistant.cli import format_build_report

    report = build_index(CorpusFolder(hostile_corpus), tmp_path / "index", IndexConfig(model_path=model_path), embedder=embedder)
    assert report.documents == len(SMALL_CORPUS)
    assert {"guides/leak.txt", "guides/secret.md", "guides/externe", "guides/tube.md", ".env", ".git/"} <= set(report.skipped)
    printed = format_build_report(report)
    assert "guides/leak.txt : lien symbolique" in printed and ".env : fichier caché" in printed


def test_a_linked_file_is_neither_served_nor_found_after_a_reindex(hostile_corpus, tmp_path, embedder, model_path, serve):
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    settings = Settings(corpus_dir=hostile_corpus, index_dir=tmp_path / "index", records_path=tmp_path / "records.sqlite",
                        model_path=model_path, _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.build()
    server = serve(service)
    with httpx.Client(base_url=server.url) as client:
        for document_id in ("guides/leak.txt", "guides/secret.md", "guides/externe/note.md", ".env", ".git/config"):
            assert client.get(f"/documents/{document_id}").status_code == 404, document_id
        for query in ("root:x:0:0", SECRET):
            found = client.get("/search", params={"q": query, "mode": "lexical"}).json()["results"]
            assert not any(SECRET in result["snippet"] or "root:" in result["snippet"] for result in found)
            assert {result["document_id"] for result in found} <= set(SMALL_CORPUS)
