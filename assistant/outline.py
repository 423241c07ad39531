"""A how-to question about what a guide is about gets the guide's steps, or the section that its action names.

« Comment lancer une expérimentation dans mon administration ? », « Quelles sont les étapes d'un atelier de
co-conception ? » ask for a procedure, and a guide titled « Conduire une expérimentation dans une administration »
answers them with its sections, in order. No single sentence of it does: the reader, which looks for the sentence
that states what was asked, finds none and abstains. A guide answers when the question names what its title names:
every term of the question other than the procedure's words is in the title, the question states the title's head
(half of it, IDF-weighted), and the guide is a procedure: its sections are numbered steps, or most of them say what
to do (« Définir l'objectif de l'atelier »). When the question's action names one of the guide's sections (« Comment
évaluer une expérimentation ? » and « Étape 7 : évaluer »), that section answers, and the subject of the question may
be in its heading: the section's own steps when it has some, else its opening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.chunkstore import StoredChunk
from index.lexical import analyze, fold_accents
from index.snapshot import IndexSnapshot

from .reader import Reading

# An infinitive, told from the nouns that share its endings (« Atelier », « Structure », « Glossaire »): « définir »,
# « répondre », « construire », « mettre en place ».
VERB = (r"(?:mettre\s+en\s+(?:place|œuvre|oeuvre)|[^\W\d_]+(?:[^i\W]er|ifier|[^o\W]ir|voir|ettre|aître|aitre|ndre|uire"
        r"|crire|clure|uivre|traire)|publier|associer|étudier|négocier|confier|relier|trier|lier|faire|dire|lire|vivre"
        r"|être|avoir)")
# « comment (bien) lancer… », « comment faire pour organiser… »: the infinitive is the action asked.
HOW_TO = re.compile(rf"^\s*(?:et\s+)?comment\s+(?:bien\s+)?(?:faire\s+pour\s+|s['’]y\s+prendre\s+pour\s+)?({VERB})\b",
                    re.IGNORECASE)
# A heading or a title that says what to do opens on one (« Définir l'objectif », « Se former »).
INFINITIVE = re.compile(rf"^\s*(?:se\s+|s['’]|bien\s+|ne\s+pas\s+)?({VERB})\b", re.IGNORECASE)
GENERIC_ACTIONS = frozenset(analyze("faire"))  # « comment faire un test ? »: the test is the subject
# « quelles sont les étapes… », « la marche à suivre pour… », « par où commencer pour… »
STEPS = re.compile(r"\b(?:(?:quelles?\s+sont\s+)?(?:les\s+)?(?:grandes\s+|principales\s+)?(?:étapes|etapes)"
                   r"|(?:la\s+)?(?:marche|démarche|demarche)\s+à\s+suivre|par\s+où\s+commencer)\b", re.IGNORECASE)
NUMBERED = re.compile(r"^\s*(?:(?:étape|etape|phase)\s*\d+|\d+)\s*[:.)–—-]\s*", re.IGNORECASE)
# Sections that close a guide rather than take a step in it.
BACK_MATTER = re.compile(r"^(?:questions?\s+frequentes|faq|pour\s+aller\s+plus\s+loin|en\s+savoir\s+plus|ressources"
                         r"|sources|references|bibliographie|liens\s+utiles|contacts?|glossaire|annexes?|credits"
                         r"|a\s+retenir|en\s+resume|notes)\b")
TITLE_HEAD = re.compile(r"\s*[:|–—]\s+|\s+-\s+")  # where a title's subtitle starts


@dataclass(frozen=True)
class OutlineConfig:
    min_title_share: float = 0.5  # IDF-weighted share of the title's head that the question must state
    min_steps: int = 3
    max_steps: int = 12
    max_document_rank: int = 1  # the guide must be among the best two documents retrieved
    max_passages: int = 2_000  # passages of a guide read for its headings (a long PDF's first ones)


@dataclass(frozen=True)
class Procedure:
    """What makes a question ask for a procedure: its terms (« lanc » in « comment lancer… », « etap » in « quelles
    sont les étapes… »), which do not name its subject, and among them the action asked (« lanc »), if any."""

    terms: frozenset[str]
    action: frozenset[str]


@dataclass(frozen=True)
class GuidePart:
    """The part of a guide that a how-to question asks for: the whole guide or one of its sections (``path``, its
    heading path), with its steps when it has some (none: the section is to be read), and how closely the question
    names the guide (0 to 1)."""

    document_id: str
    path: tuple[str, ...]  # the guide's title, then the headings down to the section asked, if any
    steps: tuple[str, ...]
    numbered: bool  # the guide numbers the steps (« Étape 1 : … »)
    first_chunk: StoredChunk  # the passage that opens the part, cited
    closeness: float

    def holds(self, chunk: StoredChunk) -> bool:
        """Whether ``chunk`` belongs to this part."""
        return chunk.document_id == self.document_id and chunk.heading_path[:len(self.path)] == self.path

    @property
    def text(self) -> str:
        """The steps, one per line (the widget and the bot show the lines as they are)."""
        items = " ;\n".join(f"{number}. {step}" for number, step in enumerate(self.steps, start=1))
        extent = ("procède en {} étapes" if self.numbered else "se découpe en {} parties").format(len(self.steps))
        opening = f"Le guide « {self.path[0]} »" if len(self.path) == 1 else \
            f"La partie « {_unnumbered(self.path[-1])} » du guide « {self.path[0]} »"
        return f"{opening} {extent} :\n{items}."


def procedure_of(question: str) -> Procedure | None:
    """How ``question`` asks for a procedure, or None when it does not (« Comment notre lab… » has no infinitive)."""
    how_to, steps = HOW_TO.search(question), STEPS.search(question)
    if how_to is not None and not analyze(how_to.group(1)):
        how_to = None
    if how_to is None and steps is None:
        return None
    action = frozenset(analyze(how_to.group(1))) - GENERIC_ACTIONS if how_to else frozenset()
    words = " ".join(match.group(0) for match in (how_to, steps) if match)
    return Procedure(frozenset(analyze(words)), action)


def guide_part(question: str, reading: Reading, snapshot: IndexSnapshot,
               config: OutlineConfig = OutlineConfig()) -> GuidePart | None:
    """The part of a guide that ``question``, a how-to question, asks for, or None. Only the documents that retrieval
    ranked first are considered; the reader's ``reading`` gives them and the question's terms."""
    procedure = procedure_of(question)
    if procedure is None:
        return None
    topic = {term for term in reading.terms.weights if term not in procedure.terms}
    if not topic:
        return None
    for document_id in _best_documents(reading, config.max_document_rank):
        chunks = sorted(snapshot.chunks.chunks_of(document_id, config.max_passages), key=lambda c: c.ordinal)
        if not chunks or not chunks[0].heading_path:
            continue
        title = chunks[0].heading_path[0]
        path = _named_path(procedure.action, chunks, title)
        if not topic <= reading.terms.met_by(set(analyze(" ".join(path)))):
            continue
        closeness = round(_title_share(title, reading, snapshot), 4)
        if closeness < config.min_title_share:
            continue
        inside = [chunk for chunk in chunks if chunk.heading_path[:len(path)] == path]
        steps, numbered = _steps(_headings(inside, len(path)))
        if not config.min_steps <= len(steps) <= config.max_steps:
            if len(path) == 1:
                continue
            steps, numbered = [], False
        return GuidePart(document_id, path, tuple(steps), numbered, inside[0], closeness)
    return None


def _best_documents(reading: Reading, max_rank: int) -> list[str]:
    ranked: dict[str, int] = {}
    for span in reading.spans:
        if span.rank <= max_rank:
            ranked.setdefault(span.chunk.document_id, span.rank)
    return sorted(ranked, key=ranked.get)


def _title_share(title: str, reading: Reading, snapshot: IndexSnapshot) -> float:
    """IDF-weighted share of the title's head (before any subtitle, without a leading verb: « Créer un laboratoire
    d'innovation : le guide pas à pas » → « laboratoire d'innovation ») that the question states."""
    head = TITLE_HEAD.split(title, maxsplit=1)[0]
    head = INFINITIVE.sub("", head, count=1)
    idf = {term: snapshot.lexical.idf(term) for term in set(analyze(head))}
    total = sum(idf.values())
    return sum(weight for term, weight in idf.items() if reading.terms.met_by({term})) / total if total else 0.0


def _headings(chunks: list[StoredChunk], level: int) -> list[str]:
    """The distinct headings at ``level`` of the heading path (1: the sections under the title), in reading order."""
    headings: list[str] = []
    for chunk in chunks:
        if len(chunk.heading_path) > level and chunk.heading_path[level] not in headings:
            headings.append(chunk.heading_path[level])
    return headings


def _named_path(action: frozenset[str], chunks: list[StoredChunk], title: str) -> tuple[str, ...]:
    """The heading path of the section that the question's action names rather than the guide, the shallowest first
    (« évaluer » in « comment évaluer une expérimentation ? » names « Étape 7 : évaluer », « recruter » in « comment
    recruter des usagers pour un atelier ? » names « Recruter des usagers »); the guide's title alone when none does.
    The verb that opens the title is the guide's own action (« Animer un atelier de co-conception », whatever its
    section « Animer l'atelier »)."""
    leading = INFINITIVE.match(title)
    own = action - (set(analyze(leading.group(1))) if leading else set())
    if own:
        for level in range(1, max(len(chunk.heading_path) for chunk in chunks)):
            for chunk in chunks:
                if len(chunk.heading_path) > level and own <= set(analyze(chunk.heading_path[level])):
                    return chunk.heading_path[:level + 1]
    return (title,)


def _steps(headings: list[str]) -> tuple[list[str], bool]:
    """The headings that take a step, without their numbers, and whether they were numbered: the numbered ones when
    the guide numbers its steps, else all but the back matter (questions fréquentes, ressources…) and the questions
    (« Qu'est-ce que la pseudonymisation ? » explains, it is not a step), provided most of them say what to do
    (« Définir l'objectif de l'atelier », « Choisir le format »). Headings that name topics (« Avantages », « Exemples
    de référentiels ») make no procedure: none then."""
    kept = [h for h in headings if not BACK_MATTER.match(fold_accents(h.lower())) and not h.rstrip().endswith("?")]
    numbered = [h for h in kept if NUMBERED.match(h)]
    if len(numbered) >= 2:
        return [_unnumbered(step) for step in numbered], True
    if 2 * sum(1 for h in kept if INFINITIVE.match(h)) < len(kept):
        return [], False
    return kept, False


def _unnumbered(heading: str) -> str:
    return NUMBERED.sub("", heading).strip()
