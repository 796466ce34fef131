"""Management information: aggregates only, cells below the minimum group size suppressed."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request

from api import sensitive
from api.access import Role
from api.deps import Ctx, require
from api.json_route import JsonRoute
from api.problems import ApiProblem
from api.services import desks, mi as service
from api.services.matching import matcher
from api.threads import long_running

router = APIRouter(route_class=JsonRoute, prefix="/mi", tags=["management information"])


@router.get("/client-base", response_model=dict[str, Any], summary="The client base by gate, profile and region")
@long_running
def client_base(ctx: Ctx = Depends(require("mi"))):
    return service.client_base(ctx.driver, ctx.database, ctx.settings.mi_min_group)


@router.get("/missing-competencies", response_model=dict[str, Any],
            summary="Competencies most often missing, for a region's open vacancies or an occupation")
@long_running
def missing_competencies(region: str | None = Query(None, min_length=1, max_length=50),
                         occupation_uri: str | None = Query(None, min_length=1, max_length=500),
                         ctx: Ctx = Depends(require("mi"))):
    if region is None and occupation_uri is None:
        raise ApiProblem(422, "Give a region, an occupation_uri, or both.", errors=[
            {"location": "query", "pointer": "/region", "field": "region",
             "message": "region or occupation_uri required", "type": "value_error"}])
    found = service.missing_competencies(ctx.driver, ctx.database, ctx.settings.mi_min_group, region=region,
                                         occupation=occupation_uri)
    if found is None:
        raise ApiProblem(404, "No occupation with this URI in the atlas.")
    return found


@router.get("/vacancies/{vacancy_id}/exclusions", response_model=dict[str, Any],
            summary="Per requirement: otherwise suitable candidates it excludes")
@long_running
def exclusions(request: Request, vacancy_id: str = Path(..., min_length=1, max_length=200),
               ctx: Ctx = Depends(require("mi_vacancy"))):
    if not desks.works_for(ctx, vacancy_id):
        raise ApiProblem(404, "No vacancy with this id.")
    hidden = sensitive.competencies() if ctx.principal.role is Role.EMPLOYER_DESK else frozenset()
    found = service.exclusions_for_vacancy(matcher(request.app.state, ctx.driver, ctx.database), ctx.driver,
                                           ctx.database, vacancy_id, ctx.settings.mi_min_group, hidden)
    if found is None:
        raise ApiProblem(404, "No vacancy with this id.")
    return found
