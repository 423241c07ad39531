"""What each document is about: kept by every build, read by dense search beside each passage's own meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import write_corpus

from assistant.retrieval import RetrievalConfig, Retriever
from index.builder import IndexConfig, build_index, current_build
from index.chunkstore import ChunkStore
from index.document_vectors import FILE, MIN_DOCUMENTS, DocumentVectors
from index.manifest import Manifest
from index.snapshot import IndexSnapshot
from index.sources import CorpusFolder
from index.vectors import FaissStore

WORKSHOPS = """# Animer un atelier de co-conception

## Préparer l'atelier

Choisissez une question précise et invitez six à huit usagers avec les agents qui les reçoivent.

## Animer

Alternez les temps d'idéation individuelle et les temps de mise en commun ; affichez les consignes au mur.

## Après l'atelier

Envoyez aux participants la synthèse des idées retenues et la suite donnée à chacune.
Pour financer le projet issu de l'atelier, parlez-en à votre direction.
"""
FUNDING = """# Financer un projet d'innovation

## Les fonds

Le fonds pour la transformation de l'action publique finance les projets des administrations sur appel à projets.

## Le budget

Un budget de projet prévoit les dépenses de personnel, de prestations et de matériel, année par année.

## Les cofinancements

Les collectivités peuvent obtenir des cofinancements européens pour leurs projets numériques.
"""
THEMES = ("la restauration scolaire", "les transports en commun", "la collecte des déchets", "les bibliothèques",
          "l'état civil", "les permis de construire", "les crèches", "les archives", "l'entretien des routes",
          "les piscines", "la santé au travail", "les cimetières")
ASPECTS = ("Accueil du public", "Démarches en ligne", "Tarifs", "Contacts")
OTHERS = {f"fiches/{number:02d}.md": f"# {aspect} : {theme}\n\nCette fiche présente {aspect.lower()} pour {theme}. Les "
          "agents y trouvent les règles applicables et les bons interlocuteurs.\n"
          for number, (theme, aspect) in enumerate((t, a) for t in THEMES for a in ASPECTS)}
CORPUS = {"guides/ateliers.md": WORKSHOPS, "guides/financer.md": FUNDING, **OTHERS}  # 50 documents: MIN_DOCUMENTS


def build(corpus: Path, index_dir: Path, embedder, model_path):
    return build_index(CorpusFolder(corpus), index_dir, IndexConfig(model_path=model_path), embedder=embedder)


def passage_sums(build_dir: Path) -> dict[str, tuple[np.ndarray, int]]:
    """Each document's sum and count of the passage vectors its build stored."""
    ids, vectors = FaissStore.load(build_dir).contents()
    store = ChunkStore(build_dir, read_only=True)
    vector_ids, codes, document_ids = store.document_map()
    store.close()
    sums: dict[str, tuple[np.ndarray, int]] = {}
    for code, vector in zip(codes[np.searchsorted(vector_ids, ids)], vectors):
        document = document_ids[code]
        total, count = sums.get(document, (0.0, 0))
        sums[document] = (total + vector, count + 1)
    return sums


def assert_sums_match_passages(build_dir: Path) -> DocumentVectors:
    saved = DocumentVectors.load(build_dir)
    expected = passage_sums(build_dir)
    assert sorted(saved.ids) == sorted(expected)
    for document_id, total, count in zip(saved.ids, saved.sums, saved.counts):
        assert count == expected[document_id][1]
        np.testing.assert_allclose(total, expected[document_id][0], atol=1e-5)
    return saved


@pytest.fixture()
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", CORPUS)


def test_each_document_keeps_the_sum_of_its_passage_vectors(tmp_path, corpus, embedder, model_path):
    build(corpus, tmp_path / "index", embedder, model_path)
    saved = assert_sums_match_passages(current_build(tmp_path / "index"))
    assert sorted(saved.ids) == sorted(CORPUS)


def test_an_update_sums_the_changed_document_again_and_keeps_the_others(tmp_path, corpus, embedder, model_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder, model_path)
    before = DocumentVectors.load(current_build(index_dir))
    (corpus / "guides" / "ateliers.md").write_text(WORKSHOPS + "\n## Le lieu\n\nUne salle claire, des murs libres.\n",
                                                   encoding="utf-8")
    (corpus / "guides" / "mois.md").write_text("# Le Mois de l'innovation publique\n\nChaque année en novembre.\n",
                                               encoding="utf-8")
    report = build(corpus, index_dir, embedder, model_path)

    assert report.files_read == 2
    after = assert_sums_match_passages(current_build(index_dir))
    kept = before.ids.index("guides/financer.md")
    assert np.array_equal(after.sums[after.ids.index("guides/financer.md")], before.sums[kept])
    assert "guides/mois.md" in after.ids

    (corpus / "guides" / "mois.md").unlink()
    build(corpus, index_dir, embedder, model_path)
    assert "guides/mois.md" not in assert_sums_match_passages(current_build(index_dir)).ids


def test_an_index_built_before_them_is_searched_without_and_gets_them_without_encoding(tmp_path, corpus, embedder,
                                                                                        model_path):
    index_dir = tmp_path / "index"
    build(corpus, index_dir, embedder, model_path)
    older = current_build(index_dir)
    (older / FILE).unlink()
    Manifest.load(older).save(older)  # the manifest of a build made before document vectors

    snapshot = IndexSnapshot.open(index_dir, embedder.fingerprint)
    assert snapshot.document_vectors is None
    found = Retriever(snapshot, embedder).search("financer un projet", k=1, mode="dense")
    assert found.results[0].best.chunk.document_id == "guides/financer.md"
    snapshot.close()

    report = build(corpus, index_dir, embedder, model_path)
    assert not report.up_to_date and report.chunks_embedded == 0
    assert_sums_match_passages(current_build(index_dir))


def test_a_passage_is_scored_with_what_its_document_is_about(tmp_path, corpus, embedder, model_path):
    """Its cosine with the question, plus ``document_weight`` times the question's cosine with its document's mean
    passage, both less the corpus's mean: a passage that mentions funding in a guide about workshops falls further
    behind the guide about funding."""
    build(corpus, tmp_path / "index", embedder, model_path)
    question = "Quelles aides pour financer un projet d'innovation ?"
    snapshot = IndexSnapshot.open(tmp_path / "index", embedder.fingerprint)
    assert len(snapshot.document_ids) >= MIN_DOCUMENTS
    alone = Retriever(snapshot, embedder, RetrievalConfig(document_weight=0.0)).search(question, k=2, mode="dense")
    weight = RetrievalConfig().document_weight
    in_context = Retriever(snapshot, embedder, RetrievalConfig()).search(question, k=2, mode="dense")
    sums = DocumentVectors.load(snapshot.path)
    snapshot.close()

    mean = sums.sums.sum(axis=0) / sums.counts.sum()
    query = embedder.encode_queries([question])[0] - mean
    for hit in in_context.results:
        row = sums.ids.index(hit.best.chunk.document_id)
        document = sums.sums[row] / sums.counts[row] - mean
        cosine = in_context.dense_scores[hit.best.chunk.vector_id]
        expected = cosine + weight * float(document @ query / np.linalg.norm(document) / np.linalg.norm(query))
        assert hit.best.score == pytest.approx(expected, abs=1e-5)

    assert weight > 0
    assert [r.best.chunk.document_id for r in in_context.results] == ["guides/financer.md", "guides/ateliers.md"]
    assert margin(in_context) > margin(alone) > 0


def test_in_a_corpus_of_a_few_documents_passages_are_read_alone(tmp_path, embedder, model_path):
    """The mean of a few documents does not describe a corpus: below MIN_DOCUMENTS, dense scores are the cosines."""
    few = write_corpus(tmp_path / "corpus", {"guides/ateliers.md": WORKSHOPS, "guides/financer.md": FUNDING})
    build(few, tmp_path / "index", embedder, model_path)
    snapshot = IndexSnapshot.open(tmp_path / "index", embedder.fingerprint)
    found = Retriever(snapshot, embedder).search("Quelles aides pour financer un projet ?", k=2, mode="dense")
    snapshot.close()
    assert len(snapshot.document_ids) < MIN_DOCUMENTS and snapshot.document_vectors is not None
    assert all(hit.best.score == found.dense_scores[hit.best.chunk.vector_id] for hit in found.results)


def margin(outcome) -> float:
    """How far the first document's best passage scores above the second's."""
    return outcome.results[0].best.score - outcome.results[1].best.score
