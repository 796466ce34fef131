"""A coach's decisions on advice (api/decisions.py): recorded and listed for the JSON API and the
pages alike. A decision never touches a measurement."""
from __future__ import annotations

from api import audit, decision_repository, introduction_repository, match_repository
from api.decisions import AdviceKind, Choice, ReasonCode, advice_ref, check_decision, check_gate_target
from api.deps import Ctx, read_visible, visible_client
from api.problems import client_not_found
from graph_schema.db import write_unit


class InvalidDecision(ValueError):
    """The decision may not be recorded; `problems` are (field, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))
        self.problems = problems


def _parsed(kind: str, choice: str, reason_code: str) -> tuple[AdviceKind, Choice, ReasonCode]:
    """The codes as enums (the API hands enums already; a page form hands text)."""
    problems = []
    parsed = []
    for field, enum, value in (("kind", AdviceKind, kind), ("choice", Choice, choice),
                               ("reason_code", ReasonCode, reason_code)):
        try:
            parsed.append(enum(value))
        except ValueError:
            problems.append((field, "unknown value"))
    if problems:
        raise InvalidDecision(problems)
    return parsed[0], parsed[1], parsed[2]


def record_decision(ctx: Ctx, key: str, kind: str, target: str, choice: str, reason_code: str,
                    reason_text: str) -> dict:
    """Stores the caller's (a coach's) decision on one advice about a visible client; the stored
    decision. Raises InvalidDecision when the reason does not fit the choice, or a gate decision
    does not name the client's determined gate."""
    gated = None
    if kind == AdviceKind.GATE:  # the client's gate, read with who may see them
        gated = read_visible(ctx, key, match_repository.client)
    else:
        visible_client(ctx, key)
    k, c, r = _parsed(kind, choice, reason_code)
    problems = check_decision(k, c, r, reason_text)
    if gated:
        # None: a profile derived before gate_measured was kept, measured as the pages show it (views.shown_gate)
        problems += check_gate_target(gated["gate"], gated["gate_measured"] is not False, target)
    elif not decision_repository.advice_target_exists(ctx.driver, ctx.database, k.value, target):
        problems.append(("target", f"there is no {k.value} {target!r} to decide on"))
    if problems:
        raise InvalidDecision(problems)
    ref, coach = advice_ref(k, target), ctx.principal.subject

    def decide(tx) -> dict | None:  # the decision, the request it answers and its audit entry, or none
        stored = decision_repository.decision_recorded(tx, client_key=key, coach=coach, kind=k.value,
                                                       advice_ref=ref, choice=c.value, reason_code=r.value,
                                                       reason_text=reason_text)
        if stored is None:
            return None
        if k in (AdviceKind.VACANCY, AdviceKind.CANDIDATE):  # an employer desk's request for it is answered
            introduction_repository.request_answered(tx, key, target, "decision", coach)
        audit.act_recorded(tx, ctx.principal, "decision_recorded", ctx.endpoint, client_key=key,
                           target=f"{ref} {c.value} {r.value}")
        return stored

    stored = write_unit(ctx.driver, ctx.database, decide)
    if stored is None:
        raise client_not_found()
    return stored


def list_decisions(ctx: Ctx, key: str, offset: int, limit: int) -> dict:
    """A page of the decisions about a visible client, newest first; an audited read."""
    visible_client(ctx, key)
    total, items = decision_repository.list_decisions(ctx.driver, ctx.database, key, offset, limit)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_decisions", ctx.endpoint)
    return {"total": total, "offset": offset, "limit": limit, "items": items}
