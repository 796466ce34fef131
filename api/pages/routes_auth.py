"""Sign-in with a bearer token into the session cookie, sign-out, and the start page per role."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.pages import session
from api.pages.web import HOME, Page, page, posted, redirect, render, safe_next

router = APIRouter()


@router.get("/")
def start(p: Page = Depends(page())):
    return redirect(p, HOME[p.principal.role] if p.principal else "/aanmelden")


@router.get("/start")
def home(p: Page = Depends(page("atlas"))):
    return render(p, "home.html")


@router.get("/aanmelden")
def sign_in_form(p: Page = Depends(page()), next: str | None = Query(None, max_length=500)):
    return render(p, "sign_in.html", next=safe_next(next) or "", failed=False)


@router.post("/aanmelden")
def sign_in(sent=Depends(posted())):
    p, form = sent
    who = session.sign_in(p.request, p.session, form.get("token", ""))
    if who is None:
        return render(p, "sign_in.html", status=401, next=safe_next(form.get("next")) or "", failed=True)
    return redirect(p, safe_next(form.get("next")) or HOME[who.role])


@router.post("/afmelden")
def sign_out(sent=Depends(posted())):
    p, _ = sent
    p.session = session.sign_out(p.session)
    return redirect(p, "/aanmelden")
