"""Clients: the caller's caseload, a client's profile, measurements and gate, and erasure.

A coach reaches only their caseload, a CTC advisor only their referrals; any other key answers
the same 404 as a key that does not exist. Every successful read is audited.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from api import audit, client_repository
from api.access import may_erase_client
from api.deps import Ctx, Paging, paging, require, visible_client
from api.models import ClientProfileOut, ClientSummary, ErasureOut, GateOut, MeasurementOut, Page, Problem
from api.problems import PROBLEM_MEDIA_TYPE, client_not_found
from api.services import clients as service

router = APIRouter(prefix="/clients", tags=["clients"])
KEY = Path(..., min_length=1, max_length=200, description="The client's pseudonymous key.", examples=["K-000123"])
NOT_FOUND = {404: {"description": "No such client in your caseload (also when it exists but is not yours).",
                   "content": {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}}}}


@router.get("", response_model=Page[ClientSummary], summary="My clients (caseload or referrals)")
def my_clients(page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_read"))):
    total, items = client_repository.caseload(ctx.driver, ctx.database, ctx.principal.role.value,
                                              ctx.principal.subject, page.offset, page.limit)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [i["key"] for i in items], "list_caseload",
                       ctx.endpoint)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": items}


@router.get("/{key}", response_model=ClientProfileOut, responses=NOT_FOUND, summary="A client's profile")
def client_profile(key: str = KEY, ctx: Ctx = Depends(require("client_read"))):
    visible_client(ctx, key)
    found = service.client_profile(ctx.driver, ctx.database, key)
    if found is None:
        raise client_not_found()
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_profile", ctx.endpoint)
    return found


@router.get("/{key}/measurements", response_model=Page[MeasurementOut], responses=NOT_FOUND,
            summary="A client's measurements (newest first, corrections next to the originals)")
def client_measurements(key: str = KEY, page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_read"))):
    visible_client(ctx, key)
    total, items = client_repository.measurements(ctx.driver, ctx.database, key, page.offset, page.limit)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_measurements", ctx.endpoint)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": items}


@router.get("/{key}/gates", response_model=GateOut, responses=NOT_FOUND, summary="A client's gate and why")
def client_gate(key: str = KEY, ctx: Ctx = Depends(require("client_read"))):
    visible_client(ctx, key)
    found = service.client_gate(ctx.driver, ctx.database, key)
    if found is None:
        raise client_not_found()
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_gate", ctx.endpoint)
    return found


@router.delete("/{key}", response_model=ErasureOut, responses=NOT_FOUND,
               summary="Erase a client (right to erasure): the client's coach or an admin")
def erase_client(key: str = KEY, ctx: Ctx = Depends(require("client_erase"))):
    found = client_repository.assignments(ctx.driver, ctx.database, [key]).get(key)
    if not may_erase_client(ctx.principal, found):
        raise client_not_found()
    # Logged before the erasure: the erasure then removes the key from every entry, this one included.
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "erase", ctx.endpoint)
    return service.erase(ctx.driver, ctx.database, key)
