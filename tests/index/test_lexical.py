"""French lexical search: one analyzer for texts and queries, and a BM25 index that survives a save/load."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from index.lexical import BODY, CHUNK_FIELDS, BM25Index, analyze, analyze_with_spans, chunk_fields, fold_accents, term_spans

# --------------------------------------------------------------------------- analyzer


@pytest.mark.parametrize(("written", "typed"), [
    ("expérimentations", "experimentation"),
    ("Expérimentation", "experimentations"),
    ("collectivités", "collectivite"),
    ("Collectivité", "collectivites"),
    ("données", "donnees"),
    ("donnée", "Données"),
    ("œuvre", "oeuvre"),
    ("Œuvres", "oeuvre"),
])
def test_accents_case_and_plural_give_the_same_term(written, typed):
    assert len(analyze(written)) == 1
    assert analyze(written) == analyze(typed)


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_elisions_are_removed_with_straight_or_typographic_apostrophe(apostrophe):
    assert analyze(f"l{apostrophe}innovation") == analyze("innovation")
    assert analyze(f"d{apostrophe}expérimentation") == analyze("expérimentation")
    assert analyze(f"qu{apostrophe}une collectivité") == analyze("collectivité")
    assert analyze(f"L{apostrophe}État") == analyze("état")


def test_stop_words_are_removed():
    assert analyze("le de et la les des du un une") == []
    assert analyze("Est-ce que") == []
    assert analyze("Est-ce que le laboratoire et la collectivité") == analyze("laboratoire collectivité")


def test_a_question_keeps_only_its_meaningful_terms():
    assert analyze("Qu’est-ce que l’innovation publique ?") == analyze("innovation publique")
    assert len(analyze("innovation publique")) == 2


@pytest.mark.parametrize("question", ["Comment participer à un atelier ?", "Pourquoi participer à un atelier ?",
                                      "Quand participer à un atelier ?", "Combien participer à un atelier ?"])
def test_the_interrogative_word_is_not_a_term_to_find(question):
    # « combien », rare in guides, would otherwise be a question's rarest term: one its answer must state
    assert analyze(question) == analyze("participer atelier")


@pytest.mark.parametrize("grouped, plain", [
    ("la norme EN 301 549", "la norme EN 301549"),
    ("10 000 usagers", "10000 usagers"),
    ("3\u202f000 agents", "3000 agents"),  # narrow no-break space, as typographers write it
    ("1\u00a0619 inspections", "1619 inspections"),
])
def test_a_number_written_in_groups_of_three_digits_is_one_term(grouped, plain):
    assert analyze(grouped) == analyze(plain)


def test_a_grouped_number_is_highlighted_whole():
    text = "La norme EN 301 549 est traduite."
    assert [text[start:end] for term, start, end in analyze_with_spans(text) if term == "301549"] == ["301 549"]
    assert [text[start:end] for start, end in term_spans(text, {"301549"})] == ["301 549"]


@pytest.mark.parametrize("text, terms", [
    ("en 2019 300 projets", ["2019", "300", "projet"]),  # a year is not a group of three digits
    ("article 22 2018", ["articl", "22", "2018"]),
])
def test_numbers_side_by_side_that_are_not_groups_of_three_stay_apart(text, terms):
    assert analyze(text) == terms


def test_fold_accents_removes_diacritics_and_opens_ligatures():
    assert fold_accents("Expérimentation à Besançon, cœur de l'Œuvre") == \
        "Experimentation a Besancon, coeur de l'OEuvre"
    assert fold_accents("ÉÈÊËÀÂÎÏÔÛÙÜŸÇ") == "EEEEAAIIOUUUYC"


def test_decomposed_accents_give_the_same_terms_as_composed_ones():
    """Text extracted from some PDFs or typed on macOS arrives in NFD (e + combining accent)."""
    composed = "expérimentation des collectivités territoriales"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert analyze(decomposed) == analyze(composed)


def test_spans_point_at_the_original_words():
    text = "L’expérimentation des collectivités d'outre-mer"
    spans = analyze_with_spans(text)
    assert [text[start:end] for _, start, end in spans] == ["expérimentation", "collectivités", "outre", "mer"]
    assert [term for term, _, _ in spans] == analyze(text)


def test_spans_of_the_same_word_twice_point_at_each_occurrence():
    text = "Données ouvertes, données publiques."
    spans = [(start, end) for term, start, end in analyze_with_spans(text) if term == analyze("donnée")[0]]
    assert spans == [(0, 7), (18, 25)]
    assert [text[s:e] for s, e in spans] == ["Données", "données"]



def test_highlighted_spans_are_the_analyzer_spans_of_the_query_terms():
    """``term_spans`` finds by string search what ``analyze_with_spans`` finds word by word: whole words only."""
    text = "Métadonnées et données : les Données_ouvertes, la donnée (données) ; e\u0301tat, État et états."
    for query, words in (("donnée", ["données", "donnée", "données"]), ("état", ["e\u0301tat", "État", "états"])):
        terms = set(analyze(query))
        spans = term_spans(text, terms)
        assert spans == [(start, end) for term, start, end in analyze_with_spans(text) if term in terms]
        assert [text[start:end] for start, end in spans] == words


# --------------------------------------------------------------------------- BM25

TEXTS = {
    10: "Les expérimentations menées par les collectivités territoriales sont encadrées par la Constitution.",
    20: "Le télétravail des agents publics est organisé par un accord signé avec les syndicats.",
    30: "L'ouverture des données publiques favorise l'innovation et la transparence de l'action publique.",
    40: "Les collectivités gèrent les transports scolaires et les cantines.",
    50: "Une expérimentation de semaine de quatre jours a été lancée dans une administration centrale.",
}


@pytest.fixture(scope="module")
def index() -> BM25Index:
    return BM25Index.build(list(TEXTS), list(TEXTS.values()))


@pytest.mark.parametrize("query", [
    "expérimentation collectivités",
    "experimentation collectivites",
    "EXPÉRIMENTATIONS des Collectivité",
])
def test_query_with_or_without_accents_ranks_the_right_text_first(index, query):
    scores, ids = index.search(query, k=5)
    assert ids[0] == 10
    assert set(ids) == {10, 40, 50}  # only texts sharing a term come back
    assert np.all(np.diff(scores) <= 0) and np.all(scores > 0)


def test_query_with_no_known_term_returns_nothing(index):
    scores, ids = index.search("cryptographie quantique", k=5)
    assert len(scores) == 0 and len(ids) == 0
    assert not index.scores("cryptographie quantique").any()
    assert len(index.search("le la les de", k=5)[1]) == 0  # only stop words


@pytest.mark.parametrize("typed", ["télétravial", "teletravil", "téléttravail", "telétravaill"])
def test_a_word_mistyped_by_one_slip_still_finds_its_text(index, typed):
    assert index.query_terms(f"{typed} des agents") == index.query_terms("télétravail des agents")
    assert index.search(f"{typed} des agents", k=1)[1][0] == 20


def test_a_word_unknown_to_the_corpus_with_no_near_spelling_stays_as_it_is(index):
    assert index.query_terms("cryptographie") == analyze("cryptographie")
    assert index.query_terms("agenda") == ["agend"]  # too short to tell a slip from a word of its own
    assert index.corrected("collectiv") == "collectiv"  # a known term is never changed


def test_k_limits_the_number_of_results(index):
    scores, ids = index.search("expérimentation collectivités", k=2)
    assert list(ids) == list(index.search("expérimentation collectivités", k=5)[1][:2])
    assert len(scores) == 2


def test_allowed_restricts_results_to_those_ids(index):
    scores, ids = index.search("expérimentation collectivités", k=5, allowed=np.array([40, 50]))
    assert set(ids) == {40, 50}
    assert 10 not in ids
    assert len(index.search("expérimentation collectivités", k=5, allowed=np.array([20, 30]))[1]) == 0


def test_scores_are_aligned_with_ids_and_rare_terms_weigh_more(index):
    scores = index.scores("télétravail")
    assert len(scores) == len(index) == len(TEXTS)
    assert index.ids[int(np.argmax(scores))] == 20
    # « collectivités » appears in two texts, « télétravail » in one: the rarer term scores higher
    assert scores.max() > index.scores("collectivités").max()


def test_save_and_load_round_trip_gives_identical_scores(index, tmp_path):
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert len(loaded) == len(index)
    assert np.array_equal(loaded.ids, index.ids)
    assert loaded.vocabulary == index.vocabulary
    for query in ["expérimentation collectivités", "données publiques", "télétravail", "rien de connu"]:
        assert np.array_equal(loaded.scores(query), index.scores(query))
        original, reloaded = index.search(query, k=3), loaded.search(query, k=3)
        assert np.array_equal(original[0], reloaded[0]) and np.array_equal(original[1], reloaded[1])


def test_weights_are_okapi_bm25(index):
    """Each stored weight is idf × tf·(k1 + 1) / (tf + k1·(1 − b + b·length / mean length)), k1 = 1.2, b = 0.75."""
    terms = [analyze(text) for text in TEXTS.values()]
    mean_length = np.mean([len(t) for t in terms])
    for term, column in index.vocabulary.items():
        df = sum(term in t for t in terms)
        idf = np.log1p((len(terms) - df + 0.5) / (df + 0.5))
        for row, doc_terms in enumerate(terms):
            tf = doc_terms.count(term)
            expected = idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc_terms) / mean_length)) if tf else 0.0
            assert index.weights[row, column] == pytest.approx(expected, rel=1e-5)


def test_streaming_build_from_generators_equals_list_build(index):
    streamed = BM25Index.build((i for i in TEXTS), (text for text in TEXTS.values()))
    assert streamed.vocabulary == index.vocabulary and np.array_equal(streamed.ids, index.ids)
    assert np.array_equal(streamed.weights.toarray(), index.weights.toarray())
    for query in ["expérimentation collectivités", "données publiques"]:
        assert np.array_equal(streamed.scores(query), index.scores(query))


def test_ids_and_texts_must_have_the_same_length():
    with pytest.raises(ValueError):
        BM25Index.build([1, 2], ["un texte"])


def test_empty_index_scores_nothing():
    empty = BM25Index.build([], [])
    assert len(empty) == 0 and len(empty.search("innovation", k=5)[1]) == 0


# --------------------------------------------------------------------------- fields (BM25F)

HEADING_MATCH = [  # (title, heading path, body): only the first says in its heading what is asked
    ("Guide des laboratoires", ("Guide des laboratoires", "Financer un laboratoire"),
     "Plusieurs sources existent : crédits du ministère, appels à projets, fonds de transformation de l'action publique."),
    ("Actualités", ("Actualités", "Brèves"),
     "Le laboratoire régional présente ses travaux : il veut financer un prototype, et un laboratoire voisin cherche "
     "à financer une étude."),
    ("Recrutement", ("Recrutement", "Profils"), "Les équipes recrutent des designers et des développeurs."),
    ("Mois de l'innovation", ("Mois de l'innovation",), "Chaque année en novembre, des événements ouverts aux agents."),
]


def fielded_index() -> BM25Index:
    texts = (chunk_fields(title, headings, body) for title, headings, body in HEADING_MATCH)
    return BM25Index.build(range(len(HEADING_MATCH)), texts, fields=CHUNK_FIELDS)


def test_a_heading_that_says_what_was_asked_ranks_first():
    flat = BM25Index.build(range(len(HEADING_MATCH)), (" ".join(h) + "\n" + body for _, h, body in HEADING_MATCH))
    _, flat_ids = flat.search("financer un laboratoire", 2)
    _, fielded_ids = fielded_index().search("financer un laboratoire", 2)
    assert list(flat_ids) == [1, 0]  # one field: the body that repeats the words wins
    assert list(fielded_ids) == [0, 1]


def test_a_first_heading_repeating_the_title_is_counted_once():
    assert chunk_fields("Guide des laboratoires", ("Guide des laboratoires", "Financer"), "texte") == \
        ("Guide des laboratoires", "Financer", "texte")
    assert chunk_fields("Guide", ("Autre titre", "Financer"), "texte") == ("Guide", "Autre titre Financer", "texte")


def test_one_field_per_text_is_plain_bm25_and_a_wrong_field_count_is_refused():
    plain = BM25Index.build(range(2), ["laboratoire d'innovation", "données ouvertes"])
    one_field = BM25Index.build(range(2), [("laboratoire d'innovation",), ("données ouvertes",)], fields=(BODY,))
    assert np.allclose(plain.scores("laboratoire"), one_field.scores("laboratoire"))
    with pytest.raises(ValueError, match="champs"):
        BM25Index.build(range(1), [("titre", "corps")], fields=CHUNK_FIELDS)


def test_a_clipped_word_finds_the_word_the_guides_spell_out():
    assert analyze("créer un lab") == analyze("créer un laboratoire")
    assert analyze("les labs") == analyze("les laboratoires")
    assert analyze("une appli mobile") == analyze("une application mobile")
    assert analyze("des infos") == analyze("des informations")
