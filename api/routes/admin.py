"""Admin: tokens, assignments (caseloads and referrals), employer desks' regions, and the audit log (read only)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from api import audit, client_repository
from api.access import CLIENT_READERS as CASELOAD_ROLES
from api.deps import Ctx, Paging, paging, require
from api.json_route import JsonRoute
from api.models import AssignmentIn, AuditEntryOut, DeskIn, DeskOut, Page, TokenCreatedOut, TokenIn, TokenOut
from api.problems import ApiProblem
from api.services import desks

router = APIRouter(route_class=JsonRoute, prefix="/admin", tags=["admin"])


@router.post("/tokens", response_model=TokenCreatedOut, status_code=201,
             summary="Create a bearer token for an employer desk or an admin")
def create_token(body: TokenIn, request: Request, ctx: Ctx = Depends(require("admin"))):
    """Caseload roles (coach, ctc_advisor) read full client profiles: their tokens come from the
    identity provider or `atlas-match tokens create` on the server, never from this endpoint, so an
    admin cannot quietly become a coach. Every token minted here is audited with the admin's name."""
    if body.role in CASELOAD_ROLES:
        raise ApiProblem(422, "Tokens for coaches and CTC advisors are not issued through the API.", errors=[
            {"location": "body", "pointer": "/role", "field": "role", "type": "value_error",
             "message": "coach and ctc_advisor tokens come from the identity provider or `atlas-match tokens "
                        "create` on the server"}])
    token, entry = request.app.state.tokens.create(body.subject, body.role, body.name,
                                                   created_by=f"admin:{ctx.principal.subject}")
    audit.record_act(ctx.driver, ctx.database, ctx.principal, "token_created", ctx.endpoint,
                     target=f"{entry.role.value}:{entry.subject} id {entry.token_id}")
    return {**entry.__dict__, "token": token}


@router.get("/tokens", response_model=list[TokenOut], summary="List tokens (ids only, never the tokens)")
def list_tokens(request: Request, ctx: Ctx = Depends(require("admin"))):
    return [t.__dict__ for t in request.app.state.tokens.list()]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke_token(request: Request, token_id: str = Path(..., min_length=8, max_length=64, pattern="^[0-9a-f]+$"),
                 ctx: Ctx = Depends(require("admin"))):
    if not request.app.state.tokens.revoke(token_id):
        raise ApiProblem(404, "No token with this id.")
    audit.record_act(ctx.driver, ctx.database, ctx.principal, "token_revoked", ctx.endpoint, target=f"id {token_id}")


@router.put("/assignments", status_code=204, summary="Assign a client to a coach (caseload) or CTC advisor (referral)")
def assign(body: AssignmentIn, ctx: Ctx = Depends(require("admin"))):
    client_repository.assign(ctx.driver, ctx.database, body.client_key, body.role, body.subject)


@router.put("/desks/{subject}", response_model=DeskOut,
            summary="Give an employer desk the labour-market regions whose vacancies it works for")
def set_desk_regions(body: DeskIn, subject: str = Path(..., min_length=1, max_length=200),
                     ctx: Ctx = Depends(require("admin"))):
    """A desk sees the vacancies in these regions and those it added itself; the list replaces
    the one it had (api/access.py)."""
    return desks.set_regions(ctx, subject, body.regions)


@router.get("/desks", response_model=list[DeskOut], summary="Employer desks and their regions")
def list_desks(ctx: Ctx = Depends(require("admin"))):
    return desks.list_desks(ctx.driver, ctx.database, ctx.settings.data_dir)


@router.delete("/assignments", status_code=204, summary="End an assignment")
def unassign(client_key: str = Query(..., min_length=1, max_length=200),
             role: Literal["coach", "ctc_advisor"] = Query(...),
             subject: str = Query(..., min_length=1, max_length=200), ctx: Ctx = Depends(require("admin"))):
    if not client_repository.unassign(ctx.driver, ctx.database, client_key, role, subject):
        raise ApiProblem(404, "No such assignment.")


@router.get("/audit", response_model=Page[AuditEntryOut], summary="Read the audit log (newest first)")
def read_audit(client_key: str | None = Query(None, max_length=200), subject: str | None = Query(None, max_length=200),
               page: Paging = Depends(paging), ctx: Ctx = Depends(require("admin"))):
    total, items = audit.list_entries(ctx.driver, ctx.database, client_key=client_key, subject=subject,
                                      offset=page.offset, limit=page.limit)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": items}
