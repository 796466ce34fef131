"""Matching: vacancy → candidates, client → vacancies, client → occupations, gap, what-if.

A coach or CTC advisor sees candidates from their own clients only, by key, with the coach's
decision next to each advice. An employer desk sees every matchable candidate as a pseudonymised
card (fit, coverage, met and missing competencies) and the identity only of those who consented
for this vacancy. Every client that appears in an answer is an audited read. The use cases live in
api/services/shortlist.py and api/services/advice.py (the pages call the same functions).
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request

from api.deps import Ctx, Paging, language, paging, require
from api.json_route import JsonRoute
from api.models import CandidatesOut, ClientMatchesOut, GapOut, WhatIfIn, WhatIfOut
from api.problems import ApiProblem
from api.routes.clients import KEY, NOT_FOUND
from api.services import advice, shortlist

router = APIRouter(route_class=JsonRoute, tags=["matching"])


@router.get("/vacancies/{vacancy_id}/candidates", response_model=CandidatesOut, response_model_exclude_none=True,
            summary="Candidates for a vacancy",
            responses={404: {"description": "No such vacancy."}})
def candidates(request: Request, vacancy_id: str = Path(..., min_length=1, max_length=200),
               page: Paging = Depends(paging), lang: str = Depends(language),
               ctx: Ctx = Depends(require("candidates"))):
    found = shortlist.candidates(ctx, request.app.state, vacancy_id, page.offset, page.limit, lang)
    if found is None:
        raise ApiProblem(404, "No vacancy with this id.")
    return found


@router.get("/clients/{key}/vacancies", response_model=ClientMatchesOut, responses=NOT_FOUND,
            summary="Open vacancies for a client")
def client_vacancies(request: Request, key: str = KEY, max_km: float | None = Query(None, gt=0, le=500,
                                                                    description="Only vacancies within this distance."),
                     page: Paging = Depends(paging), lang: str = Depends(language),
                     ctx: Ctx = Depends(require("client_matching"))):
    return advice.client_vacancies(ctx, request.app.state, key, max_km, page.offset, page.limit, lang)


@router.get("/clients/{key}/occupations", response_model=ClientMatchesOut, responses=NOT_FOUND,
            summary="Occupations that fit a client")
def client_occupations(request: Request, key: str = KEY, page: Paging = Depends(paging),
                       lang: str = Depends(language), ctx: Ctx = Depends(require("client_matching"))):
    return advice.client_occupations(ctx, request.app.state, key, page.offset, page.limit, lang)


@router.get("/clients/{key}/gap", response_model=GapOut, responses=NOT_FOUND,
            summary="What stands between a client and a vacancy or occupation")
def client_gap(request: Request, key: str = KEY, vacancy_id: str | None = Query(None, min_length=1, max_length=200),
               occupation_uri: str | None = Query(None, min_length=1, max_length=500),
               ranks: bool = Query(False, description="Also each gap's rank_now and rank_after: the client's place "
                                                      "on the target's list now and once that competency reached "
                                                      "its level (scores every client for the target once)."),
               lang: str = Depends(language), ctx: Ctx = Depends(require("client_matching"))):
    return advice.client_gap(ctx, request.app.state, key, vacancy_id, occupation_uri, lang, ranks=ranks)


@router.post("/clients/{key}/what-if", response_model=WhatIfOut, responses=NOT_FOUND,
             summary="How the match would change if competencies reached given levels (nothing is stored)")
def client_what_if(request: Request, body: WhatIfIn, key: str = KEY, lang: str = Depends(language),
                   ctx: Ctx = Depends(require("client_matching"))):
    changes = [(c.competency, c.level) for c in body.changes]
    return advice.client_what_if(ctx, request.app.state, key, body.vacancy_id, body.occupation_uri, changes, lang)
