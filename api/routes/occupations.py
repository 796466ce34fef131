"""Occupations and competencies: search and profile (atlas data, no client data: every role)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from api.deps import Ctx, Lang, Paging, paging, require
from api.json_route import JsonRoute
from api.models import ConceptHit, OccupationProfileOut, Page
from api.problems import ApiProblem
from api.services.lookup import occupation_profile_view, search_concepts

router = APIRouter(route_class=JsonRoute, tags=["occupations & competencies"])
MAX_HITS = 500


def _page(request: Request, ctx: Ctx, target, q: str, lang, page: Paging) -> dict:
    if not q.strip():
        raise ApiProblem(422, "q: give a job title or competency text.", errors=[
            {"location": "query", "pointer": "/q", "field": "q", "message": "empty", "type": "value_error"}])
    top = min(page.offset + page.limit, MAX_HITS)
    hits = search_concepts(request.app.state.cache, ctx.driver, ctx.database, ctx.settings, target, q, lang, top)
    return {"total": len(hits), "offset": page.offset, "limit": page.limit,
            "items": hits[page.offset:page.offset + page.limit]}


@router.get("/occupations", response_model=Page[ConceptHit], summary="Search occupations by job title")
def search_occupations(request: Request, q: str = Query(..., min_length=1, max_length=200, examples=["kok"]),
                       lang: Lang | None = Query(None), page: Paging = Depends(paging),
                       ctx: Ctx = Depends(require("atlas"))):
    """ESCO occupations ranked for a Dutch or English job title (lexical + semantic fusion).
    `total` counts the hits found (at most 500)."""
    return _page(request, ctx, "Occupation", q, lang, page)


@router.get("/occupations/profile", response_model=OccupationProfileOut, summary="An occupation's requirements",
            responses={404: {"description": "No such occupation."}})
def get_occupation_profile(uri: str = Query(..., min_length=1, max_length=500, examples=[
                               "http://data.europa.eu/esco/occupation/c2ee3fd6-4e9c-4a2e-9e4e-4c2b0f0d0c6a"]),
                           lang: Lang = Query("nl"), ctx: Ctx = Depends(require("atlas"))):
    found = occupation_profile_view(ctx.driver, ctx.database, uri, lang)
    if found is None:
        raise ApiProblem(404, "No occupation with this URI in the atlas.")
    return found


@router.get("/competencies", response_model=Page[ConceptHit], summary="Search competencies")
def search_competencies(request: Request, q: str = Query(..., min_length=1, max_length=200, examples=["samenwerken"]),
                        lang: Lang | None = Query(None), page: Paging = Depends(paging),
                        ctx: Ctx = Depends(require("atlas"))):
    """Atlas competencies (ESCO skills and knowledge, O*NET descriptors) ranked for a phrase."""
    return _page(request, ctx, "Competency", q, lang, page)
