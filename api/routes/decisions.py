"""Decisions: a coach follows or overrides advice, with a reason code and free text."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api import audit, decision_repository
from api.decisions import check_decision, advice_ref
from api.deps import Ctx, Paging, paging, require, visible_client
from api.models import DecisionIn, DecisionOut, Page
from api.problems import ApiProblem, client_not_found
from api.routes.clients import KEY, NOT_FOUND

router = APIRouter(tags=["decisions"])


@router.post("/clients/{key}/decisions", response_model=DecisionOut, status_code=201, responses=NOT_FOUND,
             summary="Record a coach's decision on advice (follow or override, with a reason)")
def record_decision(body: DecisionIn, key: str = KEY, ctx: Ctx = Depends(require("decide"))):
    """The decision is stored next to the advice; no measurement changes (a correction of a
    measurement is a new measurement). Reason codes: docs/api.md."""
    visible_client(ctx, key)
    problems = check_decision(body.kind, body.choice, body.reason_code, body.reason_text)
    if problems:
        raise ApiProblem(422, "; ".join(f"{f}: {r}" for f, r in problems), errors=[
            {"location": "body", "pointer": f"/{f}", "field": f, "message": r, "type": "value_error"}
            for f, r in problems])
    stored = decision_repository.record_decision(
        ctx.driver, ctx.database, client_key=key, coach=ctx.principal.subject, kind=body.kind.value,
        advice_ref=advice_ref(body.kind, body.target), choice=body.choice.value,
        reason_code=body.reason_code.value, reason_text=body.reason_text)
    if stored is None:
        raise client_not_found()
    return stored


@router.get("/clients/{key}/decisions", response_model=Page[DecisionOut], responses=NOT_FOUND,
            summary="The decisions about a client, newest first")
def list_decisions(key: str = KEY, page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_read"))):
    visible_client(ctx, key)
    total, items = decision_repository.list_decisions(ctx.driver, ctx.database, key, page.offset, page.limit)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_decisions", ctx.endpoint)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": items}
