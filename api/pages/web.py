"""Plumbing shared by the page routes: who is asking (session → principal → the same Ctx the
JSON routes get), CSRF-checked forms, rendering with the right words, and errors as pages."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import jinja2
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from api.access import Principal, Role, may_use
from api.deps import Ctx, ctx_for
from api.pages import session, views
from api.problems import ApiProblem
from api.pages.i18n import reason_label, translator


_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(jinja2.Environment):
    """The views hand the templates plain dicts, so `row.label` looks the key up first. Jinja's own
    order (the attribute, then the key) raised and caught an AttributeError on every such use: ~40 %
    of a client page's rendering (6.5 -> 3.8 ms, the same HTML). A dict's own attributes (`get`,
    `items`, ...) still come first, as in Jinja: a posted form field named `get` stays a field."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


TEMPLATES = Jinja2Templates(env=PageEnvironment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=jinja2.select_autoescape(),
    auto_reload=False))  # templates change with a release: no stat() per page
TEMPLATES.env.globals.update(pct=views.pct, slider_start=views.slider_start, slider_step=views.SLIDER_STEP, day=views.day,
                             fit_line=views.fit_line, number=views.number, shown_gate=views.shown_gate,
                             importance=views.importance, taken_off=views.taken_off)
TEMPLATES.env.filters["dates_whole"] = views.dates_whole
# Closed network: nothing from elsewhere, no inline script; the SVG chart is styled by class.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # client data must not stay in a shared browser's cache
}
NAV: dict[Role, list[tuple[str, str]]] = {
    Role.COACH: [("/klanten", "caseload"), ("/beroepen", "occupations")],
    Role.CTC_ADVISOR: [("/klanten", "caseload"), ("/beroepen", "occupations")],
    Role.EMPLOYER_DESK: [("/werkgever", "employer_vacancies"), ("/beroepen", "occupations")],
    Role.ADMIN: [("/beroepen", "occupations")],
}
UNSENT = "niet_verstuurd"  # on the address a form's page is shown again at, after signing in anew
PAGE_PATHS = ("/klanten", "/beroepen", "/werkgever", "/aanmelden", "/afmelden", "/start")
HOME = {Role.COACH: "/klanten", Role.CTC_ADVISOR: "/klanten", Role.EMPLOYER_DESK: "/werkgever",
        Role.ADMIN: "/start"}


class PageError(Exception):
    def __init__(self, status: int, message_key: str, page: "Page | None" = None):
        self.status, self.message_key, self.page = status, message_key, page


class SignInRequired(Exception):
    def __init__(self, next_path: str, page: "Page"):
        self.next_path, self.page = next_path, page


@dataclass
class Page:
    request: Request
    session: session.PageSession
    principal: Principal | None
    ctx: Ctx | None

    @property
    def lang(self) -> str:
        return self.session.lang

    @property
    def t(self) -> Callable[[str], str]:
        return translator(self.lang)


def call(p: Page, adapter: Callable, *args):
    """Runs an adapter; a problem raised by a shared API function (the 404 for a client the caller
    may not see) becomes an error page instead of problem+json."""
    try:
        return adapter(*args)
    except ApiProblem as exc:
        key = {404: "not_found", 403: "forbidden_text"}.get(exc.status, "failed_text")
        raise PageError(exc.status, key, p) from None


def page(kind: str | None = None, roles: frozenset[Role] | None = None):
    """A dependency: the page's session and caller; with `kind`, the caller must be signed in
    (else to the sign-in page) and have a role allowed for that kind of endpoint (else 403).
    Async for the reason in api/deps.py."""
    async def dependency(request: Request) -> Page:
        s = session.load(request)
        who = session.principal(request, s)
        p = Page(request, s, who, None)
        if kind is None:
            return p
        if who is None:
            raise SignInRequired(_return_to(request), p)
        if not may_use(who, kind) or (roles is not None and who.role not in roles):
            raise PageError(403, "forbidden_text", p)
        p.ctx = await ctx_for(request, who)
        return p
    return dependency


async def form_fields(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (no multipart dependency needed)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def posted(kind: str | None = None, roles: frozenset[Role] | None = None):
    """A dependency for a form POST: the page, and the form once its CSRF token matched."""
    async def dependency(p: Page = Depends(page(kind, roles)),
                         form: dict[str, str] = Depends(form_fields)) -> tuple[Page, dict[str, str]]:
        if not session.csrf_ok(p.session, form.get("csrf")):
            raise PageError(403, "csrf_text", p)
        return p, form
    return dependency


def render(p: Page, template: str, status: int = 200, **context) -> Response:
    r = p.request
    other = "en" if p.lang == "nl" else "nl"
    response = TEMPLATES.TemplateResponse(r, template, {
        "t": p.t, "lang": p.lang, "who": p.principal, "csrf": p.session.csrf,
        "nav": NAV.get(p.principal.role, []) if p.principal else [], "here": r.url.path,
        "unsent": r.query_params.get(UNSENT) == "1",
        "lang_url": _with_lang(r, other),
        "reason_label": lambda code: reason_label(code, p.lang), **context}, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return session.save(r, response, p.session)


def is_page(request: Request) -> bool:
    """A request for one of these pages: its route's endpoint lives in this package."""
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    return getattr(endpoint, "__module__", "").startswith(__package__ + ".")


def _return_to(request: Request) -> str:
    """Where to come back after signing in: this page, or for a form sent after the session ended,
    the page the form was on (signing in cannot send the form again: a GET of its address is a 405)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if not (referer.netloc == request.url.netloc and safe_next(referer.path)):
        return "/"
    kept = [(k, v) for k, v in parse_qsl(referer.query, keep_blank_values=True) if k != UNSENT]
    return referer.path + "?" + urlencode([*kept, (UNSENT, "1")])  # the page then says it was not saved


def is_page_path(request: Request) -> bool:
    """A request under the pages' Dutch paths, matched by a route or not (an unknown address there
    gets a page, not the API's problem document)."""
    return is_page(request) or request.url.path.startswith(PAGE_PATHS)


def error_page(request: Request, status: int, message_key: str, headers: dict | None = None) -> Response:
    """A plain page in the reader's language instead of the API's problem document."""
    s = session.load(request)
    response = render(Page(request, s, session.principal(request, s), None), "error.html", status=status,
                      message_key=message_key)
    response.headers.update(headers or {})
    return response


def unavailable(request: Request, retry_after_s: int) -> Response:
    """The database cannot be reached: a plain Dutch page instead of the API's problem document."""
    return error_page(request, 503, "unavailable_text", {"Retry-After": str(retry_after_s)})


def _with_lang(request: Request, lang: str) -> str:
    u = request.url.include_query_params(lang=lang)
    return f"{u.path}?{u.query}"


def redirect(p: Page, to: str) -> Response:
    return session.save(p.request, RedirectResponse(to, status_code=303), p.session)


def safe_next(value: str | None) -> str | None:
    """Only a path on this site (never //host or a scheme): no open redirect after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def sign_in_url(next_path: str) -> str:
    return "/aanmelden?next=" + quote(next_path, safe="")

