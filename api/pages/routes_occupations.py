"""Occupation search as you type and an occupation's profile (atlas data: every role)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query

from api.access import Role
from api.pages import adapters
from api.pages.web import Page, PageError, page, redirect, render
from api.services.lookup import occupation_profile_view

router = APIRouter()


@router.get("/beroepen")
def search_page(q: str = Query("", max_length=200), p: Page = Depends(page("atlas"))):
    hits = adapters.search_occupations(p.ctx, p.request.app.state.cache, q, p.lang)
    return render(p, "occupations.html", q=q, hits=hits)


@router.get("/beroepen/zoek")
def suggestions(q: str = Query("", max_length=200), p: Page = Depends(page("atlas"))):
    """The HTML fragment the search box fetches while typing."""
    hits = adapters.search_occupations(p.ctx, p.request.app.state.cache, q, p.lang)
    return render(p, "_occupation_hits.html", q=q, hits=hits)


@router.get("/beroepen/profiel")
def profile(uri: str = Query(..., min_length=1, max_length=500), p: Page = Depends(page("atlas"))):
    found = occupation_profile_view(p.ctx.driver, p.ctx.database, uri, p.lang)
    if found is None:
        raise PageError(404, "not_found", p)
    groups = {"essential": [], "optional": []}
    for r in found["requirements"]:
        groups["essential" if r["relation"] == "essential" else "optional"].append(r)
    return render(p, "occupation.html", occ=found, groups=groups,
                  compares=p.principal.role in (Role.COACH, Role.CTC_ADVISOR))


@router.get("/beroepen/vergelijk")
def compare(uri: str = Query(..., min_length=1, max_length=500), klant: str = Query(..., min_length=1, max_length=200),
            p: Page = Depends(page("client_matching"))):
    """What one of the caller's clients lacks for this occupation: its gap page (which answers
    404 for a client the caller may not see, as everywhere)."""
    return redirect(p, f"/klanten/{quote(klant.strip(), safe='')}/ontwikkelpunten?{urlencode({'beroep': uri})}")
