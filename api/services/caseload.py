"""The caller's caseload (a coach's clients, a CTC advisor's referrals): the JSON list, the coach's
overview page and the scope of a candidate list all come from here. Every listed client is an
audited read."""
from __future__ import annotations

from api import audit, client_repository, decision_repository, introduction_repository
from api.decisions import AdviceKind, advice_ref
from api.deps import Ctx

# Gates the coach has to decide on (follow or override) before the client moves on.
NEEDS_DECISION = ("needs_support", "not_matchable")


def client_keys(ctx: Ctx) -> list[str]:
    """Every client the caller may see: a coach's or advisor's scope (not audited: nothing is shown)."""
    return client_repository.scope_keys(ctx.driver, ctx.database, ctx.principal.role.value, ctx.principal.subject)


def list_clients(ctx: Ctx, offset: int, limit: int, search: str = "") -> dict:
    """A page of the caller's clients by key (`search`: keys containing it), audited."""
    total, items = client_repository.caseload(ctx.driver, ctx.database, ctx.principal.role.value,
                                              ctx.principal.subject, offset, limit, search)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [i["key"] for i in items], "list_caseload",
                       ctx.endpoint)
    return {"total": total, "offset": offset, "limit": limit, "items": items}


def overview(ctx: Ctx, search: str, offset: int, limit: int) -> dict:
    """The caseload page: each listed client with its gate, the date of its newest measurement,
    whether its gate still waits for the coach's decision, and the vacancies for which an employer
    desk asked an introduction (four queries, whatever the page size)."""
    listed = list_clients(ctx, offset, limit, search)
    items = listed["items"]
    keys = [i["key"] for i in items]
    last = client_repository.last_measured(ctx.driver, ctx.database, keys)
    waiting = open_gate_decisions(ctx, items)
    asked = introduction_repository.open_requests(ctx.driver, ctx.database, keys)
    listed["items"] = [{**i, "last_measured": last.get(i["key"]), "open_gate_decision": i["key"] in waiting,
                        "introduction_requests": asked.get(i["key"], [])} for i in items]
    return listed


def open_gate_decisions(ctx: Ctx, clients: list[dict]) -> set[str]:
    """Keys of the clients whose gate needs a decision and has none yet."""
    gated = {c["key"]: advice_ref(AdviceKind.GATE, c["gate"]) for c in clients if c.get("gate") in NEEDS_DECISION}
    if not gated:
        return set()
    decided = decision_repository.decisions_for_many(ctx.driver, ctx.database, list(gated),
                                                     sorted(set(gated.values())))
    return {key for key, ref in gated.items() if (key, ref) not in decided}
