"""Consent: the client agrees (through their coach) to share their identity with one vacancy's
employer desk. Without it the desk sees a pseudonymised card only."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from api import client_repository
from api.deps import Ctx, require, visible_client
from api.models import ConsentIn, ConsentOut
from api.problems import ApiProblem
from api.routes.clients import KEY, NOT_FOUND

router = APIRouter(tags=["consent"])


@router.post("/clients/{key}/consents", response_model=ConsentOut, status_code=201, responses=NOT_FOUND,
             summary="Record the client's consent to share their identity with one vacancy")
def give_consent(body: ConsentIn, key: str = KEY, ctx: Ctx = Depends(require("consent"))):
    visible_client(ctx, key)
    if not client_repository.vacancy_exists(ctx.driver, ctx.database, body.vacancy_id):
        raise ApiProblem(404, "No vacancy with this id.")
    at = client_repository.record_consent(ctx.driver, ctx.database, key, body.vacancy_id, ctx.principal.subject)
    return {"client_key": key, "vacancy_id": body.vacancy_id, "consented": True, "at": at}


@router.delete("/clients/{key}/consents/{vacancy_id}", response_model=ConsentOut, responses=NOT_FOUND,
               summary="Withdraw the client's consent for a vacancy")
def withdraw_consent(key: str = KEY, vacancy_id: str = Path(..., min_length=1, max_length=200),
                     ctx: Ctx = Depends(require("consent"))):
    visible_client(ctx, key)
    client_repository.withdraw_consent(ctx.driver, ctx.database, key, vacancy_id)
    return {"client_key": key, "vacancy_id": vacancy_id, "consented": False, "at": None}
