"""Matching: vacancy → candidates, client → vacancies, client → occupations, gap, what-if.

A coach or CTC advisor sees candidates from their own clients only, by key, with the coach's
decision next to each advice. An employer desk sees every matchable candidate as a pseudonymised
card (fit, coverage, met and missing competencies) and the identity only of those who consented
for this vacancy. Every client that appears in an answer is an audited read.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request

from api import audit, client_repository
from api.access import Role, employer_card
from api.decision_repository import decisions_for, decisions_for_many
from api.decisions import AdviceKind, advice_ref
from api.deps import Ctx, Paging, paging, require, visible_client
from api.models import CandidatesOut, ClientMatchesOut, GapOut, WhatIfIn, WhatIfOut
from api.problems import ApiProblem, client_not_found
from api.routes.clients import KEY, NOT_FOUND
from api.services import matching as service

router = APIRouter(tags=["matching"])
NOT_MATCHABLE_NOTE = ("This client's gate is not_matchable: no job suggestions until the gate changes "
                      "(a coach may record an override decision on the gate).")


def _scope(ctx: Ctx) -> list[str] | None:
    if ctx.principal.role is Role.EMPLOYER_DESK:
        return None
    _, items = client_repository.caseload(ctx.driver, ctx.database, ctx.principal.role.value, ctx.principal.subject,
                                          0, 1_000_000)
    return [i["key"] for i in items]


@router.get("/vacancies/{vacancy_id}/candidates", response_model=CandidatesOut, response_model_exclude_none=True,
            summary="Candidates for a vacancy",
            responses={404: {"description": "No such vacancy."}})
def candidates(request: Request, vacancy_id: str = Path(..., min_length=1, max_length=200),
               page: Paging = Depends(paging), ctx: Ctx = Depends(require("candidates"))):
    found = service.vacancy_target(ctx.driver, ctx.database, vacancy_id)
    if found is None:
        raise ApiProblem(404, "No vacancy with this id.")
    target, _ = found
    rows, total = service.candidates_for_vacancy(_matcher(request, ctx), target, _scope(ctx), page.offset, page.limit)
    keys = [r["client_key"] for r in rows]
    if ctx.principal.role is Role.EMPLOYER_DESK:
        agreed = client_repository.consented(ctx.driver, ctx.database, vacancy_id, keys)
        ids = client_repository.identities(ctx.driver, ctx.database, sorted(agreed))
        secret = request.app.state.pseudonym_secret
        items = [employer_card(r, secret, vacancy_id, r["client_key"] in agreed, ids.get(r["client_key"]))
                 for r in rows]
        action = "candidate_card"
    else:
        ref = advice_ref(AdviceKind.CANDIDATE, vacancy_id)
        decided = decisions_for_many(ctx.driver, ctx.database, keys, [ref])
        items = [{**r, "candidate": r["client_key"], "decision": decided.get((r["client_key"], ref))} for r in rows]
        action = "candidate_list"
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, keys, action, ctx.endpoint)
    return {"vacancy_id": vacancy_id, "title": target.title, "total": total, "offset": page.offset,
            "limit": page.limit, "items": items}


def _matcher(request: Request, ctx: Ctx) -> service.MatchService:
    return service.matcher(request.app.state, ctx.driver, ctx.database)


def _client(ctx: Ctx, key: str) -> dict:
    visible_client(ctx, key)
    client = service.client_evidence(ctx.driver, ctx.database, key)
    if client is None:
        raise client_not_found()
    return client


@router.get("/clients/{key}/vacancies", response_model=ClientMatchesOut, responses=NOT_FOUND,
            summary="Open vacancies for a client")
def client_vacancies(request: Request, key: str = KEY, max_km: float | None = Query(None, gt=0, le=500,
                                                                    description="Only vacancies within this distance."),
                     page: Paging = Depends(paging), ctx: Ctx = Depends(require("client_matching"))):
    client = _client(ctx, key)
    rows, total = service.vacancies_for_client(_matcher(request, ctx), client, max_km, page.offset, page.limit)
    refs = [advice_ref(AdviceKind.VACANCY, r["vacancy"]["id"]) for r in rows]
    decided = decisions_for(ctx.driver, ctx.database, key, refs)
    items = [{**r, "decision": decided.get(ref)} for r, ref in zip(rows, refs)]
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "match_vacancies", ctx.endpoint)
    return {"client_key": key, "gate": client["gate"], "total": total, "offset": page.offset,
            "limit": page.limit, "items": items,
            "note": NOT_MATCHABLE_NOTE if client["gate"] == "not_matchable" else None}


@router.get("/clients/{key}/occupations", response_model=ClientMatchesOut, responses=NOT_FOUND,
            summary="Occupations that fit a client")
def client_occupations(request: Request, key: str = KEY, page: Paging = Depends(paging),
                       ctx: Ctx = Depends(require("client_matching"))):
    client = _client(ctx, key)
    rows, total = service.occupations_for_client(_matcher(request, ctx), client, page.offset, page.limit)
    refs = [advice_ref(AdviceKind.OCCUPATION, r["occupation"]["uri"]) for r in rows]
    decided = decisions_for(ctx.driver, ctx.database, key, refs)
    items = [{**r, "decision": decided.get(ref)} for r, ref in zip(rows, refs)]
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "match_occupations", ctx.endpoint)
    return {"client_key": key, "gate": client["gate"], "total": total, "offset": page.offset,
            "limit": page.limit, "items": items,
            "note": NOT_MATCHABLE_NOTE if client["gate"] == "not_matchable" else None}


def _target(ctx: Ctx, vacancy_id: str | None, occupation_uri: str | None) -> service.Target:
    if (vacancy_id is None) == (occupation_uri is None):
        raise ApiProblem(422, "Give exactly one of vacancy_id and occupation_uri.", errors=[
            {"location": "query", "pointer": "/vacancy_id", "field": "vacancy_id",
             "message": "exactly one of vacancy_id, occupation_uri", "type": "value_error"}])
    if vacancy_id is not None:
        found = service.vacancy_target(ctx.driver, ctx.database, vacancy_id)
        if found is None:
            raise ApiProblem(404, "No vacancy with this id.")
        return found[0]
    target = service.occupation_target(ctx.driver, ctx.database, occupation_uri)
    if target is None:
        raise ApiProblem(404, "No occupation with this URI in the atlas.")
    return target


@router.get("/clients/{key}/gap", response_model=GapOut, responses=NOT_FOUND,
            summary="What stands between a client and a vacancy or occupation")
def client_gap(request: Request, key: str = KEY, vacancy_id: str | None = Query(None, min_length=1, max_length=200),
               occupation_uri: str | None = Query(None, min_length=1, max_length=500),
               ctx: Ctx = Depends(require("client_matching"))):
    client = _client(ctx, key)
    target = _target(ctx, vacancy_id, occupation_uri)
    result = service.gap(_matcher(request, ctx), client, target)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "gap", ctx.endpoint)
    return result


@router.post("/clients/{key}/what-if", response_model=WhatIfOut, responses=NOT_FOUND,
             summary="How the match would change if competencies reached given levels (nothing is stored)")
def client_what_if(request: Request, body: WhatIfIn, key: str = KEY, ctx: Ctx = Depends(require("client_matching"))):
    client = _client(ctx, key)
    target = _target(ctx, body.vacancy_id, body.occupation_uri)
    result = service.what_if(_matcher(request, ctx), client, target, [(c.competency, c.level) for c in body.changes])
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "what_if", ctx.endpoint)
    return result
