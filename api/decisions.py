"""Decisions on advice: the coach stays in charge.

For any advice the product gives — a candidate on a vacancy's shortlist, a vacancy or an occupation
suggested to a client, a client's gate — a coach records FOLLOW or OVERRIDE, with a reason code
from the list below and free text. A decision is its own node next to the advice: it never changes
a measurement (a correction of a measurement is a new measurement), so the raw data, the advice
and the coach's judgement stay apart and management information can learn from the overrides.
(WCM's lesson: coaches who could only change answers until the advice agreed destroyed both.)

Advice references are "<kind>:<id>": `candidate:<vacancy id>` (this client on that vacancy's
shortlist), `vacancy:<vacancy id>`, `occupation:<occupation uri>`, `gate:<gate status>`.
"""
from __future__ import annotations

from enum import Enum


class AdviceKind(str, Enum):
    CANDIDATE = "candidate"
    VACANCY = "vacancy"
    OCCUPATION = "occupation"
    GATE = "gate"


class Choice(str, Enum):
    FOLLOW = "follow"
    OVERRIDE = "override"


class ReasonCode(str, Enum):
    """Why a coach follows or overrides advice (documented in docs/api.md)."""
    AGREES_WITH_ADVICE = "agrees_with_advice"              # follow: the advice matches the coach's view
    CLIENT_PREFERENCE = "client_preference"                # the client wants (or refuses) this direction
    HEALTH_OR_CAPACITY = "health_or_capacity"              # health, workload capacity, limitations
    LIFE_CIRCUMSTANCES = "life_circumstances"              # care tasks, housing, debts, transport
    EXPERIENCE_NOT_MEASURED = "experience_not_measured"    # work experience/education the tests miss
    COMPETENCY_MISMEASURED = "competency_mismeasured"      # coach observes a different level than the test
    MEASUREMENT_OUTDATED = "measurement_outdated"          # the client has changed since the measurement
    TRAVEL_DISTANCE = "travel_distance"                    # too far, or no transport
    LANGUAGE = "language"                                  # Dutch language level
    EMPLOYER_REQUIREMENT = "employer_requirement"          # a requirement the vacancy text does not show
    TRAJECTORY_FIRST = "trajectory_first"                  # a trajectory/training must come first
    OTHER = "other"                                        # explained in the free text (required)


def advice_ref(kind: AdviceKind, target: str) -> str:
    return f"{AdviceKind(kind).value}:{target}"


def check_decision(kind: AdviceKind, choice: Choice, reason_code: ReasonCode, reason_text: str) -> list[tuple[str, str]]:
    """Problems as (field, reason); empty when the decision may be recorded."""
    problems = []
    if choice is Choice.OVERRIDE and reason_code is ReasonCode.AGREES_WITH_ADVICE:
        problems.append(("reason_code", "an override cannot have the reason 'agrees_with_advice'"))
    if (choice is Choice.OVERRIDE or reason_code is ReasonCode.OTHER) and not reason_text.strip():
        problems.append(("reason_text", "an override (or reason 'other') needs a free-text explanation"))
    return problems


def check_gate_target(gate: str | None, measured: bool, target: str) -> list[tuple[str, str]]:
    """Problems of a decision on a client's gate: it is on the gate as it stands, and only once a
    measurement determined it (an undetermined gate is no advice: the pages offer no decision then)."""
    if not measured:
        return [("target", "the client's gate is not determined yet (no measurement gave one): there is "
                           "no gate advice to follow or override")]
    if target != gate:
        return [("target", f"the client's gate is '{gate}': a gate decision names that status")]
    return []
