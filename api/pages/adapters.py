"""What a page shows beyond one service answer, put together from the services the JSON API uses
(api/services). No rule lives here: access, ranking, pseudonyms, decisions, consent and audit are
the services'; this module only adds what the page needs to show them (instrument names, the source
of each piece of evidence, labels in the page's language).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from api import client_repository
from api.deps import Ctx
from api.services import advice
from api.services import clients as client_service
from api.services.lookup import search_concepts
from competency_atlas.instrument_profiles import load_profiles
from competency_atlas.lookup_repository import concept_names

MEASUREMENTS_SHOWN = 500  # enough to name the source of every piece of evidence
NO_PROFILE = {"competencies": [], "work_history": [], "consents": []}


def short_name(full: str) -> str:
    """'Competentie Testcentra (CTC)' -> 'CTC'; 'ABC-meting (Attitude, Balans, Competenties)' -> 'ABC-meting'."""
    head, _, rest = full.partition(" (")
    inner = rest.rstrip(")")
    return inner if inner.isupper() and " " not in inner else head


@lru_cache(maxsize=2)
def instrument_names(lang: str) -> dict[str, str]:
    return {i: short_name(p.name.en if lang == "en" else p.name.nl) for i, p in load_profiles().items()}


def client_page(ctx: Ctx, key: str) -> dict:
    """Profile and measurements (both reads audited by the service), with each competency's atlas
    kind for the themes."""
    profile, measurements = client_service.read_profile_and_measurements(ctx, key, MEASUREMENTS_SHOWN)
    kinds = concept_names(ctx.driver, ctx.database, [c["uri"] for c in profile["competencies"]])
    return {"profile": profile, "measurements": measurements,
            "kinds": {uri: n.kind for uri, n in kinds.items()}}


def client_vacancies(ctx: Ctx, app_state: Any, key: str, max_km: float | None, only_hours: bool,
                     only_education: bool, offset: int, limit: int, lang: str) -> dict:
    """The ranked vacancies with decisions (api/services/advice.py), and what names each
    requirement's evidence: the client's evidence, work history and measurements, and consents.
    These extra reads only label the advice the service already audited."""
    ranked = advice.client_vacancies(ctx, app_state, key, max_km, offset, limit, lang,
                                     only_hours=only_hours, only_education=only_education)
    found = client_repository.client_profile(ctx.driver, ctx.database, key) or NO_PROFILE  # erased meanwhile
    _, measurements = client_repository.measurements(ctx.driver, ctx.database, key, 0, MEASUREMENTS_SHOWN)
    return {"gate": ranked["gate"], "rows": ranked["items"], "total": ranked["total"],
            "evidence": {c["uri"]: c for c in found["competencies"]}, "work_history": found["work_history"],
            "consents": {c["vacancy_id"] for c in found["consents"]}, "measurements": measurements}


def search_occupations(ctx: Ctx, cache: dict, q: str, lang: str, top: int = 10) -> list[dict]:
    """The fused look-up of GET /occupations?q= over Dutch and English titles, each hit named in
    the page's language."""
    if not q.strip():
        return []
    hits = search_concepts(cache, ctx.driver, ctx.database, ctx.settings, "Occupation", q.strip(), None, top)
    names = concept_names(ctx.driver, ctx.database, [h["uri"] for h in hits])
    return [{**h, "label": names[h["uri"]].label(lang) if h["uri"] in names else h["label"]} for h in hits]


# The vacancy fields a desk fills in on the form, by the name the ingest reports them under
_FORM_FIELDS = {"identifier": "field_identifier", "title": "field_title", "hiringOrganization": "field_employer",
                "jobLocation.address": "field_postal_code", "hoursPerWeek": "field_hours_per_week",
                "workHours": "field_hours_per_week", "employmentType": "field_employment_type",
                "educationRequirements": "field_education", "datePosted": "field_date_posted",
                "description": "field_description"}
_PLACES_NL = (("rows ", "rijen "), ("row ", "rij "), ("line ", "regel "))


def problem_rows(items: list[dict], lang: str, t) -> list[dict]:
    """An ingest answer's rejected items as a page lists them: where (a row of the file, or the
    form), the field by its label on the form, and the reason in the page's language."""
    rows = []
    for item in items:
        for problem in item["problems"]:
            where = problem["location"]
            if lang == "nl":
                where = next((nl + where[len(en):] for en, nl in _PLACES_NL if where.startswith(en)), where)
            where = {"/0": t("ingest_the_form"), "rij 0": t("ingest_header"), "row 0": t("ingest_header"),
                     "": t("ingest_the_file")}.get(where, where)
            field = problem["field"]
            rows.append({"where": where, "field": t(_FORM_FIELDS[field]) if field in _FORM_FIELDS else field,
                         "reason": (problem.get("reason_nl") if lang == "nl" else None) or problem["reason"]})
    return rows
