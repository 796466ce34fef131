"""Clients: the caller's caseload, a client's profile, measurements and gate, and erasure.

A coach reaches only their caseload, a CTC advisor only their referrals; any other key answers
the same 404 as a key that does not exist. Every successful read is audited (api/services/clients.py
and api/services/caseload.py; the pages call the same functions).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from api.deps import Ctx, Paging, paging, require
from api.json_route import JsonRoute
from api.models import ClientProfileOut, ClientSummary, ErasureOut, GateOut, MeasurementOut, Page, Problem
from api.problems import PROBLEM_MEDIA_TYPE
from api.services import caseload
from api.services import clients as service
from ingest import client_keys

router = APIRouter(route_class=JsonRoute, prefix="/clients", tags=["clients"])
KEY = Path(..., min_length=1, max_length=client_keys.MAX_LENGTH, pattern=client_keys.PATTERN,
           description=f"The client's pseudonymous key: {client_keys.RULE}.", examples=["K-000123"])
NOT_FOUND = {404: {"description": "No such client in your caseload (also when it exists but is not yours).",
                   "content": {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}}}}


@router.get("", response_model=Page[ClientSummary], summary="My clients (caseload or referrals)")
def my_clients(request: Request, page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_read"))):
    return caseload.list_clients(ctx, request.app.state.cache, page.offset, page.limit)


@router.get("/{key}", response_model=ClientProfileOut, responses=NOT_FOUND, summary="A client's profile")
def client_profile(key: str = KEY, ctx: Ctx = Depends(require("client_read"))):
    return service.read_profile(ctx, key)


@router.get("/{key}/measurements", response_model=Page[MeasurementOut], responses=NOT_FOUND,
            summary="A client's measurements (newest first, corrections next to the originals)")
def client_measurements(key: str = KEY, page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_read"))):
    return service.read_measurements(ctx, key, page.offset, page.limit)


@router.get("/{key}/gates", response_model=GateOut, responses=NOT_FOUND, summary="A client's gate and why")
def client_gate(key: str = KEY, ctx: Ctx = Depends(require("client_read"))):
    return service.read_gate(ctx, key)


@router.delete("/{key}", response_model=ErasureOut, responses=NOT_FOUND,
               summary="Erase a client (right to erasure): the client's coach or an admin")
def erase_client(request: Request, key: str = KEY, ctx: Ctx = Depends(require("client_erase"))):
    return service.erase_on_request(ctx, request.app.state, key)
