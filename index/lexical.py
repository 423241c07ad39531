"""French lexical search: an analyzer (accents folded, elisions and stop words removed, Snowball
stemming) and a BM25 index stored as a sparse matrix of precomputed term weights."""

from __future__ import annotations

import json
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import Stemmer
from scipy import sparse

# A word, which may carry combining accents (decomposed text from some PDFs and macOS files). An elided article
# or pronoun (« l' », « qu' », « lorsqu' »…) is a word of its own, dropped as a single letter or a stop word: a
# plain character class scans about twice as fast as a pattern that looks for elisions. A number written in groups
# of three digits, as French writes it (« 10 000 agents », « EN 301 549 »), is one word: it finds the same number
# written without spaces.
WORD = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|[\w\u0300-\u036f]+")
ANALYZER_VERSION = 4  # what the terms of a text are; a change rebuilds the BM25 weights
WORD_CHAR = re.compile(r"[\w\u0300-\u036f]")

FRENCH_STOP_WORDS = frozenset("""
a afin ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais aurait
auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient avais avait
avant avec avez aviez avions avoir avons ayant ayez ayons c ca ce ceci cela celle celles celui cependant
ces cet cette ceux chacun chacune chaque chez ci combien comme comment d dans de des desquelles desquels dont du
duquel elle elles en encore entre es est et etaient etais etait etant etc ete etes etiez etions etre eu
eue eues eumes eurent eus eusse eussent eusses eussiez eussions eut eutes eux fait faites fois font
furent fus fusse fussent fusses fussiez fussions fut futes ici il ils j je jusqu l la laquelle le lequel
les lesquelles lesquels leur leurs lors lorsqu lui m ma mais me meme memes mes moi mon n ne ni nos notre
nous on ont or ou par parce pas peu peut peuvent plus pour pourquoi puis qu quand que quel quelle
quelles quels qui quoi s sa sans se sera serai seraient serais serait seras serez seriez serions serons
seront ses si sien sienne soi soient sois soit sommes son sont sous soyez soyons suis sur t ta te tes
toi ton tous tout toute toutes tres tu un une unes uns vers voici voila vos votre vous y
lorsqu puisqu quoiqu
""".split())

# Clipped words that agents write for the word their guides spell out (« créer un lab », « une appli »).
CLIPPED_WORDS = {"lab": "laboratoire", "labs": "laboratoires", "appli": "application", "applis": "applications",
                 "info": "information", "infos": "informations"}

_stemmer = Stemmer.Stemmer("french")


def fold_accents(text: str) -> str:
    """« Expérimentation » -> « experimentation »; ligatures opened (œ -> oe)."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    folded = fold_accents(word.lower()).replace(" ", "")  # the spaces of a grouped number, folded from any kind
    if folded in FRENCH_STOP_WORDS or (len(folded) == 1 and not folded.isdigit()):
        return None
    return _stemmer.stemWord(CLIPPED_WORDS.get(folded, folded))


def analyze_with_spans(text: str) -> list[tuple[str, int, int]]:
    """Index terms with the character span of the word each comes from (for highlighting)."""
    out = []
    for match in WORD.finditer(text):
        term = _term(match.group())
        if term:
            out.append((term, match.start(), match.end()))
    return out


def analyze(text: str) -> list[str]:
    """The French analyzer used on both sides: accents folded, elisions and stop words dropped, stemmed."""
    return [term for term in map(_term, WORD.findall(text)) if term]


def term_spans(text: str, terms: Collection[str]) -> list[tuple[int, int]]:
    """The spans of the words of ``text`` whose term is in ``terms``, in order: those ``analyze_with_spans`` gives
    them, found by ``str.find`` for the few distinct words that match instead of a Python step per word."""
    spans = []
    for word in {word for word in set(WORD.findall(text)) if _term(word) in terms}:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if (start == 0 or not WORD_CHAR.match(text, start - 1)) and not WORD_CHAR.match(text, end):
                spans.append((start, end))
            start = text.find(word, start + 1)
    return sorted(spans)


@dataclass(frozen=True)
class TextField:
    """A part of a text scored apart (BM25F): its weight, and how much its length normalises its term counts."""

    name: str
    weight: float = 1.0
    b: float = 0.75


BODY = TextField("body")
# A chunk's document title, its heading path below the title, its text: a heading that says what was asked counts more.
CHUNK_FIELDS = (TextField("title", weight=1.5, b=0.5), TextField("headings", weight=1.5, b=0.5), BODY)


K1 = 1.2
SLIP_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # what an analysed term is made of
MIN_SLIP_LENGTH = 6  # a shorter unknown term is as likely a word of its own (« appli ») as a slip


def one_slip_away(term: str) -> set[str]:
    """Every string one typing slip away from ``term``: a letter dropped, doubled or added, replaced, or swapped with
    the next one (Damerau's four edits)."""
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    return ({head + tail[1:] for head, tail in splits if tail}
            | {head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1}
            | {head + letter + tail[1:] for head, tail in splits if tail for letter in SLIP_ALPHABET}
            | {head + letter + tail for head, tail in splits for letter in SLIP_ALPHABET}) - {term}


def scoring(fields: Sequence[TextField] = CHUNK_FIELDS, k1: float = K1) -> dict:
    """What an index's BM25 weights depend on besides the texts, the analyzer's version included (the manifest
    keeps it: a change rebuilds them)."""
    return {"k1": k1, "fields": [asdict(spec) for spec in fields], "analyzer": ANALYZER_VERSION}


def chunk_fields(title: str, heading_path: Sequence[str], text: str) -> tuple[str, str, str]:
    """The texts of ``CHUNK_FIELDS`` for one chunk; a first heading that repeats the title is not counted twice."""
    headings = heading_path[1:] if heading_path and fold_accents(heading_path[0]).lower() == fold_accents(title).lower() \
        else heading_path
    return title, " ".join(headings), text


class BM25Index:
    """Okapi BM25 with each (document, term) weight precomputed, so a query is a sum of matrix columns."""

    FILES = ("bm25.npz", "bm25.json")

    def __init__(self, weights: sparse.csc_matrix, vocabulary: dict[str, int], ids: np.ndarray) -> None:
        self.weights = weights
        self.vocabulary = vocabulary
        self.ids = ids
        document_frequency = np.diff(weights.indptr).astype(np.float32)
        self._idf = np.log1p((len(ids) - document_frequency + 0.5) / (document_frequency + 0.5))
        self._unknown_idf = float(np.log1p((len(ids) + 0.5) / 0.5))

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analysed term; a term absent from the corpus gets the highest."""
        column = self.vocabulary.get(term)
        return self._unknown_idf if column is None else float(self._idf[column])

    def __len__(self) -> int:
        return len(self.ids)

    def query_terms(self, query: str) -> list[str]:
        """The analysed terms of ``query``, each one the corpus does not know read as the term it most likely
        mistyped (« prestatire » → « prestataire »): a question with a typing slip still finds its documents."""
        return [self.corrected(term) for term in analyze(query)]

    def corrected(self, term: str) -> str:
        """``term``, or, when the corpus does not know it and it is long enough, the most frequent known term one
        slip away (``one_slip_away``); ``term`` itself when there is none."""
        if term in self.vocabulary or len(term) < MIN_SLIP_LENGTH:
            return term
        known = [candidate for candidate in one_slip_away(term) if candidate in self.vocabulary]
        return min(known, key=lambda candidate: (self.idf(candidate), candidate)) if known else term

    @classmethod
    def build(cls, ids: Iterable[int], texts: Iterable[str | Sequence[str]], fields: Sequence[TextField] = (BODY,),
              k1: float = K1) -> BM25Index:
        """Index ``texts`` under ``ids``; both may be generators, read once, in step.

        A text is one string (one field), or one string per field of ``fields``: the weights are then BM25F
        (each field's term frequency normalised by its own length, weighted, summed before saturation).
        Term counts go to compact typed buffers (a few bytes per distinct term of a field), not Python
        lists, so a million chunks build in a few GiB at most.
        """
        vocabulary: dict[str, int] = {}
        columns, counts, origins, entries, id_buffer = array("i"), array("I"), array("B"), array("I"), array("q")
        lengths = [array("I") for _ in fields]
        for id_, text in zip(ids, texts, strict=True):
            parts = (text,) if isinstance(text, str) else text
            if len(parts) != len(fields):
                raise ValueError(f"{len(parts)} champs reçus pour {len(fields)} attendus")
            id_buffer.append(id_)
            total = 0
            for number, part in enumerate(parts):
                tf = Counter(analyze(part)) if part else Counter()
                lengths[number].append(tf.total())
                columns.extend(vocabulary.setdefault(term, len(vocabulary)) for term in tf)
                counts.extend(tf.values())
                if len(fields) > 1:
                    origins.extend(number for _ in range(len(tf)))
                total += len(tf)
            entries.append(total)
        n_docs = len(id_buffer)
        rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.frombuffer(entries, dtype=np.uint32))
        field_of = np.frombuffer(origins, dtype=np.uint8)
        frequency = np.frombuffer(counts, dtype=np.uint32).astype(np.float32)
        for number, spec in enumerate(fields):
            field_lengths = np.frombuffer(lengths[number], dtype=np.uint32).astype(np.float32)
            average = float(field_lengths[field_lengths > 0].mean()) if field_lengths.any() else 1.0
            norm = (1 - spec.b + spec.b * field_lengths / average) / spec.weight
            if len(fields) == 1:
                frequency /= norm[rows]
            else:
                mine = field_of == number
                frequency[mine] /= norm[rows[mine]]
        del rows, field_of
        indptr = np.concatenate([[0], np.cumsum(np.frombuffer(entries, dtype=np.uint32), dtype=np.int64)])
        weights = sparse.csr_matrix((frequency, np.frombuffer(columns, dtype=np.int32), indptr),
                                    shape=(n_docs, len(vocabulary)))
        if len(fields) > 1:
            weights.sum_duplicates()  # a term found in several fields of a text: one weight
        df = np.bincount(weights.indices, minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        weights.data = (weights.data * (k1 + 1) / (weights.data + k1) * idf[weights.indices]).astype(np.float32)
        weights = weights.tocsc()
        weights.sort_indices()
        return cls(weights, vocabulary, np.frombuffer(id_buffer, dtype=np.int64).copy())

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed chunk for ``query`` (zeros when no term matches)."""
        scores = np.zeros(len(self.ids), dtype=np.float32)
        indptr, rows, data = self.weights.indptr, self.weights.indices, self.weights.data
        for column in sorted({self.vocabulary[t] for t in self.query_terms(query) if t in self.vocabulary}):
            start, end = indptr[column], indptr[column + 1]
            scores[rows[start:end]] += data[start:end]  # rows are distinct within a column: no lost update
        return scores

    def memory_bytes(self) -> int:
        """RAM held by the weights, ids and idf arrays (the vocabulary dict not counted)."""
        arrays = (self.weights.data, self.weights.indices, self.weights.indptr, self.ids, self._idf)
        return int(sum(a.nbytes for a in arrays))

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) with a positive score; ``allowed`` restricts to those ids."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(np.isin(self.ids, allowed), scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        order = positive[np.argsort(-scores[positive], kind="stable")]
        return scores[order], self.ids[order]

    def save(self, directory: Path) -> None:
        sparse.save_npz(Path(directory) / self.FILES[0], self.weights, compressed=False)
        payload = {"vocabulary": self.vocabulary, "ids": self.ids.tolist()}
        (Path(directory) / self.FILES[1]).write_text(json.dumps(payload), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        weights = sparse.load_npz(Path(directory) / cls.FILES[0]).tocsc()
        payload = json.loads((Path(directory) / cls.FILES[1]).read_text(encoding="utf-8"))
        return cls(weights, payload["vocabulary"], np.asarray(payload["ids"], dtype=np.int64))
