"""Errors a person can act on: validation problems explained in French, field by field."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .schemas import MAX_QUERY_CHARS, ErrorResponse, FieldError

FIELD_NAMES = {"q": "la question (q)", "question": "la question", "k": "le nombre de résultats (k)", "mode": "le mode",
               "type": "le type", "tag": "l'étiquette", "folder": "le dossier", "conversation_id": "l'identifiant de conversation",
               "filters": "les filtres", "answer_id": "l'identifiant de réponse", "useful": "l'avis (useful)",
               "comment": "le commentaire"}


def shown(value: object, limit: int = 60) -> str:
    """A received value quoted back in a message: short, and always encodable."""
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= limit else text[:limit] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


def french_message(field: str, error: dict) -> str:
    kind, received = error.get("type", ""), error.get("input")
    if kind in ("unicode_invalide", "string_unicode"):
        return (f"Texte invalide pour {FIELD_NAMES.get(field, field)} : il contient des demi-paires UTF-16 isolées "
                "(\\ud800…), envoyez du texte Unicode valide.")
    if field in ("q", "question"):
        if kind in ("missing", "string_too_short", "value_error"):
            return f"La question est vide : saisissez au moins un mot (champ {field})."
        if kind == "string_too_long":
            limit = f"{MAX_QUERY_CHARS:,}".replace(",", "\u202f")
            return f"La question dépasse {limit} caractères ({len(received or '')} reçus) : raccourcissez-la."
    if field == "k":
        return f"Le nombre de résultats k doit être un entier entre 1 et 50 (reçu : {shown(received)})."
    if field == "mode":
        return f"Mode « {shown(received)} » inconnu : choisissez dense, lexical ou hybrid."
    if field == "type":
        return f"Type « {shown(received)} » inconnu : choisissez guide ou faq."
    if field == "conversation_id":
        return "Identifiant de conversation invalide : renvoyez tel quel le conversation_id reçu de /ask."
    if field == "useful":
        return "L'avis « useful » doit valoir true (réponse utile) ou false."
    if kind == "repeated_parameter":
        return f"Le paramètre « {field} » ne prend qu'une valeur : il est donné {len(received or ())} fois."
    if kind == "extra_forbidden":
        return f"Champ « {field} » inconnu : les champs acceptés sont décrits dans /docs."
    if kind == "missing":
        return f"Champ obligatoire manquant : {FIELD_NAMES.get(field, field)}."
    if kind == "json_invalid":
        return "Le corps de la requête n'est pas un JSON valide."
    if kind == "model_attributes_type" or kind == "dict_type":
        return "Le corps de la requête doit être un objet JSON."
    return f"Valeur invalide pour {FIELD_NAMES.get(field, field)} : {error.get('msg', '')}."


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path")]
        field = next((part for part in location if not part.isdigit()), "corps")
        errors.append(FieldError(field=field, message=french_message(field, error)))
    unique = list({e.message: e for e in errors}.values())
    payload = ErrorResponse(detail=" ".join(e.message for e in unique), errors=unique)
    return JSONResponse(status_code=422, content=payload.model_dump())


def unreadable_body(cause: BaseException) -> JSONResponse:
    """A body FastAPI could not read as JSON text (invalid UTF-8, nesting too deep): a 422 like any invalid JSON."""
    if isinstance(cause, UnicodeDecodeError):
        message = "Le corps de la requête n'est pas du texte UTF-8 valide : envoyez du JSON encodé en UTF-8."
    elif isinstance(cause, RecursionError):
        message = "Le corps de la requête JSON est imbriqué trop profondément : envoyez un objet JSON simple."
    else:
        message = "Le corps de la requête n'est pas un JSON valide."
    payload = ErrorResponse(detail=message, errors=[FieldError(field="corps", message=message)])
    return JSONResponse(status_code=422, content=payload.model_dump())


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Every HTTP error as an ``ErrorResponse`` in French, including the framework's own 400, 404 and 405."""
    cause = exc.__cause__
    while isinstance(cause, BaseExceptionGroup) and len(cause.exceptions) == 1:  # raised under a middleware's task group
        cause = cause.exceptions[0]
    if isinstance(cause, StarletteHTTPException):  # the 413 of a body over the limit, raised while it streamed in
        return await http_error_handler(request, cause)
    if exc.status_code == 400 and cause is not None:  # FastAPI could not parse the body
        return unreadable_body(cause)
    detail, headers = exc.detail, dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"Adresse inconnue : {request.url.path}. Les adresses de l'API sont décrites dans /docs."
    elif exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"Méthode {request.method} non acceptée sur {request.url.path} : utilisez {' ou '.join(allowed)}."
    return JSONResponse(status_code=exc.status_code, content={"detail": detail, "errors": []}, headers=headers or None)


def allowed_methods(request: Request) -> list[str]:
    """The methods some route accepts at this path (Starlette's Allow names only the first route's)."""
    scope = dict(request.scope)
    return [method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
            if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in request.app.router.routes)]


def error_responses(*codes: int) -> dict:
    """OpenAPI documentation of the errors an endpoint can return, all shaped as ``ErrorResponse``."""
    described = {
        401: "Clé d'API manquante ou invalide",
        403: "Accès refusé : appel non local sans clé configurée, ou clé sans la portée requise",
        404: "Ressource introuvable",
        409: "Une reconstruction est déjà en cours",
        413: "Corps de requête trop volumineux",
        422: "Paramètres invalides (message en français, champ par champ)",
        429: "Trop de requêtes : voir l'en-tête Retry-After",
        503: "Service pas encore prêt, saturé (voir Retry-After), ou base de suivi indisponible",
    }
    return {code: {"model": ErrorResponse, "description": described[code]} for code in codes}


PROTECTED = (401, 403, 413, 422, 429, 503)
