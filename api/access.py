"""Who may see which client, and which of its fields: pure policy, no I/O.

- A coach sees the clients on their own caseload; a CTC advisor the clients referred to them.
  Both see the full profile, including the sensitive psychological blocks their work needs.
- An employer desk never sees a client profile: only candidate cards for a vacancy, pseudonymised
  (a per-vacancy HMAC, so cards of two vacancies cannot be linked), with fit, coverage and met and
  missing competencies — no identity, no psychological detail, no life domains — until the client
  has consented to share with that vacancy; then name and e-mail are added for that vacancy only.
- An admin manages tokens and assignments and reads the audit log; it does not read client data.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    CTC_ADVISOR = "ctc_advisor"
    COACH = "coach"
    EMPLOYER_DESK = "employer_desk"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    name: str = ""


@dataclass(frozen=True)
class Assignment:
    """Who a client is assigned to (from the graph)."""
    coaches: frozenset[str] = frozenset()
    advisors: frozenset[str] = frozenset()


CLIENT_READERS = frozenset({Role.COACH, Role.CTC_ADVISOR})
# Which roles may call which kind of endpoint (the role-level gate; the client-level one is below).
ENDPOINT_ROLES: dict[str, frozenset[Role]] = {
    "atlas": frozenset(Role),
    "client_read": CLIENT_READERS,
    "client_erase": frozenset({Role.COACH, Role.ADMIN}),
    "measurement_ingest": frozenset({Role.COACH, Role.CTC_ADVISOR, Role.ADMIN}),
    "vacancy_ingest": frozenset({Role.EMPLOYER_DESK, Role.ADMIN}),
    "vacancy_read": frozenset(Role),
    "candidates": frozenset({Role.COACH, Role.CTC_ADVISOR, Role.EMPLOYER_DESK}),
    "client_matching": CLIENT_READERS,
    "decide": frozenset({Role.COACH}),
    "consent": frozenset({Role.COACH}),
    "mi": frozenset({Role.COACH, Role.CTC_ADVISOR, Role.ADMIN}),
    "mi_vacancy": frozenset({Role.COACH, Role.CTC_ADVISOR, Role.EMPLOYER_DESK, Role.ADMIN}),
    "admin": frozenset({Role.ADMIN}),
}


def may_use(principal: Principal, endpoint_kind: str) -> bool:
    return principal.role in ENDPOINT_ROLES[endpoint_kind]


def may_see_client(principal: Principal, assignment: Assignment | None) -> bool:
    """A client the principal has no relation to is treated exactly like a client that does not exist."""
    if assignment is None:
        return False
    if principal.role is Role.COACH:
        return principal.subject in assignment.coaches
    if principal.role is Role.CTC_ADVISOR:
        return principal.subject in assignment.advisors
    return False


def may_erase_client(principal: Principal, assignment: Assignment | None) -> bool:
    if principal.role is Role.ADMIN:
        return assignment is not None
    return principal.role is Role.COACH and may_see_client(principal, assignment)


def pseudonym(secret: str, client_key: str, vacancy_id: str) -> str:
    """Stable per (client, vacancy), unlinkable across vacancies without the secret."""
    mac = hmac.new(secret.encode(), f"{client_key}\x1f{vacancy_id}".encode(), hashlib.sha256)
    return "C-" + mac.hexdigest()[:16]


# Fields of a candidate card the employer desk may see, before and after consent.
CARD_FIELDS = ("candidate", "rank", "score", "upper", "coverage", "met", "missing", "partly_met", "unknown")
CONSENTED_EXTRA = ("client_key", "name", "email")


def employer_card(card: dict, secret: str, vacancy_id: str, consented: bool, identity: dict | None) -> dict:
    """A full candidate row cut down to what an employer desk may see."""
    out = {k: card[k] for k in CARD_FIELDS if k in card and k != "candidate"}
    out["candidate"] = pseudonym(secret, card["client_key"], vacancy_id)
    out["consented"] = consented
    if consented:
        out["client_key"] = card["client_key"]
        out["name"] = (identity or {}).get("name")
        out["email"] = (identity or {}).get("email")
    return out
