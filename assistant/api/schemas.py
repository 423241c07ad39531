"""The API's JSON contract, in one place: the widget, the bot and the tests use these field names."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SearchMode = Literal["dense", "lexical", "hybrid"]
DocumentType = Literal["guide", "faq"]
MAX_QUERY_CHARS = 1000


class SearchRequest(BaseModel):
    """A search, as JSON body (``POST /search``) or query string (``GET /search``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"q": "Comment créer un laboratoire d'innovation ?", "k": 5, "mode": "hybrid", "type": ["guide"]}]})

    q: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS, description="La question ou les mots cherchés",
                   examples=["Quand a lieu le Mois de l'innovation publique ?"])
    k: int = Field(10, ge=1, le=50, description="Nombre de documents renvoyés (1 à 50)")
    mode: SearchMode | None = Field(None, description="dense, lexical ou hybrid (défaut : réglage du serveur, hybrid)")
    type: list[DocumentType] = Field(default_factory=list, description="Types de documents gardés (guide, faq)")
    tag: list[str] = Field(default_factory=list, description="Étiquettes : un document portant l'une d'elles est gardé")
    folder: str | None = Field(None, max_length=300, description="Dossier du corpus, par exemple « faq »")

    @field_validator("q")
    @classmethod
    def question_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("blank")
        return value


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
    status: Literal["ok", "starting"]
    ready: bool
    model: str
    model_fingerprint: str
    documents: int
    chunks: int
    built_at: str = Field(description="Date de construction de l'index (ISO 8601, UTC)")
    index_path: str
    vector_index: str = Field(description="flat (exact) ou hnsw (approché)")


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str = Field(examples=["La question est vide : saisissez au moins un mot."])
    errors: list[FieldError] = Field(default_factory=list)
