"""The API's JSON contract, in one place: the widget, the bot and the tests use these field names."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

SearchMode = Literal["dense", "lexical", "hybrid"]
DocumentType = Literal["guide", "faq"]
MAX_QUERY_CHARS = 1000


SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _valid_unicode(value: str) -> str:
    """JSON may carry lone UTF-16 surrogates (``"\\ud800"``): no UTF-8 text holds them, so they are refused."""
    if SURROGATE.search(value):
        raise PydanticCustomError("unicode_invalide", "demi-paire de substitution UTF-16 isolée")
    return value


def _clean_question(value: str) -> str:
    """Control characters (NUL, terminal escapes…) become spaces; bidirectional overrides, which can disguise text
    on screen, go; what remains must hold a word."""
    value = BIDI_CONTROL.sub("", CONTROL.sub(" ", _valid_unicode(value))).strip()
    if not value:
        raise ValueError("blank")
    return value


def _true_or_false(value: object) -> object:
    """JSON ``true``/``false``, or these words in a query string; never ``0``, ``1`` or ``"oui"``, which pydantic's
    lax mode would take although the schema (a boolean) does not allow them."""
    if isinstance(value, bool) or value in ("true", "false"):
        return value
    raise PydanticCustomError("booleen", "true ou false attendu")


Flag = Annotated[bool, BeforeValidator(_true_or_false)]


def _not_a_boolean(value: object) -> object:
    """A number (or its digits in a query string); never JSON ``true``/``false``, which pydantic's lax mode would take
    as 1 and 0 although the schema (an integer) does not allow them."""
    if isinstance(value, bool):
        raise PydanticCustomError("entier", "nombre entier attendu")
    return value


Count = Annotated[int, BeforeValidator(_not_a_boolean)]


def _iso_day(value: object) -> object:
    """A day written AAAA-MM-JJ; never a number, which pydantic's lax mode would read as seconds since 1970."""
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        return value
    raise PydanticCustomError("jour", "jour attendu au format AAAA-MM-JJ")


Day = Annotated[date, BeforeValidator(_iso_day)]
# Free text other than questions (tags, folders, identifiers, comments): any valid Unicode.
Text = Annotated[str, AfterValidator(_valid_unicode)]
# What ``_clean_question`` leaves nothing of: control characters, bidirectional controls and (Unicode) spaces. The
# schema requires one character outside this set, so that it accepts exactly what the server accepts (schemathesis
# and other clients generating from the schema agree with the 422 « La question est vide »).
BLANK_CHARACTERS = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000"
VISIBLE_CHARACTER = f"[^{BLANK_CHARACTERS}]"
# A question or query: 1 to 1,000 characters, surrounding spaces and control characters removed, never empty.
QuestionText = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, json_schema_extra={"pattern": VISIBLE_CHARACTER}),
                         AfterValidator(_clean_question)]


class SearchRequest(BaseModel):
    """A search, as JSON body (``POST /search``) or query string (``GET /search``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"q": "Comment créer un laboratoire d'innovation ?", "k": 5, "mode": "hybrid", "type": ["guide"]}]})

    q: QuestionText = Field(..., description="La question ou les mots cherchés",
                            examples=["Quand a lieu le Mois de l'innovation publique ?"])
    k: Count = Field(10, ge=1, le=50, description="Nombre de documents renvoyés (1 à 50)")
    mode: SearchMode | None = Field(None, description="dense, lexical ou hybrid (défaut : réglage du serveur, hybrid)")
    type: list[DocumentType] = Field(default_factory=list, description="Types de documents gardés (guide, faq)")
    tag: list[Text] = Field(default_factory=list, description="Étiquettes : un document portant l'une d'elles est gardé")
    folder: Text | None = Field(None, max_length=300, description="Dossier du corpus, par exemple « faq »")
    rerank: Flag = Field(False, description="Reclasser les premiers documents par le reclasseur configuré (plus lent)")


class Passage(BaseModel):
    chunk_id: str = Field(examples=["guides/laboratoires-d-innovation-publique.md#3"])
    heading_path: str = Field(examples=["Les laboratoires d'innovation publique > Les méthodes"])
    snippet: str = Field(description="Extrait HTML, termes de la requête entre <mark>")
    score: float
    page: int | None = Field(None, description="Page du PDF d'origine, quand il y en a une")


class SearchResult(BaseModel):
    document_id: str = Field(description="Chemin du document relatif à la racine du corpus",
                             examples=["guides/laboratoires-d-innovation-publique.md"])
    title: str
    type: str = Field(examples=["guide"])
    tags: list[str]
    url: str = Field(description="Adresse du document (sa page d'origine, sinon /documents/{id})")
    score: float
    heading_path: str
    snippet: str
    chunk_id: str
    page: int | None = None
    passages: list[Passage] = Field(description="Les passages du document qui répondent, le meilleur en premier")


class SearchResponse(BaseModel):
    query: str
    mode: SearchMode
    results: list[SearchResult]
    took_ms: float = Field(description="Temps de calcul côté serveur, en millisecondes")
    reranked: bool = Field(False, description="Vrai quand le reclasseur a ordonné les premiers documents")
    rerank_fallback: str | None = Field(None, description="Pourquoi le reclassement demandé n'a pas eu lieu (ordre local gardé)")


class DocumentResponse(BaseModel):
    document_id: str
    title: str
    type: str
    tags: list[str]
    url: str
    folder: str
    metadata: dict
    text: str
    chunks: int


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "starting"] = Field(
        description="ok ; degraded : le service répond mais avec un défaut (voir warnings) ; starting : pas encore prêt")
    ready: bool
    model: str
    model_fingerprint: str
    documents: int
    chunks: int
    built_at: str = Field(description="Date de construction de l'index (ISO 8601, UTC)")
    build: str = Field(description="Identifiant de la construction de l'index en service (jamais un chemin)")
    build_id: str = Field("", description="Le même identifiant, sous le nom qu'attendent les outils de déploiement : "
                                          "toutes les répliques d'une flotte affichent le même quelques secondes après "
                                          "une reconstruction")
    vector_index: str = Field(description="flat (exact) ou hnsw (approché)")
    encoder: str = Field("", description="Moteur d'encodage des requêtes : onnx, onnx-int8 ou torch (vide au démarrage)")
    warnings: list[str] = Field(default_factory=list, description="Défauts en cours, en français (ex. index endommagé "
                                                                  "remplacé par le précédent)")
    database: str = Field("", description="Base de suivi : ok, ou unavailable (la recherche et les réponses continuent, "
                                          "sans enregistrement) ; vide au démarrage")


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str = Field(examples=["La question est vide : saisissez au moins un mot."])
    errors: list[FieldError] = Field(default_factory=list)


class AskFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: list[DocumentType] = Field(default_factory=list)
    tag: list[Text] = Field(default_factory=list, max_length=20)
    folder: Text | None = Field(None, max_length=300)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "Quand a lieu le Mois de l'innovation publique ?", "conversation_id": None, "filters": None},
                     {"question": "et pour une collectivité ?", "conversation_id": "3f2b9c0e5d8a4f6e9b1c2d3e4f5a6b7c"}]})

    question: QuestionText = Field(..., description="La question, en langage naturel")
    conversation_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                        description="Pour une question de suivi : l'identifiant renvoyé par la réponse précédente")
    filters: AskFilters | None = None


class CitationOut(BaseModel):
    number: int = Field(description="Le numéro du renvoi [n] dans la réponse")
    title: str
    heading_path: str
    url: str
    document_id: str
    chunk_id: str
    page: int | None = None
    quote: str = Field(description="Le passage cité")


class RelatedDocument(BaseModel):
    document_id: str
    title: str
    type: str
    url: str
    heading_path: str
    score: float
    snippet: str = Field("", description="Extrait de son passage le plus proche de la question, à partir de la phrase "
                                         "la plus susceptible d'y répondre : texte échappé pour HTML, termes de la question "
                                         "entre <mark>")


class AskResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "answer": "Le Mois de l'innovation publique se tient chaque année en novembre [1].",
        "status": "answered", "confidence": 0.83, "method": "faq",
        "citations": [{"number": 1, "title": "FAQ — Le Mois de l'innovation publique",
                       "heading_path": "FAQ — Le Mois de l'innovation publique > Quand a lieu le Mois de l'innovation publique ?",
                       "url": "/documents/faq/faq-mois-de-l-innovation-publique.md",
                       "document_id": "faq/faq-mois-de-l-innovation-publique.md",
                       "chunk_id": "faq/faq-mois-de-l-innovation-publique.md#0", "page": None,
                       "quote": "Le Mois de l'innovation publique se tient chaque année en novembre."}],
        "related": [], "answer_id": "9c1d…", "conversation_id": "3f2b…", "fallback_reason": None,
        "timings": {"retrieval_ms": 35.2, "answer_ms": 60.1, "total_ms": 95.3}}]})

    answer: str = Field(description="La réponse en français, avec des renvois numérotés [1], [2]")
    status: Literal["answered", "no_answer"]
    confidence: float = Field(ge=0, le=1)
    method: Literal["faq", "extractive", "generative", "none"] = Field(
        description="faq : réponse d'une FAQ ; extractive : phrases des documents ; generative : modèle de langue ; none : pas de réponse")
    citations: list[CitationOut]
    related: list[RelatedDocument] = Field(description="Jusqu'à 5 autres documents utiles")
    answer_id: str = Field(description="À renvoyer à /feedback")
    conversation_id: str = Field(description="À renvoyer avec la question suivante pour garder le contexte")
    fallback_reason: str | None = Field(None, description="Pourquoi la réponse générée a été remplacée par une réponse extractive")
    rerank_fallback: str | None = Field(None, description="Pourquoi le reclasseur configuré n'a pas servi (ordre local gardé)")
    timings: dict[str, float]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"answer_id": "9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "useful": False, "comment": "La date n'est pas la bonne."}]})

    answer_id: Text = Field(..., min_length=1, max_length=64)
    useful: Flag
    comment: Text | None = Field(None, max_length=1000)


class FeedbackResponse(BaseModel):
    recorded: bool = True


class SourceOut(BaseModel):
    document_id: str
    title: str


class ReviewOut(BaseModel):
    state: Literal["traite", "a_ecrire", "hors_sujet"] = Field(description="traite : contenu écrit ; a_ecrire : à écrire ; "
                                                                           "hors_sujet : ignoré désormais")
    reviewer: str = Field(description="Nom de la clé d'administration qui a décidé")
    reviewed_at: str


class GapOut(BaseModel):
    question: str
    count: int
    last_asked: str
    reasons: dict[str, int] = Field(description="no_answer : pas de réponse ; not_useful : réponse jugée inutile")
    examples: list[str]
    first_asked: str = ""
    wordings: list[str] = Field(default_factory=list, description="Formulations du groupe (minuscules) : à renvoyer à "
                                                                  "POST /admin/gaps/review")
    documents: list[SourceOut] = Field(default_factory=list, description="Documents les plus proches ou cités")
    answers: list[str] = Field(default_factory=list, description="Réponses données puis jugées inutiles")
    review: ReviewOut | None = None
    returned: bool = Field(False, description="Marqué « traité », puis de nouveau sans bonne réponse depuis")


class GapReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(..., min_length=1, max_length=1000, description="La formulation principale du groupe")
    # A body always under the 64 Kio limit: the group's most frequent wordings suffice, a review matching any of them.
    wordings: list[Annotated[Text, Field(min_length=1, max_length=400)]] = Field(
        ..., min_length=1, max_length=20, description="Les formulations les plus fréquentes du groupe (champ wordings de GET /admin/gaps)")
    state: Literal["traite", "a_ecrire", "hors_sujet"]


class RatedAnswerOut(BaseModel):
    answer_id: str
    created_at: str
    rated_at: str
    channel: str
    useful: bool
    comment: str | None
    question: str | None = Field(description="Absente quand ECLAIREUR_RECORD_QUESTION_TEXT=false")
    status: str
    answer: str | None
    sources: list[SourceOut]


class RatedAnswersResponse(BaseModel):
    answers: list[RatedAnswerOut]


class GapsResponse(BaseModel):
    days: int
    gaps: list[GapOut]


class StatsResponse(BaseModel):
    days: int
    questions: int
    per_day: list[dict]
    answer_rate: float
    feedback_count: int
    useful_rate: float | None
    top_questions: list[dict]
    latency_ms: dict[str, float]


class ReindexStatus(BaseModel):
    state: Literal["idle", "running", "done", "failed"]
    started_at: str | None = None
    finished_at: str | None = None
    files_done: int = 0
    files_total: int = 0
    report: dict | None = None
    error: str | None = None


class FolderCountOut(BaseModel):
    folder: str = Field(description="Premier dossier du chemin du document, « (racine) » à la racine du corpus")
    type: str
    documents: int


class CorpusResponse(BaseModel):
    documents: int
    passages: int
    built_at: str = Field(description="Date de la dernière construction (ISO 8601, UTC)")
    build_seconds: float
    vector_index: str = Field(description="Type d'index de vecteurs : exact (flat) ou approché (ivf, hnsw)")
    model: str
    folders: list[FolderCountOut]
    skipped: dict[str, str] = Field(description="Fichiers écartés et leur raison")


class PrivacyResponse(BaseModel):
    record_question_text: bool = Field(description="false : le texte des questions n'est pas gardé, pas même dans les tours "
                                                   "d'une conversation (ECLAIREUR_RECORD_QUESTION_TEXT)")
    question_retention_days: int = Field(description="Questions, réponses et avis plus anciens effacés chaque jour "
                                                     "(ECLAIREUR_QUESTION_RETENTION_DAYS)")
