"""``eclaireur model adapt``: a seeded fine-tuning on the corpus's own pairs gives a new model that old indexes refuse."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from support import SMALL_CORPUS, write_corpus

from index.builder import IndexConfig, build_index
from index.embedding import Embedder, model_fingerprint
from index.model_adapt import AdaptConfig, adapt_model, corpus_pairs, interpolate, read_corpus, with_hard_negatives
from index.onnx_export import has_onnx
from index.snapshot import IndexSnapshot, ModelMismatchError
from index.sources import CorpusFolder

EXTRA = {
    "guides/experimentation.md": """---
title: "Conduire une expérimentation"
type: guide
---
# Conduire une expérimentation

## Définir le protocole

Une expérimentation fixe un objectif, un territoire, une durée et des indicateurs avant de commencer.

## Évaluer les résultats

À la fin de l'expérimentation, les indicateurs sont comparés à la situation de départ pour décider de généraliser.
""",
}
TINY = AdaptConfig(batch_size=4, max_seq_length=64)
QUERY = "Comment évaluer une expérimentation ?"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("adapt") / "corpus", {**SMALL_CORPUS, **EXTRA})


def test_pairs_come_from_faq_questions_headings_and_titles(corpus):
    pairs = corpus_pairs(read_corpus(CorpusFolder(corpus)))
    by_origin = {(p.origin, p.query) for p in pairs}
    assert ("faq", "Qu'est-ce que le droit à l'erreur ?") in by_origin
    assert ("heading", "Conduire une expérimentation > Évaluer les résultats") in by_origin
    assert ("title", "Le Mois de l'innovation publique") in by_origin
    for query, positive, negative in with_hard_negatives(pairs):
        source = next(p for p in pairs if p.query == query and p.passage == positive)
        assert negative != positive and not any(p.passage == negative and p.document_id == source.document_id for p in pairs)


def test_passages_given_flat_give_sentence_pairs_instead(tmp_path):
    from index.sources import PassagesFile

    text = ("La médiation familiale aide les parents séparés à trouver un accord. Le médiateur est neutre et impartial. "
            "Une séance d'information est gratuite pour les deux parents. Ensuite, chaque séance est payante selon les revenus.")
    passages = tmp_path / "passages.jsonl"
    passages.write_text(json.dumps({"id": "p1", "title": "", "text": text}) + "\n", encoding="utf-8")
    pairs = corpus_pairs(read_corpus(PassagesFile(passages)))
    assert len(pairs) == 2 and {p.origin for p in pairs} == {"sentence"}  # its id is no title, and it has no headings
    for pair in pairs:
        assert pair.query in text and pair.query not in pair.passage and len(pair.query.split()) >= 6
    assert corpus_pairs(read_corpus(PassagesFile(passages))) == pairs  # seeded


def test_adapted_model_loads_with_a_new_fingerprint_and_refuses_the_old_index(corpus, tmp_path, model_path, embedder):
    report = adapt_model(model_path, read_corpus(CorpusFolder(corpus)), tmp_path / "adapte", TINY)
    assert report.base_fingerprint == model_fingerprint(model_path) != report.fingerprint
    assert report.steps >= 2 and report.pairs["faq"] == 2
    assert report.onnx and has_onnx(tmp_path / "adapte")  # the ONNX engines can run it at once
    adapted = Embedder(tmp_path / "adapte")
    assert adapted.fingerprint != embedder.fingerprint and adapted.dimension == embedder.dimension
    vector = adapted.encode_query(QUERY)
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-3)
    assert not np.allclose(vector, embedder.encode_query(QUERY), atol=1e-4)

    build_index(CorpusFolder(corpus), tmp_path / "index", IndexConfig(model_path=model_path), embedder=embedder)
    with pytest.raises(ModelMismatchError):
        IndexSnapshot.open(tmp_path / "index", adapted.fingerprint)


def test_adaptation_is_seeded(corpus, tmp_path, model_path):
    documents = read_corpus(CorpusFolder(corpus))
    first = adapt_model(model_path, documents, tmp_path / "a", TINY, with_onnx=False)
    second = adapt_model(model_path, documents, tmp_path / "b", TINY, with_onnx=False)
    assert first.fingerprint == second.fingerprint


def test_each_weight_written_is_the_fine_tuned_share_of_its_fine_tuned_value_plus_the_rest_of_its_base_value():
    import torch

    layer = torch.nn.Linear(2, 1)
    base = {"weight": torch.tensor([[1.0, 2.0]])}
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[3.0, -2.0]]))
        layer.bias.fill_(7.0)
    interpolate(layer, base, 0.25)
    assert layer.weight.tolist() == [[1.5, 1.0]]
    assert layer.bias.tolist() == [7.0]  # a parameter the adaptation did not train stays as it is


def test_a_fine_tuned_share_of_zero_writes_the_base_model_back(corpus, tmp_path, model_path, embedder):
    report = adapt_model(model_path, read_corpus(CorpusFolder(corpus)), tmp_path / "base",
                         replace(TINY, fine_tuned_share=0.0), with_onnx=False)
    assert report.steps >= 2
    written = Embedder(tmp_path / "base", engine="torch")
    assert np.allclose(written.encode_query(QUERY), embedder.encode_query(QUERY), atol=1e-4)
