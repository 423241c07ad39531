"""Errors a person can act on: validation problems explained in French, field by field."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .schemas import MAX_QUERY_CHARS, ErrorResponse, FieldError

FIELD_NAMES = {"q": "la question (q)", "question": "la question", "k": "le nombre de résultats (k)", "mode": "le mode",
               "type": "le type", "tag": "l'étiquette", "folder": "le dossier", "conversation_id": "l'identifiant de conversation",
               "filters": "les filtres", "answer_id": "l'identifiant de réponse", "useful": "l'avis (useful)",
               "comment": "le commentaire"}


def french_message(field: str, error: dict) -> str:
    kind, received = error.get("type", ""), error.get("input")
    if field in ("q", "question"):
        if kind in ("missing", "string_too_short", "value_error"):
            return f"La question est vide : saisissez au moins un mot (champ {field})."
        if kind == "string_too_long":
            limit = f"{MAX_QUERY_CHARS:,}".replace(",", "\u202f")
            return f"La question dépasse {limit} caractères ({len(received or '')} reçus) : raccourcissez-la."
    if field == "k":
        return f"Le nombre de résultats k doit être un entier entre 1 et 50 (reçu : {received!r})."
    if field == "mode":
        return f"Mode « {received} » inconnu : choisissez dense, lexical ou hybrid."
    if field == "type":
        return f"Type « {received} » inconnu : choisissez guide ou faq."
    if field == "conversation_id":
        return "Identifiant de conversation invalide : renvoyez tel quel le conversation_id reçu de /ask."
    if field == "useful":
        return "L'avis « useful » doit valoir true (réponse utile) ou false."
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
        503: "Service pas encore prêt, ou base de suivi indisponible",
    }
    return {code: {"model": ErrorResponse, "description": described[code]} for code in codes}


PROTECTED = (401, 403, 413, 422, 429, 503)
