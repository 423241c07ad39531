"""``/feedback``: was this answer useful?"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from ...service import Eclaireur
from ...storage import Caller
from ..dependencies import get_service, search_caller
from ..errors import PROTECTED, error_responses
from ..schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(tags=["questions"], responses=error_responses(*PROTECTED))


@router.post("/feedback", response_model=FeedbackResponse, summary="Donner son avis sur une réponse",
             responses=error_responses(404))
def feedback(request: FeedbackRequest, caller: Caller = Depends(search_caller),
             service: Eclaireur = Depends(get_service)) -> FeedbackResponse:
    if not service.feedback(request.answer_id, request.useful, request.comment, caller):
        raise HTTPException(404, f"Réponse « {request.answer_id} » inconnue : renvoyez l'answer_id reçu de /ask.")
    return FeedbackResponse()
