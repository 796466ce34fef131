"""The client report (rapportage): the page (printable, A4), its PDF, saving the coach's choices
(agreements, sensitive blocks, language) and the two acknowledgements. Coaches (their own
clients) and CTC advisors read it; only the client's coach saves and acknowledges; for any other
role the report does not exist (404, like a client that is not yours)."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from api.access import Role
from api.pages import report_adapters as adapters
from api.pages import report_words, session
from api.pages.web import SECURITY_HEADERS, Page, PageError, call, form_fields, page, redirect, render
from api.threads import long_running

router = APIRouter()
KEY = Path(..., min_length=1, max_length=200)
VERSION = Query(None, pattern="^[0-9a-f]{64}$", description="an earlier version by its hash")
_READ = page("client_read")


async def reader(request: Request) -> Page:
    """A signed-in coach or CTC advisor; any other role gets the report's 404."""
    try:
        return await _READ(request)
    except PageError as exc:
        if exc.status == 403:
            raise PageError(404, "not_found", exc.page) from None
        raise


async def coach_form(p: Page = Depends(reader), form: dict[str, str] = Depends(form_fields)) -> tuple[Page, dict]:
    """A CSRF-checked form from the client's coach (an advisor may read, not sign)."""
    if not session.csrf_ok(p.session, form.get("csrf")):
        raise PageError(403, "csrf_text", p)
    if p.principal.role is not Role.COACH:
        raise PageError(403, "forbidden_text", p)
    return p, form


def _here(key: str, **query: str) -> str:
    q = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"/klanten/{quote(key, safe='')}/rapport" + (f"?{q}" if q else "")


def _report(p: Page, key: str, versie: str | None) -> dict:
    """The current report, or with `versie` a stored one exactly as it was acknowledged, as this
    reader may see it (report_adapters)."""
    return call(p, adapters.read_version, p.ctx, key, versie) if versie else \
        call(p, adapters.read_report, p.ctx, p.request.app.state, key)


@router.get("/klanten/{key}/rapport")
def report_page(key: str = KEY, versie: str | None = VERSION, fout: str | None = Query(None, max_length=40),
                p: Page = Depends(reader)):
    now = _report(p, key, versie)
    return render(p, "report.html", key=key, r=now["content"], digest=now["hash"], state=now["state"],
                  opts=now["options"], w=report_words.words(now["content"]["lang"]),
                  tw=report_words.words(p.lang), rw=report_words, fout=fout, versie=versie,
                  saved=now.get("saved"), intact=now.get("intact", True),
                  may_sign=p.principal.role is Role.COACH and not versie)


@router.get("/klanten/{key}/rapport.pdf")
@long_running
def report_pdf_file(key: str = KEY, versie: str | None = VERSION, p: Page = Depends(reader)):
    now = _report(p, key, versie)
    # fpdf on the first PDF, not at import: ~20 MB of private memory in every API worker, most of
    # which never print a report (docs/bench-api.md)
    from api.pages import report_pdf

    body = report_pdf.render(now["content"], now["hash"], now["state"])
    name = "rapportage-" + "".join(ch for ch in key if (ch.isascii() and ch.isalnum()) or ch in "-_")[:60] + ".pdf"
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'inline; filename="{name}"'}
    return session.save(p.request, Response(body, media_type="application/pdf", headers=headers), p.session)


@router.post("/klanten/{key}/rapport")
def save(key: str = KEY, sent=Depends(coach_form)):
    p, form = sent
    call(p, adapters.save_report, p.ctx, p.request.app.state, key, form.get("agreements", ""),
         form.get("sensitive") == "1", form.get("report_lang", "nl"))
    return redirect(p, _here(key))


@router.post("/klanten/{key}/rapport/gezien")
def acknowledge(key: str = KEY, sent=Depends(coach_form)):
    p, form = sent
    role = form.get("role", "")
    if role not in ("coach", "client"):
        raise PageError(400, "not_found", p)
    result = call(p, adapters.acknowledge, p.ctx, p.request.app.state, key, role, form.get("hash", ""))
    return redirect(p, _here(key, fout="veranderd") + "#gezien" if result == "changed" else _here(key) + "#gezien")
