"""The three tools: ``rechercher`` (ranked passages), ``repondre`` (a cited answer) and ``lire_document`` (a document).

Each validates its arguments with the REST API's own types and bounds, calls the same service functions as the REST
routers, and returns their Pydantic models: MCP clients get the JSON (``structuredContent``) and its schema.
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from ..api.routers import ask, documents, search
from ..api.schemas import AskRequest, AskResponse, DocumentResponse, DocumentType, QuestionText, SearchRequest, Text
from ..retrieval import snippet_text
from ..storage import ForeignRecord
from .calls import Call, current_call
from .errors import http_error

MAX_DOCUMENT_CHARS = 20_000  # one tool result stays readable in a model's context; ``offset`` reads the rest
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


class FoundPassage(BaseModel):
    rank: int = Field(description="Rang du document, 1 pour le plus pertinent")
    document_id: str = Field(description="Identifiant du document, à passer à lire_document")
    title: str
    heading_path: str = Field(description="Chemin des titres jusqu'au passage : « Titre > Section »")
    snippet: str = Field(description="Extrait du passage, en texte simple")
    url: str = Field(description="Adresse du document, à citer")
    type: str = Field(description="guide ou faq")
    page: int | None = Field(None, description="Page du PDF d'origine, quand il y en a une")
    score: float


class SearchOutput(BaseModel):
    query: str
    passages: list[FoundPassage]


class DocumentExtract(DocumentResponse):
    """``/documents/{id}``'s answer with a bounded part of the text."""

    text: str = Field(description=f"Le texte du document, {MAX_DOCUMENT_CHARS} caractères au plus à partir de offset")
    offset: int
    total_chars: int
    next_offset: int | None = Field(description="Où reprendre la lecture ; vide quand le texte est lu jusqu'au bout")


async def rechercher(
    question: Annotated[QuestionText, Field(description="La question ou les mots cherchés, en français")],
    ctx: Context,
    k: Annotated[int, Field(ge=1, le=50, description="Nombre de documents (1 à 50)")] = 5,
    type: Annotated[DocumentType | None, Field(description="Ne garder que les guides ou que les FAQ")] = None,
    tag: Annotated[Text | None, Field(max_length=100, description="Ne garder que les documents portant cette étiquette")] = None,
) -> SearchOutput:
    call = current_call(ctx)
    request = SearchRequest(q=question, k=k, type=[type] if type else [], tag=[tag] if tag else [])
    async with call.model_work():
        found = await to_thread.run_sync(search.run_search, request, call.service, call.state.links)
    return SearchOutput(query=found.query, passages=[
        FoundPassage(rank=rank, document_id=r.document_id, title=r.title, heading_path=r.heading_path,
                     snippet=snippet_text(r.snippet), url=call.absolute(r.url), type=r.type, page=r.page,
                     score=r.score)
        for rank, r in enumerate(found.results, start=1)])


async def repondre(
    question: Annotated[QuestionText, Field(description="La question, en langage naturel, en français")],
    ctx: Context,
    conversation_id: Annotated[str | None, Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description=(
        "Pour une question de suivi : le conversation_id de la réponse précédente"))] = None,
) -> AskResponse:
    call = current_call(ctx)
    call.spend(call.state.settings.ask_cost - 1)  # the /mcp request paid 1 token, a question costs like /ask
    request = AskRequest(question=question, conversation_id=conversation_id)
    try:
        async with call.model_work():
            answer = await to_thread.run_sync(ask.answer, request, call.service, call.caller, "mcp", call.state)
    except ForeignRecord:
        raise http_error(404, ask.foreign_conversation(conversation_id)) from None
    return for_assistants(answer, call)


async def lire_document(
    document_id: Annotated[Text, Field(min_length=1, max_length=1000, description=(
        "L'identifiant du document (document_id renvoyé par rechercher ou repondre)"))],
    ctx: Context,
    offset: Annotated[int, Field(ge=0, description="Position de départ dans le texte, pour lire la suite")] = 0,
) -> DocumentExtract:
    return await read_document(current_call(ctx), document_id, offset)


async def read_document(call: Call, document_id: str, offset: int = 0) -> DocumentExtract:
    """``MAX_DOCUMENT_CHARS`` of a document's text from ``offset``, with its metadata; an MCP error when unknown."""
    document = await to_thread.run_sync(call.service.document, document_id)
    if document is None:
        raise http_error(404, documents.not_found(document_id))
    full = documents.to_response(document, call.state.links)
    end = min(len(full.text), offset + MAX_DOCUMENT_CHARS)
    return DocumentExtract(**full.model_dump(exclude={"text", "url"}), url=call.absolute(full.url),
                           text=full.text[offset:end], offset=offset, total_chars=len(full.text),
                           next_offset=end if end < len(full.text) else None)


def for_assistants(answer: AskResponse, call: Call) -> AskResponse:
    """The answer as an assistant reads it: absolute addresses, and the closest passages' extracts in plain text."""
    for item in (*answer.citations, *answer.related):
        item.url = call.absolute(item.url)
    for item in answer.related:
        item.snippet = snippet_text(item.snippet)
    return answer


TOOLS = [
    Tool.from_function(rechercher, name="rechercher", title="Rechercher dans les guides de l'innovation publique",
                       annotations=READ_ONLY, description=(
        "Cherche dans le corpus Éclaireur (guides et FAQ de l'innovation publique pour les agents publics : laboratoires, "
        "design des services, expérimentation, Mois de l'innovation publique…). Renvoie les documents les plus pertinents, "
        "classés, chacun avec son meilleur passage : titre, chemin des titres, extrait en texte simple et adresse à citer. "
        "À utiliser pour explorer un sujet ou trouver des sources ; pour une réponse rédigée et citée, utilisez repondre.")),
    Tool.from_function(repondre, name="repondre", title="Répondre à une question, avec ses sources", description=(
        "Répond en français à une question sur l'innovation publique à partir du seul corpus Éclaireur : une réponse courte "
        "avec des renvois numérotés [1] vers les passages cités (citations : titre, adresse, extrait), son statut et sa "
        "confiance (0 à 1). status « no_answer » est un résultat normal : le corpus ne contient pas la réponse, les "
        "documents proches sont dans related ; ne l'inventez pas. Pour une question de suivi, repassez le conversation_id "
        "reçu. Chaque question est enregistrée (statistiques, questions sans réponse).")),
    Tool.from_function(lire_document, name="lire_document", title="Lire un document du corpus", annotations=READ_ONLY,
                       description=(
        f"Renvoie le texte d'un document du corpus et ses métadonnées (titre, type, étiquettes, adresse), "
        f"{MAX_DOCUMENT_CHARS} caractères au plus par appel : next_offset dit où reprendre. À utiliser pour vérifier "
        "une citation ou lire un document trouvé par rechercher ou repondre.")),
]
