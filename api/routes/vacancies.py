"""Vacancies: ingest (employer desk, admin), list and read (every role; a desk those it works for)."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from api import vacancy_reads
from api.deps import Ctx, Paging, paging, require
from api.json_route import JsonRoute
from api.models import IngestOut, Page, VacancyOut
from api.problems import ApiProblem
from api.services import desks
from api.services.vacancies import ingest_vacancy_batch
from api.threads import long_running

router = APIRouter(route_class=JsonRoute, prefix="/vacancies", tags=["vacancies"])
MAX_ITEMS = 500
EXAMPLE = [{"@context": "https://schema.org", "@type": "JobPosting", "identifier": "V-0001", "title": "Kok",
            "description": "Wij zoeken een zelfstandig werkend kok. Je kunt goed samenwerken.",
            "datePosted": "2026-11-01", "validThrough": "2026-12-31",
            "hiringOrganization": {"@type": "Organization", "name": "Restaurant De Haven"},
            "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "postalCode": "3511 AB",
                                                          "addressLocality": "Utrecht", "addressCountry": "NL"}}}]


@router.post("", response_model=IngestOut, summary="Ingest a batch of vacancies (JobPosting JSON-LD)")
@long_running
def ingest_vacancies(request: Request,
                     items: list[dict[str, Any]] = Body(..., min_length=1, max_length=MAX_ITEMS, examples=[EXAMPLE]),
                     ctx: Ctx = Depends(require("vacancy_ingest"))):
    """Validated, normalised to an occupation, requirements extracted and located, exactly like
    `atlas-match ingest vacancies`. Per item: landed or rejected with every problem."""
    result = ingest_vacancy_batch(ctx, request.app.state.cache, items)
    request.app.state.metrics.ingest("vacancies", result)
    return result


@router.get("", response_model=Page[VacancyOut], summary="List vacancies")
def list_vacancies(status: Literal["open", "closed"] | None = Query(None),
                   region: str | None = Query(None, max_length=50, description="Labour-market region code."),
                   municipality: str | None = Query(None, max_length=50, description="CBS municipality code."),
                   q: str | None = Query(None, max_length=200,
                                         description="Text in the title or employer's name, or the start of the identifier."),
                   page: Paging = Depends(paging), ctx: Ctx = Depends(require("vacancy_read"))):
    total, items = vacancy_reads.list_vacancies(ctx.driver, ctx.database, status=status, region=region,
                                                municipality=municipality, offset=page.offset, limit=page.limit,
                                                scope=desks.scope(ctx), q=q)
    return {"total": total, "offset": page.offset, "limit": page.limit, "items": items}


@router.get("/{vacancy_id}", response_model=VacancyOut, summary="A vacancy with its requirements",
            responses={404: {"description": "No such vacancy."}})
def get_vacancy(vacancy_id: str = Path(..., min_length=1, max_length=200), ctx: Ctx = Depends(require("vacancy_read"))):
    # the scope first: a desk's foreign vacancy costs the same reads as a missing one
    found = vacancy_reads.get_vacancy(ctx.driver, ctx.database, vacancy_id) if desks.works_for(ctx, vacancy_id) else None
    if found is None:
        raise ApiProblem(404, "No vacancy with this id.")
    return found
