"""The coach's (and CTC advisor's) pages: caseload, client, vacancies nearby with decision and
consent inline, occupations, ontwikkelpunten and wat als. Each route calls one service function
(api/services, the same as the JSON route's) or a page adapter over it (`call` turns the shared
404 into a page) and renders one template."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query

from api.access import Role
from api.decisions import ReasonCode
from api.pages import adapters
from api.pages.client_views import client_view, gap_view, sensitive_rows, vacancies_view
from api.pages.i18n import reason_label
from api.pages.web import Page, PageError, call, page, posted, redirect, render
from api.services import advice, caseload as caseload_service, consent as consent_service
from api.services import decisions as decision_service
from api.services.measurements import observation_scales, record_observation

router = APIRouter()
KEY = Path(..., min_length=1, max_length=200)
PER_PAGE = 25
# A vacancy card carries its requirements, the decision and the consent forms (~5.5 kB of HTML):
# ten a page keep the page near 55 kB on a slow municipal network and its rendering near 4 ms.
VACANCIES_PER_PAGE = 10
COACH = frozenset({Role.COACH})
TARGET_VACANCY = Query(None, max_length=200)
TARGET_OCCUPATION = Query(None, max_length=500)
OVERRIDE_REASONS = [c.value for c in ReasonCode if c is not ReasonCode.AGREES_WITH_ADVICE]


@lru_cache(maxsize=None)
def override_reasons(lang: str) -> list[tuple[str, str]]:
    """(code, label) of each reason to override an advice: one list per language, not a label per card."""
    return [(code, reason_label(code, lang)) for code in OVERRIDE_REASONS]


@router.get("/klanten")
def caseload(q: str = Query("", max_length=200), offset: int = Query(0, ge=0, le=1_000_000),
             p: Page = Depends(page("client_read"))):
    listed = caseload_service.overview(p.ctx, p.request.app.state.cache, q, offset, PER_PAGE)
    return render(p, "caseload.html", q=q, rows=listed["items"], total=listed["total"], offset=offset,
                  per_page=PER_PAGE)


@router.get("/klanten/{key}")
def client(key: str = KEY, waarneming: str | None = Query(None, max_length=20), gevoelig: bool = False,
           fout: str | None = Query(None, max_length=20), p: Page = Depends(page("client_read"))):
    """The client page; `gevoelig=1` (coaches only) adds the psychological blocks, on request."""
    data = call(p, adapters.client_page, p.ctx, p.request.app.state, key, p.lang)
    coach = p.principal.role is Role.COACH
    return render(p, "client.html", c=client_view(data, p.lang, coach, coach and gevoelig), key=key, fout=fout, may_decide=coach,
                  reasons=override_reasons(p.lang), observed=waarneming, may_observe=coach,
                  scales=observation_scales(p.lang), show_sensitive=coach and gevoelig, may_see_sensitive=coach,
                  sensitive=sensitive_rows(data["measurements"], p.lang) if coach and gevoelig else [])


@router.post("/klanten/{key}/waarneming")
def observe(key: str = KEY, sent=Depends(posted("measurement_ingest", COACH))):
    """A coach observation, through the same service as POST /clients/{key}/observations."""
    p, form = sent
    # the text as typed ("4", "4,5", "²"): the ingest reads and checks it as it does any score
    result = record_observation(p.request.app.state, p.ctx.driver, p.ctx.database, p.ctx.settings,
                                p.principal, key, form.get("scale", ""), form.get("score", "").strip())
    status = result["items"][0]["status"] if result.get("items") else "rejected"
    return redirect(p, f"/klanten/{quote(key, safe='')}?waarneming={'ok' if status != 'rejected' else 'fout'}")


@router.get("/klanten/{key}/vacatures")
def vacancies(key: str = KEY, max_km: float | None = Query(None, gt=0, le=500), uren: bool = False,
              opleiding: bool = False, offset: int = Query(0, ge=0, le=10_000), fout: str | None = Query(None),
              vacature: str | None = Query(None, min_length=1, max_length=200),
              p: Page = Depends(page("client_matching"))):
    """The ranked vacancies; `vacature`: one to show as well wherever it ranks (the caseload's link
    to a vacancy an employer desk asked an introduction for)."""
    data = call(p, adapters.client_vacancies, p.ctx, p.request.app.state, key, max_km, uren, opleiding, offset,
                VACANCIES_PER_PAGE, p.lang, vacature)
    return render(p, "vacancies.html", key=key, gate=data["gate"], gate_measured=data["gate_measured"],
                  rows=vacancies_view(data, p.lang), total=data["total"], offset=offset, per_page=VACANCIES_PER_PAGE,
                  max_km=max_km, uren=uren, opleiding=opleiding, vacature=vacature, fout=fout,
                  may_decide=p.principal.role is Role.COACH, reasons=override_reasons(p.lang))


def _back(key: str, form: dict[str, str], **extra) -> str:
    """Back where the coach acted: the vacancies page with its filters at the vacancy's card, the
    occupations page at the occupation's, or the client page at the gate."""
    client, kind = f"/klanten/{quote(key, safe='')}", form.get("kind") or "vacancy"
    if kind == "gate":  # the sensitive view stays open if it was
        query = urlencode({**({"gevoelig": "1"} if form.get("gevoelig") == "1" else {}), **extra})
        return client + (f"?{query}" if query else "") + "#h-gate"
    if kind == "occupation":
        query = urlencode({**({"offset": form["offset"]} if form.get("offset") else {}), **extra})
        return client + "/beroepen" + (f"?{query}" if query else "") + "#o-" + quote(form.get("target", ""), safe="")
    keep = {k: form[k] for k in ("max_km", "uren", "opleiding", "offset", "vacature") if form.get(k)}
    query = urlencode({**keep, **extra})
    anchor = quote(form.get("target") or form.get("vacancy_id") or "", safe="")
    return client + "/vacatures" + (f"?{query}" if query else "") + f"#v-{anchor}"


@router.post("/klanten/{key}/besluit")
def decide(key: str = KEY, sent=Depends(posted("decide", COACH))):
    p, form = sent
    try:
        call(p, decision_service.record_decision, p.ctx, key, form.get("kind") or "vacancy", form.get("target", ""),
             form.get("choice", ""), form.get("reason_code", ""), form.get("reason_text", ""))
    except decision_service.InvalidDecision as exc:  # the row shows what to add (?fout=)
        failed = form.get("target", "")
        if form.get("kind") == "gate":  # a target refused: the gate changed after the page was drawn
            failed = "gate-veranderd" if any(f == "target" for f, _ in exc.problems) else "gate"
        return redirect(p, _back(key, form, fout=failed))
    return redirect(p, _back(key, form))


@router.post("/klanten/{key}/toestemming")
def consent(key: str = KEY, sent=Depends(posted("consent", COACH))):
    p, form = sent
    vacancy_id = form.get("vacancy_id", "")
    if form.get("give") == "1":
        if call(p, consent_service.give_consent, p.ctx, key, vacancy_id) is None:
            raise PageError(404, "not_found", p)
    else:
        call(p, consent_service.withdraw_consent, p.ctx, key, vacancy_id)
    return redirect(p, _back(key, form))


def _changes(p: Page) -> list[tuple[str, float]]:
    """Slider pairs l:<uri>=<0..100> with their starting value o:<uri>; only moved ones count."""
    q = p.request.query_params
    out = []
    for name, value in q.multi_items():
        if name.startswith("l:") and value.isdigit() and q.get("o:" + name[2:]) != value:
            out.append((name[2:], min(int(value), 100) / 100))
    return out[:50]


@router.get("/klanten/{key}/ontwikkelpunten")
def gap(key: str = KEY, vacature: str | None = TARGET_VACANCY, beroep: str | None = TARGET_OCCUPATION,
        p: Page = Depends(page("client_matching"))):
    """Ontwikkelpunten for a vacancy or occupation, with the what-if of moved sliders (no JavaScript:
    the form reloads this page)."""
    found = call(p, adapters.client_gap, p.ctx, p.request.app.state, key, *_target(p, vacature, beroep), p.lang)
    changes = _changes(p)
    return render(p, "gap.html", key=key, g=gap_view(found, p.lang), w=_what_if(p, key, vacature, beroep, changes),
                  vacature=vacature, beroep=beroep, moved={c: round(lv * 100) for c, lv in changes})


@router.get("/klanten/{key}/wat-als")
def what_if(key: str = KEY, vacature: str | None = TARGET_VACANCY, beroep: str | None = TARGET_OCCUPATION,
            p: Page = Depends(page("client_matching"))):
    """The what-if as an HTML fragment, fetched while a slider moves."""
    return render(p, "_what_if.html", w=_what_if(p, key, vacature, beroep, _changes(p)))


def _target(p: Page, vacature: str | None, beroep: str | None) -> tuple[str | None, str | None]:
    """(vacancy id, occupation URI) as the service takes them: a vacancy wins when a hand-made URL
    names both; naming neither is a page that does not exist."""
    if vacature:
        return vacature, None
    if beroep:
        return None, beroep
    raise PageError(404, "not_found", p)


def _what_if(p: Page, key: str, vacature: str | None, beroep: str | None,
             changes: list[tuple[str, float]]) -> dict | None:
    """The what-if of the moved sliders; None (the prompt to move one) when none moved."""
    if not changes:
        return None
    return call(p, advice.client_what_if, p.ctx, p.request.app.state, key, *_target(p, vacature, beroep), changes,
                p.lang)


@router.get("/klanten/{key}/beroepen")
def occupations(key: str = KEY, fout: str | None = Query(None, max_length=500),
                offset: int = Query(0, ge=0, le=10_000), p: Page = Depends(page("client_matching"))):
    data = call(p, advice.client_occupations, p.ctx, p.request.app.state, key, offset, PER_PAGE, p.lang,
                adapters.hidden_from(p.ctx))
    return render(p, "client_occupations.html", key=key, gate=data["gate"], gate_measured=data["gate_measured"],
                  total=data["total"], rows=data["items"], offset=offset, per_page=PER_PAGE, fout=fout,
                  may_decide=p.principal.role is Role.COACH, reasons=override_reasons(p.lang))
