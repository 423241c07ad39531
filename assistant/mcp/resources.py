"""Resources (the index's documents, listed page by page, each readable by its URI) and the ``citer_les_sources`` prompt."""

from __future__ import annotations

from urllib.parse import quote

from anyio import to_thread
from mcp.server.mcpserver import Context
from mcp_types import ListResourcesResult, Resource

from .calls import Call, current_call
from .tools import MAX_DOCUMENT_CHARS, read_document

DOCUMENT_URI = "eclaireur://documents/{+document_id}"
DOCUMENT_PREFIX = "eclaireur://documents/"
PAGE_SIZE = 100


def document_uri(document_id: str) -> str:
    return DOCUMENT_PREFIX + quote(document_id, safe="/")


async def document(document_id: str, ctx: Context) -> str:
    """The document as JSON: metadata and the start of its text (the tool lire_document reads the rest)."""
    return (await read_document(current_call(ctx), document_id)).model_dump_json()


async def catalogue_page(call: Call, cursor: str | None) -> ListResourcesResult:
    """``PAGE_SIZE`` documents from ``cursor`` (an offset written as text), sorted by identifier."""
    offset = int(cursor) if cursor and cursor.isdigit() else 0
    rows, total = await to_thread.run_sync(call.service.documents, offset, PAGE_SIZE)
    resources = [Resource(uri=document_uri(document_id), name=document_id, title=title, mime_type="application/json",
                          description=f"{'FAQ' if kind == 'faq' else 'Guide'} : {title}")
                 for document_id, title, kind in rows]
    following = offset + len(rows)
    return ListResourcesResult(resources=resources, next_cursor=str(following) if following < total else None)


def citer_les_sources(question: str = "") -> str:
    """How a model should use the tools and cite what it draws from them."""
    asked = f"\n\nLa question de l'agent : {question.strip()}" if question.strip() else ""
    return (
        "Tu réponds à un agent public en français, à partir du seul corpus Éclaireur (guides et FAQ de l'innovation "
        "publique). Marche à suivre :\n"
        "1. Appelle d'abord l'outil repondre avec la question telle quelle. Pour une question de suivi, repasse le "
        "conversation_id reçu.\n"
        "2. Si status vaut « answered », reprends la réponse et garde ses renvois [1], [2] : chaque renvoi renvoie à une "
        "citation (titre, adresse). Termine par la liste des sources : « [n] Titre — adresse ».\n"
        "3. Si status vaut « no_answer », dis clairement que le corpus ne répond pas, sans rien inventer, et propose les "
        "documents de related, ou cherche avec l'outil rechercher (mots-clés, filtres type et tag).\n"
        f"4. Pour vérifier un passage ou aller plus loin, lis le document avec lire_document ({MAX_DOCUMENT_CHARS} "
        "caractères par appel, next_offset pour la suite).\n"
        "N'affirme rien qui ne soit dans un passage cité ; donne toujours l'adresse des sources utilisées ; une confiance "
        "faible (sous 0,5) appelle à vérifier la source." + asked
    )
