"""An employer desk asks to meet a pseudonymised candidate ("vraag kennismaking aan"); the request
shows on the candidate's coach's caseload. The same service as the employer desk's page."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api.access import Role
from api.deps import Ctx, require
from api.json_route import JsonRoute
from api.problems import ApiProblem, forbidden
from api.services.introductions import request_introduction

router = APIRouter(route_class=JsonRoute, tags=["matching"])


class IntroductionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"candidate": "C-3f9a1c0b7d2e4a18"}]})
    candidate: str = Field(min_length=1, max_length=100, description="The pseudonym on the candidate card.")


class IntroductionOut(BaseModel):
    vacancy_id: str
    candidate: str
    requested: bool


@router.post("/vacancies/{vacancy_id}/introductions", response_model=IntroductionOut,
             responses={404: {"description": "No such vacancy, or no such candidate on its shortlist."}},
             summary="Ask to meet a candidate of a vacancy's shortlist (employer desk)")
def introduce(request: Request, body: IntroductionIn, vacancy_id: str = Path(..., min_length=1, max_length=200),
              ctx: Ctx = Depends(require("candidates"))):
    if ctx.principal.role is not Role.EMPLOYER_DESK:
        raise forbidden(ctx.principal.role.value)  # coaches see keys, not pseudonyms: this is the desk's
    if not request_introduction(ctx, request.app.state, vacancy_id, body.candidate):
        raise ApiProblem(404, "No such vacancy, or no such candidate on its shortlist.")
    return {"vacancy_id": vacancy_id, "candidate": body.candidate, "requested": True}
