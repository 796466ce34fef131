"""'Vraag kennismaking aan': an employer desk asks to meet a pseudonymised candidate; the request
lands on the client's coach's caseload. The desk never learns who it is until the client consents
(api/access.py); the pseudonym is resolved here, against the same shortlist the desk saw."""
from __future__ import annotations

from typing import Any

from api import audit, introduction_repository
from api.deps import Ctx
from api.services import shortlist
from graph_schema.db import write_unit

SHORTLIST_DEPTH = 200  # a desk can ask for anyone it could have seen on the shortlist


def request_introduction(ctx: Ctx, app_state: Any, vacancy_id: str, candidate: str) -> bool | None:
    """True when recorded (or already asked); False when the pseudonym is not on this vacancy's
    shortlist; None when there is no such vacancy. An audited write."""
    found = shortlist.resolve_candidate(ctx, app_state, vacancy_id, candidate, SHORTLIST_DEPTH)
    if found is None:
        return None
    key = found.get(candidate)
    if key is None:
        return False

    def ask(tx) -> None:  # the request and its entry stand or fall together
        introduction_repository.request_recorded(tx, key, vacancy_id, ctx.principal.subject)
        audit.act_recorded(tx, ctx.principal, "introduction_request", ctx.endpoint, client_key=key,
                           target=f"vacancy:{vacancy_id}")

    write_unit(ctx.driver, ctx.database, ask)
    return True
