"""Consent: the client agrees (through their coach) to share their identity with one vacancy's
employer desk, or withdraws that (which also gives the client a new pseudonym on that vacancy's
cards, api/access.py). Both are audited acts. For the JSON API and the pages alike."""
from __future__ import annotations

from api import audit, client_repository, introduction_repository
from api.deps import Ctx, visible_client


def give_consent(ctx: Ctx, key: str, vacancy_id: str) -> dict | None:
    """Records the consent of a visible client for one vacancy; None when there is no such vacancy."""
    visible_client(ctx, key)
    if not client_repository.vacancy_exists(ctx.driver, ctx.database, vacancy_id):
        return None
    at = client_repository.record_consent(ctx.driver, ctx.database, key, vacancy_id, ctx.principal.subject)
    introduction_repository.answer_request(ctx.driver, ctx.database, key, vacancy_id, "consent", ctx.principal.subject)
    audit.record_act(ctx.driver, ctx.database, ctx.principal, "consent_given", ctx.endpoint, client_key=key,
                     target=f"vacancy:{vacancy_id}")
    return {"client_key": key, "vacancy_id": vacancy_id, "consented": True, "at": at}


def withdraw_consent(ctx: Ctx, key: str, vacancy_id: str) -> dict:
    """Ends the consent (if any): withdrawing what was never given, or for a vacancy that is gone,
    is not an error — the answer is the same, no consent."""
    visible_client(ctx, key)
    withdrawn = client_repository.withdraw_consent(ctx.driver, ctx.database, key, vacancy_id)
    audit.record_act(ctx.driver, ctx.database, ctx.principal,
                     "consent_withdrawn" if withdrawn else "consent_withdrawn_none_given", ctx.endpoint,
                     client_key=key, target=f"vacancy:{vacancy_id}")
    return {"client_key": key, "vacancy_id": vacancy_id, "consented": False, "at": None}
