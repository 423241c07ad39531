"""Chunking: retrieval units sized with the model's real tokenizer, never over budget, nothing lost."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from index.chunking import Chunk, ChunkingConfig, chunk_document, split_sentences
from index.documents import Document, Section
from index.readers import read_document

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "multilingual-e5-small"


@pytest.fixture(scope="module")
def count():
    """The model's own token counter (special tokens included, as the embedder sees them)."""
    tokenizer_file = MODEL_DIR / "tokenizer.json"
    if not tokenizer_file.exists():
        from index.model_install import install_model

        install_model(MODEL_DIR)
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    return lambda texts: [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]


SUBJECTS = ["La collectivité", "Le laboratoire d'innovation", "L'équipe projet", "La préfecture de région",
            "Le service instructeur", "Une association d'usagers", "La direction interministérielle",
            "Le comité de pilotage"]
VERBS = ["conçoit", "évalue", "teste auprès des habitants", "documente soigneusement", "finance en partie",
         "simplifie", "présente au conseil municipal"]
OBJECTS = ["un nouveau parcours d'accueil pour les demandeurs d'emploi",
           "le formulaire de demande d'aide au logement",
           "une expérimentation de transport à la demande en zone rurale",
           "la dématérialisation des actes d'état civil",
           "un tableau de bord des délais de traitement des dossiers",
           "les ateliers de co-conception avec les agents de guichet"]
CLOSINGS = ["pendant six mois", "avec le soutien du fonds de transformation", "avant une généralisation",
            "en lien avec les partenaires sociaux", "sous le contrôle de la Cour des comptes"]


def french_sentences(n: int, start: int = 0) -> list[str]:
    """``n`` distinct, varied French sentences (the number makes each one unique)."""
    combos = itertools.cycle(itertools.product(SUBJECTS, VERBS, OBJECTS, CLOSINGS))
    sentences = []
    for i, (subject, verb, obj, closing) in zip(range(start, start + n), combos):
        ending = "." if i % 7 else " !"
        sentences.append(f"{subject} {verb} {obj} {closing}, étape {i}{ending}")
    return sentences


@pytest.fixture(scope="module")
def long_guide() -> tuple[Document, list[str]]:
    """A multi-section guide of several thousand words, and every sentence written in it."""
    title = "Guide de la transformation publique"
    layout = [
        ((title,), 12),
        ((title, "Diagnostic"), 80),
        ((title, "Diagnostic", "Écouter les usagers"), 60),
        ((title, "Conception"), 5),
        ((title, "Conception", "Prototyper"), 120),
        ((title, "Évaluation"), 90),
    ]
    sections, written, cursor = [], [], 0
    for path, n in layout:
        sentences = french_sentences(n, cursor)
        cursor += n
        paragraphs = [" ".join(sentences[i:i + 6]) for i in range(0, n, 6)]
        sections.append(Section(heading_path=path, text="\n\n".join(paragraphs)))
        written += sentences
    document = Document(id="guides/transformation.md", title=title, sections=sections)
    assert sum(len(s.text.split()) for s in sections) > 4000
    return document, written


# --------------------------------------------------------------------------- budgets


@pytest.mark.parametrize("max_tokens", [128, 256])
def test_every_chunk_of_a_long_guide_fits_the_token_budget(count, long_guide, max_tokens):
    document, _ = long_guide
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=max_tokens, overlap_tokens=32))
    sizes = count([chunk.embedding_text for chunk in chunks])
    assert len(chunks) > 10
    assert max(sizes) <= max_tokens
    # the budget is actually used: chunks are not needlessly tiny
    assert sum(sizes) / len(sizes) > max_tokens / 2


@pytest.mark.parametrize("max_tokens", [128, 256])
def test_chunks_keep_heading_paths_ordinals_and_ids(count, long_guide, max_tokens):
    document, _ = long_guide
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=max_tokens))
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    assert [chunk.id for chunk in chunks] == [f"guides/transformation.md#{i}" for i in range(len(chunks))]
    assert all(chunk.document_id == document.id and chunk.kind == "section" for chunk in chunks)
    # reading order: the chunks walk through the sections one after the other
    paths_in_order = [path for path, _ in itertools.groupby(chunk.heading_path for chunk in chunks)]
    assert paths_in_order == [section.heading_path for section in document.sections]
    for chunk in chunks:
        assert chunk.embedding_text.startswith(" > ".join(chunk.heading_path) + "\n")
    assert chunks[-1].heading == "Guide de la transformation publique > Évaluation"


def test_no_sentence_of_the_source_is_lost(count, long_guide):
    document, written = long_guide
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128, overlap_tokens=32))
    for sentence in written:
        assert any(sentence in chunk.text for chunk in chunks), f"phrase perdue : {sentence}"


def test_a_section_that_fits_stays_one_chunk_with_its_text_unchanged(count):
    section = Section(heading_path=("Mémo", "Contacts"), text="Écrire à la DITP.\nRéponse sous huit jours.",
                      page=3)
    chunks = chunk_document(Document(id="memo.pdf", title="Mémo", sections=[section]), count)
    assert chunks == [Chunk(document_id="memo.pdf", ordinal=0, heading_path=("Mémo", "Contacts"),
                            text="Écrire à la DITP.\nRéponse sous huit jours.", kind="section", page=3)]


# --------------------------------------------------------------------------- overlap


def overlap_section(count) -> Section:
    sentences = [f"La mesure numéro {i} améliore l'accueil des usagers dans les services publics de proximité."
                 for i in range(40)]
    sizes = count(sentences)
    assert all(17 <= size <= 32 for size in sizes)  # each fits the overlap alone, two do not
    return Section(heading_path=("Mesures", "Accueil"), text=" ".join(sentences))


def test_consecutive_chunks_of_a_long_section_overlap_by_their_last_sentence(count):
    document = Document(id="mesures.md", title="Mesures", sections=[overlap_section(count)])
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128, overlap_tokens=32))
    assert len(chunks) >= 4
    for previous, following in zip(chunks, chunks[1:]):
        assert split_sentences(following.text)[0] == split_sentences(previous.text)[-1]
    assert max(count([chunk.embedding_text for chunk in chunks])) <= 128


def test_without_overlap_consecutive_chunks_share_no_sentence(count):
    document = Document(id="mesures.md", title="Mesures", sections=[overlap_section(count)])
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128, overlap_tokens=0))
    for previous, following in zip(chunks, chunks[1:]):
        assert not set(split_sentences(previous.text)) & set(split_sentences(following.text))
    # and nothing is repeated nor lost
    assert " ".join(chunk.text for chunk in chunks) == document.sections[0].text



def test_a_long_section_cut_into_chunks_keeps_its_list_items_on_their_own_lines(count):
    items = [f"• la mesure numéro {i} améliore l'accueil des usagers dans les services publics de proximité ;" for i in range(30)]
    text = "Pour réussir, le laboratoire d'innovation vérifie que :\n" + "\n".join(items) + "\nCe bilan est publié chaque année."
    document = Document(id="bilan.md", title="Bilan", sections=[Section(heading_path=("Bilan",), text=text)])
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128, overlap_tokens=0))
    assert len(chunks) >= 3
    lines = [line for chunk in chunks for line in chunk.text.split("\n")]
    assert lines == text.split("\n")  # every item still opens its own line, in every chunk



def test_a_list_stays_in_the_chunk_of_its_lead_in_when_they_fit_together(count):
    preamble = " ".join(f"La mesure numéro {i} améliore l'accueil des usagers dans les services publics." for i in range(6))
    lead_in = "Pour être retenu, un projet doit :"
    items = ["• servir des usagers identifiés par le service instructeur de la préfecture ;",
             "• mesurer ses effets sur les délais de traitement des dossiers ;",
             "• publier son code source sous une licence libre reconnue ;",
             "• documenter ses choix de conception pour les équipes suivantes."]
    text = "\n".join([preamble, lead_in, *items])
    document = Document(id="appel.md", title="Appel", sections=[Section(heading_path=("Appel",), text=text)])
    config = ChunkingConfig(max_tokens=190, overlap_tokens=0)
    sentences = [*split_sentences(preamble), lead_in]
    assert sum(count([*sentences, items[0]])) < 180 and count([text])[0] > 190  # greedy packing would cut the list
    holding = [chunk.text for chunk in chunk_document(document, count, config) if lead_in in chunk.text]
    assert holding == ["\n".join([lead_in, *items])]


# --------------------------------------------------------------------------- FAQ


def faq_document(answer: str) -> Document:
    question = "Comment une collectivité peut-elle déroger à la loi à titre expérimental ?"
    return Document(id="faq/droit.md", title="FAQ juridique", type="faq",
                    sections=[Section(heading_path=("FAQ juridique", question), text=answer, is_question=True)])


def test_a_faq_pair_longer_than_max_tokens_but_within_the_model_limit_stays_one_chunk(count):
    answer = " ".join(french_sentences(12))
    document = faq_document(answer)
    size = count([f"FAQ juridique > {document.sections[0].heading_path[1]}\n{answer}"])[0]
    assert 128 < size < 500
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128))
    assert len(chunks) == 1
    assert chunks[0].kind == "faq"
    assert chunks[0].text == answer


def test_a_faq_pair_longer_than_the_model_limit_is_split_within_it(count):
    answer = " ".join(french_sentences(60))
    document = faq_document(answer)
    assert count([answer])[0] > 1000
    config = ChunkingConfig(max_tokens=128, model_max_tokens=512)
    chunks = chunk_document(document, count, config)
    assert len(chunks) >= 3
    assert all(chunk.kind == "faq" for chunk in chunks)
    assert all(chunk.heading_path == document.sections[0].heading_path for chunk in chunks)
    assert max(count([chunk.embedding_text for chunk in chunks])) <= 512
    # FAQ pieces use the model's room, not the guide budget
    assert max(count([chunk.embedding_text for chunk in chunks])) > 128
    for sentence in french_sentences(60):
        assert any(sentence in chunk.text for chunk in chunks)


def test_a_faq_read_from_markdown_gives_one_faq_chunk_per_question(count):
    markdown = """---
title: FAQ du télétravail
type: faq
---
## Combien de jours par semaine ?

Jusqu'à trois jours par semaine, selon le service.

## Qui décide ?

Le chef de service, par écrit.
"""
    document = read_document(markdown.encode(), "faq/teletravail.md")
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128))
    assert [(chunk.kind, chunk.heading_path[-1]) for chunk in chunks] == [
        ("faq", "Combien de jours par semaine ?"), ("faq", "Qui décide ?")]
    assert chunks[0].embedding_text == ("FAQ du télétravail > Combien de jours par semaine ?\n"
                                        "Jusqu'à trois jours par semaine, selon le service.")


# --------------------------------------------------------------------------- sentences


def test_split_sentences_splits_on_final_punctuation():
    assert split_sentences("Première phrase. Deuxième phrase ! Troisième ?") == [
        "Première phrase.", "Deuxième phrase !", "Troisième ?"]


def test_split_sentences_keeps_french_abbreviations_inside_a_sentence():
    text = ("M. Dupont a rappelé l'art. 37-1 de la Constitution. Mme Martin cite le n°. 5 du bulletin officiel. "
            "Voir cf. Annexe 2 pour le détail. Fin du compte rendu.")
    assert split_sentences(text) == [
        "M. Dupont a rappelé l'art. 37-1 de la Constitution.",
        "Mme Martin cite le n°. 5 du bulletin officiel.",
        "Voir cf. Annexe 2 pour le détail.",
        "Fin du compte rendu.",
    ]


def test_split_sentences_does_not_cut_before_a_lower_case_word_and_cuts_at_line_breaks():
    assert split_sentences("Version 2.0 publiée. puis corrigée\nNouvelle ligne sans point") == [
        "Version 2.0 publiée. puis corrigée", "Nouvelle ligne sans point"]


def test_split_sentences_cuts_before_accented_capitals_quotes_and_digits():
    assert split_sentences("Fin. État des lieux. « Citation » suit. 2026 sera décisif.") == [
        "Fin.", "État des lieux.", "« Citation » suit.", "2026 sera décisif."]


# --------------------------------------------------------------------------- pathological input


def test_a_giant_sentence_without_punctuation_is_still_cut_within_bounds(count):
    words = [f"{word}{i}" for i, word in zip(range(2000), itertools.cycle(
        ["usager", "dossier", "guichet", "démarche", "agent", "préfecture", "commune", "formulaire"]))]
    giant = " ".join(words)
    document = Document(id="brouillon.txt", title="Brouillon", sections=[Section(("Brouillon",), giant)])
    chunks = chunk_document(document, count, ChunkingConfig(max_tokens=128, overlap_tokens=32))
    assert len(chunks) > 10
    assert max(count([chunk.embedding_text for chunk in chunks])) <= 128
    # every word survives, in order
    assert " ".join(chunk.text for chunk in chunks).split() == words


def test_a_single_word_longer_than_the_budget_is_still_cut_within_bounds(count):
    """A long unbroken run of characters (an address, an identifier) must not make a chunk over budget
    (here it would even be far over the model limit)."""
    identifier = "https://www.modernisation.gouv.fr/telechargements/" + "a1b2c3d4" * 300
    text = f"Le rapport complet est disponible. Adresse : {identifier} consultée en mars."
    document = Document(id="rapport.txt", title="Rapport", sections=[Section(("Rapport",), text)])
    config = ChunkingConfig(max_tokens=128, model_max_tokens=512)
    chunks = chunk_document(document, count, config)
    assert max(count([chunk.embedding_text for chunk in chunks])) <= config.max_tokens
