"""``/feedback``: was this answer useful?"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from ...service import Eclaireur
from ..dependencies import get_service
from ..errors import PROTECTED, error_responses
from ..schemas import FeedbackRequest, FeedbackResponse
from ..security import require

router = APIRouter(tags=["questions"], responses=error_responses(*PROTECTED))


@router.post("/feedback", response_model=FeedbackResponse, summary="Donner son avis sur une réponse",
             responses=error_responses(404),
             dependencies=[Depends(require("search"))])
def feedback(request: FeedbackRequest, service: Eclaireur = Depends(get_service)) -> FeedbackResponse:
    if not service.feedback(request.answer_id, request.useful, request.comment):
        raise HTTPException(404, f"Réponse « {request.answer_id} » inconnue : renvoyez l'answer_id reçu de /ask.")
    return FeedbackResponse()
