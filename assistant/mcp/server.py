"""The MCP server: its tools, resources and prompt, and the checks that answer bad requests in French."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND
from pydantic import ValidationError

from ..api.errors import french_message, shown
from .calls import call_for
from .resources import DOCUMENT_PREFIX, DOCUMENT_URI, catalogue_page, citer_les_sources, document
from .tools import TOOLS

INSTRUCTIONS = ("Éclaireur répond aux questions des agents publics sur l'innovation publique à partir d'un corpus de guides "
                "et de FAQ. Utilisez repondre pour une réponse citée, rechercher pour trouver des documents, lire_document "
                "pour lire une source ; citez toujours les adresses des sources. Le prompt citer_les_sources détaille "
                "la marche à suivre.")
PROMPT = "citer_les_sources"
TOOL_NAMES = {tool.name: tool for tool in TOOLS}
MESSAGES = {
    "conversation_id": "Identifiant de conversation invalide : renvoyez tel quel le conversation_id reçu de repondre.",
    "document_id": "Identifiant de document invalide : 1 à 1 000 caractères, tel que renvoyé par rechercher ou repondre.",
    "offset": "La position offset doit être un entier positif ou nul.",
}


def build_server() -> MCPServer:
    with logging_left_alone():
        server = MCPServer("eclaireur", title="Éclaireur", version="0.1.0", instructions=INSTRUCTIONS, tools=list(TOOLS),
                           middleware=[french_requests])
    server.resource(DOCUMENT_URI, name="document", title="Document du corpus", mime_type="application/json",
                    description="Un document du corpus par son identifiant : métadonnées et début du texte (JSON)")(document)
    server.add_prompt(Prompt.from_function(citer_les_sources, name=PROMPT, title="Répondre en citant les sources",
                                           description="Consignes pour répondre à un agent public avec les outils "
                                                       "d'Éclaireur, en citant chaque source"))
    return server


@contextmanager
def logging_left_alone() -> Iterator[None]:
    """The SDK's server configures the root logger (``logging.basicConfig`` with its own handler) when created: the
    application that embeds it, not a library, decides where logs go. basicConfig does nothing to a configured root."""
    root, placeholder = logging.getLogger(), logging.NullHandler()
    root.addHandler(placeholder)
    try:
        yield
    finally:
        root.removeHandler(placeholder)


async def french_requests(ctx, call_next):
    """Server middleware: bad tool calls, unknown resources and prompts get French MCP errors before the SDK's own
    (English) ones; ``resources/list`` pages through the index's documents."""
    params = ctx.params or {}
    if ctx.method == "tools/call":
        check_tool_call(params.get("name"), params.get("arguments"))
    elif ctx.method == "resources/list":
        return await catalogue_page(call_for(ctx.request), params.get("cursor"))
    elif ctx.method == "resources/read" and not str(params.get("uri", "")).startswith(DOCUMENT_PREFIX):
        raise MCPError(INVALID_PARAMS, f"Ressource « {shown(params.get('uri'))} » inconnue : les documents s'ouvrent "
                                       f"par {DOCUMENT_PREFIX}<document_id>.")
    elif ctx.method == "prompts/get" and params.get("name") != PROMPT:
        raise MCPError(INVALID_PARAMS, f"Prompt « {shown(params.get('name'))} » inconnu : le seul prompt est {PROMPT}.")
    try:
        return await call_next(ctx)
    except MCPError as error:
        if error.code != METHOD_NOT_FOUND:
            raise
        raise MCPError(METHOD_NOT_FOUND, f"Méthode « {shown(ctx.method)} » inconnue de ce serveur MCP : il offre des outils "
                                         "(tools/…), des ressources (resources/…) et un prompt (prompts/…).") from None


def check_tool_call(name: object, arguments: object) -> None:
    tool = TOOL_NAMES.get(name) if isinstance(name, str) else None
    if tool is None:
        raise MCPError(INVALID_PARAMS, f"Outil « {shown(name)} » inconnu : les outils sont {', '.join(TOOL_NAMES)}.")
    arguments = {} if arguments is None else arguments
    if not isinstance(arguments, dict):
        raise MCPError(INVALID_PARAMS, f"Les arguments de {tool.name} doivent former un objet JSON.")
    accepted = tool.parameters.get("properties", {})
    unknown = [key for key in arguments if key not in accepted]
    if unknown:
        raise MCPError(INVALID_PARAMS, f"Argument « {shown(unknown[0])} » inconnu pour {tool.name} : "
                                       f"les arguments acceptés sont {', '.join(accepted)}.")
    try:
        tool.fn_metadata.validate_arguments(arguments)
    except ValidationError as invalid:
        raise MCPError(INVALID_PARAMS, arguments_error(invalid), {"tool": tool.name}) from None


def arguments_error(invalid: ValidationError) -> str:
    messages = []
    for error in invalid.errors():
        field = next((str(part) for part in error.get("loc", ()) if not isinstance(part, int)), "arguments")
        messages.append(MESSAGES.get(field) or french_message(field, error))
    return " ".join(dict.fromkeys(messages))
