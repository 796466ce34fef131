"""Consent: the client agrees (through their coach) to share their identity with one vacancy's
employer desk, or withdraws that (which also gives the client a new pseudonym on that vacancy's
cards, api/access.py). Both are audited acts: the act, the introduction request it answers and its
audit entry are one transaction, so no identity is shown without its entry. For the JSON API and
the pages alike."""
from __future__ import annotations

from api import audit, client_repository, introduction_repository
from api.deps import Ctx, visible_client
from graph_schema.db import write_unit


def give_consent(ctx: Ctx, key: str, vacancy_id: str) -> dict | None:
    """Records the consent of a visible client for one vacancy; None when there is no such vacancy."""
    visible_client(ctx, key)
    subject = ctx.principal.subject

    def give(tx) -> str | None:
        at = client_repository.consent_given(tx, key, vacancy_id, subject)
        if at is not None:
            introduction_repository.request_answered(tx, key, vacancy_id, "consent", subject)
            audit.act_recorded(tx, ctx.principal, "consent_given", ctx.endpoint, client_key=key,
                               target=f"vacancy:{vacancy_id}")
        return at

    at = write_unit(ctx.driver, ctx.database, give)
    if at is None:  # no such vacancy: nothing written
        return None
    return {"client_key": key, "vacancy_id": vacancy_id, "consented": True, "at": at}


def withdraw_consent(ctx: Ctx, key: str, vacancy_id: str) -> dict:
    """Ends the consent (if any): withdrawing what was never given, or for a vacancy that is gone,
    is not an error — the answer is the same, no consent."""
    visible_client(ctx, key)

    def withdraw(tx) -> None:
        withdrawn = client_repository.consent_withdrawn(tx, key, vacancy_id)
        audit.act_recorded(tx, ctx.principal, "consent_withdrawn" if withdrawn else "consent_withdrawn_none_given",
                           ctx.endpoint, client_key=key, target=f"vacancy:{vacancy_id}")

    write_unit(ctx.driver, ctx.database, withdraw)
    return {"client_key": key, "vacancy_id": vacancy_id, "consented": False, "at": None}
