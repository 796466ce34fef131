"""The caller's caseload (a coach's clients, a CTC advisor's referrals): the JSON list, the coach's
overview page and the scope of a candidate list all come from here. Every listed client is an
audited read."""
from __future__ import annotations

from api import audit, client_repository, decision_repository, introduction_repository
from api.decisions import AdviceKind, advice_ref
from api.deps import Ctx
from matcher.index import Scope
from matcher.lru import LruMap

# Gates the coach has to decide on (follow or override) before the client moves on.
NEEDS_DECISION = ("needs_support", "not_matchable")


CASELOADS_HELD = 1024  # callers whose caseload a process keeps (a 100k-client caseload: ~7 MB)


def client_keys(ctx: Ctx, cache: dict) -> Scope:
    """Every client the caller may see, sorted: a coach's or advisor's scope (not audited: nothing
    is shown), named by caller and access token so the match index keeps its rows too."""
    # each caller's caseload as last read, with the access token it was read at: a request asks the
    # graph only whether that token still holds (one small read) instead of reading 100k keys again
    held_caseloads: LruMap[tuple[str, tuple[str, ...]]] = (
        cache.get("caseloads") or cache.setdefault("caseloads", LruMap(CASELOADS_HELD)))
    who = (ctx.principal.role.value, ctx.principal.subject)
    held = held_caseloads.get(who)
    token, keys = client_repository.scope_keys(ctx.driver, ctx.database, *who,
                                               known=None if held is None else held[0])
    if keys is None:  # unchanged since it was held
        return Scope(held[1], who, token)
    keys = tuple(sorted(keys))  # sorted once: pages of the caseload are slices
    if token is None:  # no access token in this graph yet: nothing can be held
        return Scope(keys)
    held_caseloads.put(who, (token, keys))
    return Scope(keys, who, token)


def list_clients(ctx: Ctx, cache: dict, offset: int, limit: int, search: str = "") -> dict:
    """A page of the caller's clients by key (`search`: keys containing it, any case), audited.
    Paged from the held caseload (sorted once per access token), so a caseload of 100k
    clients costs a page's read, not a sort of all of them per request."""
    keys = client_keys(ctx, cache).keys
    needle = search.strip().lower()
    if needle:
        keys = [k for k in keys if needle in k.lower()]
    items = client_repository.client_rows(ctx.driver, ctx.database, ctx.principal.role.value, ctx.principal.subject,
                                          list(keys[offset:offset + limit]))
    total = len(keys)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [i["key"] for i in items], "list_caseload",
                       ctx.endpoint)
    return {"total": total, "offset": offset, "limit": limit, "items": items}


def overview(ctx: Ctx, cache: dict, search: str, offset: int, limit: int) -> dict:
    """The caseload page: each listed client with its gate, the date of its newest measurement,
    whether its gate still waits for the coach's decision, and the vacancies for which an employer
    desk asked an introduction (six queries, whatever the page size)."""
    listed = list_clients(ctx, cache, offset, limit, search)
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
