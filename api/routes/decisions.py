"""Decisions: a coach follows or overrides advice, with a reason code and free text
(api/services/decisions.py; the pages call the same functions)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import Ctx, Paging, paging, require
from api.json_route import JsonRoute
from api.models import DecisionIn, DecisionOut, Page
from api.problems import ApiProblem
from api.routes.clients import KEY, NOT_FOUND
from api.services import decisions as service

router = APIRouter(route_class=JsonRoute, tags=["decisions"])


@router.post("/clients/{key}/decisions", response_model=DecisionOut, status_code=201, responses=NOT_FOUND,
             summary="Record a coach's decision on advice (follow or override, with a reason)")
def record_decision(body: DecisionIn, key: str = KEY, ctx: Ctx = Depends(require("decide"))):
    """The decision is stored next to the advice; no measurement changes (a correction of a
    measurement is a new measurement). Reason codes: docs/api.md."""
    try:
        return service.record_decision(ctx, key, body.kind, body.target, body.choice, body.reason_code,
                                       body.reason_text)
    except service.InvalidDecision as exc:
        raise ApiProblem(422, str(exc), errors=[
            {"location": "body", "pointer": f"/{f}", "field": f, "message": r, "type": "value_error"}
            for f, r in exc.problems]) from None


@router.get("/clients/{key}/decisions", response_model=Page[DecisionOut], responses=NOT_FOUND,
            summary="The decisions about a client, newest first")
def list_decisions(key: str = KEY, page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_read"))):
    return service.list_decisions(ctx, key, page.offset, page.limit)
