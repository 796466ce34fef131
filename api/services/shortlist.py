"""Candidates for a vacancy as the caller may see them, for the JSON API and the pages alike.

A coach or CTC advisor sees their own clients only, by key, with the coach's decision next to
each. An employer desk, for a vacancy it works for, sees every matchable candidate as a
pseudonymised card (api/access.py) and the identity only of those who consented for this vacancy.
Every listed client is an audited read.
"""
from __future__ import annotations

from typing import Any

from api import audit, client_repository, match_repository, sensitive
from api.access import Role, employer_card
from api.decisions import AdviceKind, advice_ref
from api.deps import Ctx
from api.services import caseload, desks, matching
from matcher.service import MatchService


def candidates(ctx: Ctx, app_state: Any, vacancy_id: str, offset: int, limit: int, lang: str = "nl") -> dict | None:
    """A page of ranked candidates; None when there is no such vacancy (or it is not the desk's)."""
    if not desks.works_for(ctx, vacancy_id):
        return None
    service = matching.matcher(app_state, ctx.driver, ctx.database)
    target = matching.vacancy_target(service, vacancy_id)
    if target is None:
        return None
    desk = ctx.principal.role is Role.EMPLOYER_DESK
    scope = None if desk else caseload.client_keys(ctx, app_state.cache)
    hidden = sensitive.competencies() if desk else frozenset()
    page, total = matching.rank_candidates(service, target, scope, offset, limit)
    # The page's reads are audited from here on: the commit overlaps building the rows.
    with audit.recording_reads(ctx.driver, ctx.database, ctx.principal, page,
                               "candidate_card" if desk else "candidate_list", ctx.endpoint):
        if desk:
            items = _cards(ctx, app_state, vacancy_id, matching.candidate_rows(service, target, page, offset, lang, hidden))
        else:
            items = _coach_rows(ctx, service, target, page, offset, lang)
    return {"vacancy_id": vacancy_id, "title": target.title, "total": total, "offset": offset, "limit": limit,
            "items": items}


def resolve_candidate(ctx: Ctx, app_state: Any, vacancy_id: str, candidate: str, depth: int) -> dict | None:
    """{pseudonym: client key} for `candidate` if it is on the vacancy's first `depth` cards as the
    desk sees them ({} if not); None when there is no such vacancy (or it is not the desk's). Not a
    read of anyone's data."""
    if not desks.works_for(ctx, vacancy_id):
        return None
    service = matching.matcher(app_state, ctx.driver, ctx.database)
    target = matching.vacancy_target(service, vacancy_id)
    if target is None:
        return None
    rows, _ = matching.candidates_for_vacancy(service, target, None, 0, depth,
                                              hidden=sensitive.competencies())
    cards = _cards(ctx, app_state, vacancy_id, rows)
    return {c["candidate"]: r["client_key"] for c, r in zip(cards, rows) if c["candidate"] == candidate}


def _cards(ctx: Ctx, app_state: Any, vacancy_id: str, rows: list[dict]) -> list[dict]:
    """The employer desk's cards: pseudonymised (per consent epoch), without the competencies a
    sensitive scale reaches, with name and e-mail only after consent."""
    states = client_repository.consent_states(ctx.driver, ctx.database, vacancy_id, [r["client_key"] for r in rows])
    hidden = sensitive.competencies()
    cards = []
    for r in rows:
        state = states.get(r["client_key"], client_repository.NOT_CONSENTED)
        cards.append(employer_card(r, app_state.pseudonym_secret, vacancy_id, state.agreed, state.identity,
                                   state.epoch, hidden, state.asked_at))
    return cards



def _coach_rows(ctx: Ctx, service: MatchService, target: matching.Target, page: list[str], offset: int,
                lang: str) -> list[dict]:
    """A coach's rows: the client key as the candidate, and the latest decision on this shortlist
    (read with the rows' facts)."""
    ref = advice_ref(AdviceKind.CANDIDATE, target.id)
    fetched = match_repository.candidates_with_decisions(ctx.driver, ctx.database, page, ref) if page else {}
    rows = matching.candidate_rows(service, target, page, offset, lang, facts={k: f for k, (f, _) in fetched.items()})
    return [{**r, "candidate": r["client_key"], "decision": fetched.get(r["client_key"], ({}, None))[1]} for r in rows]
