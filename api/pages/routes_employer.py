"""The employer desk: open vacancies (add one by form, or a JSON-LD/CSV file, through the same
ingest as POST /vacancies, with each row's problems shown in place) and a pseudonymised
shortlist per vacancy."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query

from api import vacancy_reads
from api.access import Role
from api.pages.adapters import problem_rows, warning_rows
from api.pages.web import Page, PageError, page, posted, redirect, render
from api.services import desks, shortlist as shortlist_service
from api.services.introductions import request_introduction
from api.services.vacancies import ingest_vacancy_batch, ingest_vacancy_text
from api.threads import long_running

router = APIRouter()
DESK = frozenset({Role.EMPLOYER_DESK})
PER_PAGE = 25


@router.get("/werkgever")
def vacancies(offset: int = Query(0, ge=0, le=1_000_000), q: str = Query("", max_length=200),
              p: Page = Depends(page("vacancy_read", DESK))):
    return _vacancies_page(p, offset, q=q)


def _vacancies_page(p: Page, offset: int = 0, result: dict | None = None, form: dict | None = None,
                    from_form: bool = False, q: str = "", upload: dict | None = None):
    total, rows = vacancy_reads.list_vacancies(p.ctx.driver, p.ctx.database, status="open", region=None,
                                               municipality=None, offset=offset, limit=PER_PAGE,
                                               scope=desks.scope(p.ctx), q=q, newest_first=True)
    return render(p, "employer_vacancies.html", rows=rows, total=total, offset=offset, per_page=PER_PAGE, q=q,
                  result=result, problems=problem_rows(result["items"], p.lang, p.t, from_form) if result else [],
                  warnings=warning_rows(result["warnings"], p.lang, p.t, from_form) if result else [],
                  form=form or {}, upload=upload or {}, today=date.today().isoformat())


def job_posting(form: dict[str, str]) -> dict:
    """The form's fields as a schema.org JobPosting (docs/vacancies.md); empty fields left out, so
    the ingest's own validation names what is missing."""
    posting = {"@type": "JobPosting", "identifier": form.get("identifier", "").strip(),
               "title": form.get("title", "").strip(), "description": form.get("description", "").strip(),
               "datePosted": form.get("date_posted", "").strip(),
               "hiringOrganization": {"@type": "Organization", "name": form.get("employer", "").strip()},
               "jobLocation": {"@type": "Place", "address": {"postalCode": form.get("postal_code", "").strip(),
                                                              "addressCountry": "NL"}},
               "employmentType": [t for t in form.get("employment_type", "").split(",") if t.strip()],
               "hoursPerWeek": form.get("hours_per_week", "").strip(),
               "educationRequirements": form.get("education", "").strip()}
    return {k: v for k, v in posting.items() if v not in ("", [], None)}


@router.post("/werkgever/vacature")
def add_vacancy(sent=Depends(posted("vacancy_ingest", DESK))):
    p, form = sent
    result = ingest_vacancy_batch(p.ctx, p.request.app.state.cache, [job_posting(form)])
    keep = None if result["items"][0]["status"] != "rejected" else form  # a rejected form keeps its input
    return _vacancies_page(p, result=result, form=keep, from_form=True)


@router.post("/werkgever/bestand")
@long_running
def upload(sent=Depends(posted("vacancy_ingest", DESK))):
    p, form = sent
    result = ingest_vacancy_text(p.ctx, p.request.app.state.cache, form.get("content", ""), form.get("filename", ""))
    keep = form if result["rejected"] else None  # rows to correct: the text stays in the form
    return _vacancies_page(p, result=result, upload=keep)


@router.post("/werkgever/vacatures/{vacancy_id}/kennismaking")
def introduction(vacancy_id: str = Path(..., min_length=1, max_length=200),
                 sent=Depends(posted("candidates", DESK))):
    """'Vraag kennismaking aan': the same service as POST /vacancies/{id}/introductions."""
    p, form = sent
    candidate = form.get("candidate", "")
    asked = request_introduction(p.ctx, p.request.app.state, vacancy_id, candidate)
    if asked is None:  # no such vacancy
        raise PageError(404, "not_found", p)
    # a pseudonym no longer on the list (the client left it since the page was drawn): said in words
    outcome = f"gevraagd={quote(candidate, safe='')}" if asked else "verlopen=1"
    return redirect(p, f"/werkgever/vacatures/{quote(vacancy_id, safe='')}?{outcome}")


@router.get("/werkgever/vacatures/{vacancy_id}")
def shortlist(vacancy_id: str = Path(..., min_length=1, max_length=200), offset: int = Query(0, ge=0, le=10_000),
              gevraagd: str | None = Query(None, max_length=100), verlopen: bool = False,
              p: Page = Depends(page("candidates", DESK))):
    found = shortlist_service.candidates(p.ctx, p.request.app.state, vacancy_id, offset, PER_PAGE, p.lang)
    if found is None:
        raise PageError(404, "not_found", p)
    return render(p, "shortlist.html", vacancy={"id": vacancy_id, "title": found["title"]}, cards=found["items"],
                  total=found["total"], offset=offset, per_page=PER_PAGE, asked=gevraagd, gone=verlopen)
