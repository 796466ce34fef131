"""Advice about one client, as a coach or CTC advisor sees it, for the JSON API and the pages
alike: ranked vacancies and occupations with the coach's latest decision next to each, the gap to a
vacancy or occupation, and the what-if. Each reaches the client only if the caller may see it
(else the shared 404) and is an audited read.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api import audit
from api.decisions import AdviceKind, advice_ref
from api.deps import Ctx, read_visible
from api.problems import ApiProblem
from api.services import matching
from matcher.service import MatchService, NotFound

NOT_MATCHABLE_NOTE = ("This client's gate is not_matchable: no job suggestions until the gate changes "
                      "(a coach may record an override decision on the gate).")


def client_with_gate(ctx: Ctx, key: str) -> dict:
    """The visible client's gate, or the shared 404 (one read for both)."""
    return read_visible(ctx, key, matching.client_for_ranking)


def client_vacancies(ctx: Ctx, app_state: Any, key: str, max_km: float | None, offset: int, limit: int,
                     lang: str = "nl", only_hours: bool = False, only_education: bool = False,
                     hidden: frozenset[str] = frozenset(), pinned: str | None = None) -> dict:
    """A page of open vacancies ranked for the client (filters: api/services/matching.py), each
    with the coach's latest decision on it; `hidden` competencies neither named nor counted.
    `pinned`: a vacancy to show as well, wherever it ranks (one an employer desk asked an
    introduction for), as `pinned` when it is not on this page."""
    client = client_with_gate(ctx, key)
    service = matching.matcher(app_state, ctx.driver, ctx.database)
    with _recording(ctx, key, "match_vacancies"):
        rows, total = matching.vacancies_for_client(service, client, max_km, offset, limit, lang,
                                                    only_hours=only_hours, only_education=only_education,
                                                    hidden=hidden)
        asked = None
        if pinned is not None and all(r["vacancy"]["id"] != pinned for r in rows):
            asked = matching.vacancy_for_client(service, client, pinned, lang, hidden)
    shown = rows + ([asked] if asked else [])
    items = _with_decisions(client, shown, [advice_ref(AdviceKind.VACANCY, r["vacancy"]["id"]) for r in shown])
    return {**_page(client, total, offset, limit, items[:len(rows)]), "pinned": items[len(rows)] if asked else None}


def client_occupations(ctx: Ctx, app_state: Any, key: str, offset: int, limit: int, lang: str = "nl",
                       hidden: frozenset[str] = frozenset()) -> dict:
    """A page of occupations ranked for the client, each with the coach's latest decision on it."""
    client = client_with_gate(ctx, key)
    service = matching.matcher(app_state, ctx.driver, ctx.database)
    with _recording(ctx, key, "match_occupations"):
        rows, total = matching.occupations_for_client(service, client, offset, limit, lang, hidden)
    items = _with_decisions(client, rows, [advice_ref(AdviceKind.OCCUPATION, r["occupation"]["uri"]) for r in rows])
    return _page(client, total, offset, limit, items)


def _with_decisions(client: dict, rows: list[dict], refs: list[str]) -> list[dict]:
    """Each row with the coach's latest decision on it (read with the client)."""
    return [{**r, "decision": client["decisions"].get(ref)} for r, ref in zip(rows, refs)]


def _page(client: dict, total: int, offset: int, limit: int, items: list[dict]) -> dict:
    gate = client["gate"]
    return {"client_key": client["key"], "gate": gate, "gate_measured": client.get("gate_measured"), "total": total, "offset": offset, "limit": limit,
            "items": items, "note": NOT_MATCHABLE_NOTE if gate == "not_matchable" else None}


def target(ctx: Ctx, service: MatchService, vacancy_id: str | None, occupation_uri: str | None,
           lang: str = "nl") -> matching.Target:
    """The vacancy or occupation a gap or what-if is about: exactly one of the two (else 422), and
    it must exist (else 404)."""
    if (vacancy_id is None) == (occupation_uri is None):
        raise ApiProblem(422, "Give exactly one of vacancy_id and occupation_uri.", errors=[
            {"location": "query", "pointer": "/vacancy_id", "field": "vacancy_id",
             "message": "exactly one of vacancy_id, occupation_uri", "type": "value_error"}])
    if vacancy_id is not None:
        found = matching.vacancy_target(service, vacancy_id)
        if found is None:
            raise ApiProblem(404, "No vacancy with this id.")
        return found
    found_occupation = matching.occupation_target(ctx.driver, ctx.database, occupation_uri, lang)
    if found_occupation is None:
        raise ApiProblem(404, "No occupation with this URI in the atlas.")
    return found_occupation


def client_gap(ctx: Ctx, app_state: Any, key: str, vacancy_id: str | None, occupation_uri: str | None,
               lang: str = "nl", hidden: frozenset[str] = frozenset(), ranks: bool = False) -> dict:
    """What stands between the client and a vacancy or occupation (api/services/matching.py)."""
    client = client_with_gate(ctx, key)
    service = matching.matcher(app_state, ctx.driver, ctx.database)
    goal = target(ctx, service, vacancy_id, occupation_uri, lang)
    with _recording(ctx, key, "gap"), _not_indexed():
        return matching.gap(service, client, goal, lang, hidden, ranks)


def client_what_if(ctx: Ctx, app_state: Any, key: str, vacancy_id: str | None, occupation_uri: str | None,
                   changes: list[tuple[str, float]], lang: str = "nl") -> dict:
    """How the client's fit, rank and vacancies within reach would change (nothing is stored)."""
    client = client_with_gate(ctx, key)
    service = matching.matcher(app_state, ctx.driver, ctx.database)
    goal = target(ctx, service, vacancy_id, occupation_uri, lang)
    with _recording(ctx, key, "what_if"), _not_indexed():
        return matching.what_if(service, client, goal, changes, lang)


def _recording(ctx: Ctx, key: str, action: str):
    """The client's read audited while the block works out the answer (api/audit.recording_reads):
    entered once the client is known to be visible and the target to exist."""
    return audit.recording_reads(ctx.driver, ctx.database, ctx.principal, [key], action, ctx.endpoint)


@contextmanager
def _not_indexed() -> Iterator[None]:
    """The matcher's NotFound (a client, target or competency the compiled index does not hold)
    is a 404 with its reason, not an internal error."""
    try:
        yield
    except NotFound as exc:
        raise ApiProblem(404, str(exc)) from None
