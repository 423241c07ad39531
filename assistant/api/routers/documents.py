"""``/documents/{id}``: a document's metadata and text."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from index.chunkstore import StoredDocument

from ...service import Eclaireur
from ..dependencies import get_service
from ..document_page import PAGE_HEADERS, render_document_page
from ..errors import PROTECTED, error_responses
from ..links import DocumentLinks, document_access
from ..schemas import DocumentResponse

router = APIRouter(tags=["documents"], responses=error_responses(*PROTECTED))


@router.get("/documents/{document_id:path}", response_model=DocumentResponse,
            responses=error_responses(404) | {200: {"content": {"text/html": {}},
                                                    "description": "JSON, ou page HTML lisible si le client demande text/html"}},
            summary="Lire un document", dependencies=[Depends(document_access)])
def get_document(document_id: str, request: Request, service: Eclaireur = Depends(get_service)):
    """JSON for programs; a readable page for browsers (``Accept: text/html``), where result links open."""
    document = service.document(document_id)
    if document is None:
        raise HTTPException(status_code=404, detail=not_found(document_id))
    if wants_html(request.headers.get("accept", "")):
        return HTMLResponse(render_document_page(document), headers=PAGE_HEADERS)
    return to_response(document, request.app.state.links)


def to_response(document: StoredDocument, links: DocumentLinks) -> DocumentResponse:
    return DocumentResponse(
        document_id=document.document_id, title=document.title, type=document.type, tags=list(document.tags),
        url=links.url(document.url, document.document_id), folder=document.folder,
        metadata=document.metadata, text=document.text, chunks=document.chunk_count,
    )


def not_found(document_id: str) -> str:
    return (f"Document « {document_id} » introuvable dans l'index. "
            "Les identifiants sont les chemins relatifs au corpus, tels que renvoyés par /search.")


def wants_html(accept: str) -> bool:
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]
