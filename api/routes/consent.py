"""Consent: the client agrees (through their coach) to share their identity with one vacancy's
employer desk. Without it the desk sees a pseudonymised card only (api/services/consent.py)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from api.deps import Ctx, require
from api.json_route import JsonRoute
from api.models import ConsentIn, ConsentOut
from api.problems import ApiProblem
from api.routes.clients import KEY, NOT_FOUND
from api.services import consent as service

router = APIRouter(route_class=JsonRoute, tags=["consent"])


@router.post("/clients/{key}/consents", response_model=ConsentOut, status_code=201, responses=NOT_FOUND,
             summary="Record the client's consent to share their identity with one vacancy")
def give_consent(body: ConsentIn, key: str = KEY, ctx: Ctx = Depends(require("consent"))):
    given = service.give_consent(ctx, key, body.vacancy_id)
    if given is None:
        raise ApiProblem(404, "No vacancy with this id.")
    return given


@router.delete("/clients/{key}/consents/{vacancy_id}", response_model=ConsentOut, responses=NOT_FOUND,
               summary="Withdraw the client's consent for a vacancy")
def withdraw_consent(key: str = KEY, vacancy_id: str = Path(..., min_length=1, max_length=200),
                     ctx: Ctx = Depends(require("consent"))):
    return service.withdraw_consent(ctx, key, vacancy_id)
