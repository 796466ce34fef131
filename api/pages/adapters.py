"""What a page shows beyond one service answer, put together from the services the JSON API uses
(api/services). No rule lives here: access, ranking, pseudonyms, decisions, consent and audit are
the services'; this module only adds what the page needs to show them (instrument names, the source
of each piece of evidence, labels in the page's language).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from api import client_repository, sensitive
from api.access import sees_sensitive_on_pages
from api.deps import Ctx
from api.pages.views import STATUSES
from api.services import advice
from api.services import clients as client_service
from api.services.lookup import search_concepts
from competency_atlas.instrument_profiles import shipped_profiles
from competency_atlas.lookup_repository import concept_names

MEASUREMENTS_SHOWN = 500  # enough to name the source of every piece of evidence
NO_SOURCES = {"evidence": {}, "work_history": [], "consents": set(), "measurements": []}


def short_name(full: str) -> str:
    """'Competentie Testcentra (CTC)' -> 'CTC'; 'ABC-meting (Attitude, Balans, Competenties)' -> 'ABC-meting'."""
    head, _, rest = full.partition(" (")
    inner = rest.rstrip(")")
    return inner if inner.isupper() and " " not in inner else head


@lru_cache(maxsize=2)
def instrument_names(lang: str) -> dict[str, str]:
    return {i: short_name(p.name.en if lang == "en" else p.name.nl) for i, p in shipped_profiles().items()}


def client_page(ctx: Ctx, app_state: Any, key: str, lang: str) -> dict:
    """Profile and measurements (both reads audited by the service), with each competency's atlas
    kind for the themes and the availability in words."""
    profile, measurements = client_service.read_profile_and_measurements(ctx, key, MEASUREMENTS_SHOWN)
    return {"profile": profile, "measurements": measurements,
            "kinds": _kinds(ctx, app_state, [c["uri"] for c in profile["competencies"]]),
            "availability": client_service.availability(ctx.driver, ctx.database, profile["attributes"], lang)}


def _kinds(ctx: Ctx, app_state: Any, uris: list[str]) -> dict[str, str | None]:
    """The competencies' atlas kinds: kept by the match service once its index is up (a page
    never waits for an index to be built), read here before that."""
    service = getattr(app_state, "matcher", None)
    if service is not None and service.driver is ctx.driver and service.status()["built"]:
        return service.competency_kinds(uris)
    return {uri: n.kind for uri, n in concept_names(ctx.driver, ctx.database, uris).items()}


def hidden_from(ctx: Ctx) -> frozenset[str]:
    """Competencies a sensitive scale measured (ABC stabiliteit, ambitie) say what the
    psychological blocks say: on the pages the client's coach sees them, a CTC advisor does not
    (pages.md principle 6; the JSON API gives an advisor the full profile, api/access.py)."""
    return frozenset() if sees_sensitive_on_pages(ctx.principal) else sensitive.competencies()


def client_vacancies(ctx: Ctx, app_state: Any, key: str, max_km: float | None, only_hours: bool,
                     only_education: bool, offset: int, limit: int, lang: str, pinned: str | None = None) -> dict:
    """The ranked vacancies with decisions (api/services/advice.py), and what names each
    requirement's evidence: the client's evidence, work history and measurements, and consents.
    These extra reads only label the advice the service already audited."""
    ranked = advice.client_vacancies(ctx, app_state, key, max_km, offset, limit, lang,
                                     only_hours=only_hours, only_education=only_education,
                                     hidden=hidden_from(ctx), pinned=pinned)
    rows = ranked["items"] + ([ranked["pinned"]] if ranked["pinned"] else [])
    named = {c["uri"] for r in rows for status in STATUSES for c in r.get(status, [])}
    found = client_repository.evidence_sources(ctx.driver, ctx.database, key, named) or NO_SOURCES  # erased meanwhile
    return {"gate": ranked["gate"], "gate_measured": ranked["gate_measured"], "rows": ranked["items"],
            "pinned": ranked["pinned"], "total": ranked["total"], **found}


def client_gap(ctx: Ctx, app_state: Any, key: str, vacancy_id: str | None, occupation_uri: str | None,
               lang: str) -> dict:
    """The gap with each point's place once reached (api/services/advice.py), and what names the
    evidence of the points measured below their level (read after the audited gap, like a ranked
    page's)."""
    gap = advice.client_gap(ctx, app_state, key, vacancy_id, occupation_uri, lang, hidden_from(ctx), ranks=True)
    named = {g["competency"] for g in gap["gaps"]}
    found = client_repository.evidence_sources(ctx.driver, ctx.database, key, named) or NO_SOURCES
    return {"gap": gap, **found}


def search_occupations(ctx: Ctx, cache: dict, q: str, lang: str, top: int = 10) -> list[dict]:
    """The fused look-up of GET /occupations?q= over Dutch and English titles, each hit named in
    the page's language."""
    if not q.strip():
        return []
    return search_concepts(cache, ctx.driver, ctx.database, ctx.settings, "Occupation", q.strip(), None, top,
                           name_in=lang)


# The vacancy fields a desk fills in on the form, by the name the ingest reports them under
_FORM_FIELDS = {"identifier": "field_identifier", "title": "field_title", "hiringOrganization": "field_employer",
                "jobLocation.address": "field_postal_code", "hoursPerWeek": "field_hours_per_week",
                "workHours": "field_hours_per_week", "employmentType": "field_employment_type",
                "educationRequirements": "field_education", "datePosted": "field_date_posted",
                "description": "field_description", "jobLocation": "field_location", "skills": "field_skills"}
_ROW, _LINE, _ITEM = re.compile(r"row (\d+)$"), re.compile(r"line (\d+)(?:, column (\d+))?"), re.compile(r"/(\d+)")


def problem_rows(items: list[dict], lang: str, t, from_form: bool = False) -> list[dict]:
    """An ingest answer's rejected items as a page lists them: where (the form, or a place in the
    file as the desk sees it), the field by its label on the form, the reason in the page's language."""
    return [_problem_row(problem, lang, t, from_form) for item in items for problem in item["problems"]]


def warning_rows(warnings: list[dict], lang: str, t, from_form: bool = False) -> list[dict]:
    """What landed but deserves a look (a place not found, a skill kept as text), listed the same way."""
    return [_problem_row(warning, lang, t, from_form) for warning in warnings]


def _problem_row(problem: dict, lang: str, t, from_form: bool) -> dict:
    # on the form, where a vacancy is is only its postcode
    field = "jobLocation.address" if from_form and problem["field"] == "jobLocation" else problem["field"]
    return {"where": _place(problem["location"], t, from_form),
            "field": t(_FORM_FIELDS[field]) if field in _FORM_FIELDS else field,
            "reason": (problem.get("reason_nl") if lang == "nl" else None) or problem["reason"]}


def _place(location: str, t, from_form: bool) -> str:
    if from_form:
        return t("ingest_the_form")
    if not location:
        return t("ingest_the_file")
    if row := _ROW.match(location):  # data rows count from the first under the header: the sheet's is one more
        number = int(row[1])
        return t("ingest_header") if number == 0 else f"{t('ingest_row')} {number + 1}"
    if line := _LINE.match(location):
        return f"{t('ingest_line')} {line[1]}" + (f", {t('ingest_column')} {line[2]}" if line[2] else "")
    if item := _ITEM.match(location):  # the n-th posting of a JSON file
        return f"{t('ingest_vacancy')} {int(item[1]) + 1}"
    return location
