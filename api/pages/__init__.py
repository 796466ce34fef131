"""Server-rendered pages for coaches, CTC advisors and employer desks (issue 14), in the same
FastAPI app as the JSON API, under Dutch paths that cannot clash with the API's (/klanten,
/beroepen, /werkgever). `install(app)` mounts them; docs/pages.md describes them."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from api.pages import routes_auth, routes_coach, routes_employer, routes_occupations, routes_report
from api.pages.web import PageError, SignInRequired, redirect, render, sign_in_url

STATIC = Path(__file__).parent / "static"
MODULES = (routes_auth, routes_coach, routes_report, routes_occupations, routes_employer)


def install(app: FastAPI) -> None:
    for module in MODULES:
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired):
        return redirect(exc.page, sign_in_url(exc.next_path))

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError):
        return render(exc.page, "error.html", status=exc.status, message_key=exc.message_key)

