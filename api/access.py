"""Who may see which client, and which of its fields: pure policy, no I/O.

- A coach sees the clients on their own caseload; a CTC advisor the clients referred to them.
  Both see the full profile, including the sensitive psychological blocks their work needs.
- An employer desk never sees a client profile: only candidate cards for a vacancy, pseudonymised
  (a per-vacancy HMAC, so cards of two vacancies cannot be linked), with fit, coverage, measured share and met and
  missing competencies — no identity, no psychological detail, no life domains, and no competency
  that a sensitive scale reaches — until the client has consented to share with that vacancy;
  then name and e-mail are added for that vacancy only. A withdrawal changes the pseudonym.
- An employer desk works for the employers of one or more labour-market regions (a
  werkgeversservicepunt serves its arbeidsmarktregio): it sees the vacancies located there and
  those it added itself, wherever they are. Any other vacancy is to it exactly like one that does
  not exist, and it cannot change one by sending the same identifier. A desk no admin gave a
  region sees only what it added. Coaches and CTC advisors see every vacancy: they search for
  their clients across regions.
- An admin manages tokens, assignments and desks' regions and reads the audit log; it does not
  read client data.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
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


@dataclass(frozen=True)
class DeskScope:
    """The vacancies an employer desk works for: those in its regions and those it added."""
    subject: str
    regions: frozenset[str] = frozenset()

    def covers(self, region_code: str | None, added_by: str | None) -> bool:
        return added_by == self.subject or (region_code is not None and region_code in self.regions)


def vacancy_scope(principal: Principal, regions: Iterable[str]) -> DeskScope | None:
    """The scope a principal's vacancy reads are limited to; None: every vacancy."""
    return DeskScope(principal.subject, frozenset(regions)) if principal.role is Role.EMPLOYER_DESK else None


def may_see_vacancy(scope: DeskScope | None, owner: tuple[str | None, str | None] | None) -> bool:
    """`owner`: the vacancy's (region code, added by), None when there is no such vacancy."""
    return owner is not None and (scope is None or scope.covers(*owner))


def sees_sensitive_on_pages(principal: Principal) -> bool:
    """On the pages and in the report, what a sensitive scale measured (the competencies it
    reaches, the blocks a coach included) is the client's coach's: a CTC advisor reads them
    without (pages.md principle 6). The JSON API's profile is as above."""
    return principal.role is Role.COACH


def may_erase_client(principal: Principal, assignment: Assignment | None) -> bool:
    if principal.role is Role.ADMIN:
        return assignment is not None
    return principal.role is Role.COACH and may_see_client(principal, assignment)


def pseudonym(secret: str, client_key: str, vacancy_id: str, consent_epoch: int = 0) -> str:
    """Stable per (client, vacancy, consent epoch), unlinkable across vacancies without the secret.
    The epoch counts the client's withdrawals of consent for that vacancy: after a withdrawal the
    desk sees a new pseudonym and cannot keep following the client it learnt the name of."""
    text = f"{client_key}\x1f{vacancy_id}" + (f"\x1f{consent_epoch}" if consent_epoch else "")
    return "C-" + hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def sensitive_competencies(profiles: Iterable) -> frozenset[str]:
    """Every competency some sensitive scale (instrument profiles, `sensitive: true`) maps to.

    An employer card never names these, whatever the client's evidence: dropping them only for
    clients whose sole evidence is a sensitive scale would make their absence tell exactly that."""
    return frozenset(m.competency for p in profiles for s in p.scales if s.sensitive for m in s.maps_to)


# Fields of a candidate card the employer desk may see, before and after consent.
CARD_FIELDS = ("candidate", "rank", "fit", "fit_low", "fit_high", "coverage", "measured", "met", "met_more", "missing",
               "partly_met", "unknown", "unknown_more")
CONSENTED_EXTRA = ("client_key", "name", "email")


COMPETENCY_LISTS = ("met", "missing", "partly_met", "unknown")


def employer_card(card: dict, secret: str, vacancy_id: str, consented: bool, identity: dict | None,
                  consent_epoch: int = 0, hidden: frozenset[str] = frozenset(), asked_at: str | None = None) -> dict:
    """A full candidate row cut down to what an employer desk may see; `hidden`: the competencies
    a sensitive scale reaches (sensitive_competencies), left out of every list; `asked_at`: when
    the desk asked an introduction the coach has not answered yet (its own act, nothing of the
    client's)."""
    out = {k: card[k] for k in CARD_FIELDS if k in card and k != "candidate"}
    for k in COMPETENCY_LISTS:
        if k in out:
            out[k] = [c for c in out[k] if c["uri"] not in hidden]
    out["candidate"] = pseudonym(secret, card["client_key"], vacancy_id, consent_epoch)
    out["consented"] = consented
    out["introduction_asked_at"] = asked_at
    if consented:
        out["client_key"] = card["client_key"]
        out["name"] = (identity or {}).get("name")
        out["email"] = (identity or {}).get("email")
    return out
