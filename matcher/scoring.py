"""How well a client's competency evidence meets a set of requirements. Pure functions, no I/O.

For requirement i with weight w_i (importance x essential/optional factor), the client's evidence
has a level l_i in [0, 1] and a confidence k_i in [0, 1] (or is unknown). With required level r_i:

    credit_i       = 1 if l_i >= r_i else l_i / r_i           (partial credit)
    contribution_i = w_i * credit_i * k_i / W                  W = sum of all w_i
    score          = sum_i contribution_i                      (what the evidence shows)
    upper          = score + (sum of w_i of unknowns + sum_i w_i * (1 - k_i)) / W
    coverage       = (sum of w_i with evidence) / W

`score` is a lower bound and `upper` the best the client could turn out to be once everything
unknown is measured: an empty profile scores 0 with range [0, 1] and coverage 0, so it can never
look like a match, and an unknown is never counted as met nor as missing. The explanation is the
list of per-requirement results: their contributions add up to the score exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

import numpy as np

# A requirement that names no importance (ESCO-only) counts as the middle of O*NET's 1-5 scale, and
# one that names no level asks for a working command of it.
DEFAULT_IMPORTANCE = 3.0
DEFAULT_REQUIRED_LEVEL = 0.5
ESSENTIAL_FACTOR = 1.0
OPTIONAL_FACTOR = 0.5
# A level at or above this share of the required level is "partly met" rather than "missing".
PARTLY_MET_FROM = 0.6


def requirement_weight(importance, essential):
    """importance x 1 for an essential requirement, x 0.5 for an optional one (scalars or arrays)."""
    return importance * np.where(essential, ESSENTIAL_FACTOR, OPTIONAL_FACTOR)


@dataclass(frozen=True)
class DistancePolicy:
    """Travel distance: beyond the radius it costs score, or, when the user asks, it filters."""
    radius_km: float = 25.0
    penalty_per_km: float = 0.004  # 25 km beyond the radius costs 0.1
    max_penalty: float = 0.3
    hard: bool = False


@dataclass(frozen=True)
class Constraints:
    """Hard constraints besides distance. Each lowers the score by SHORTFALL_PENALTY when not met,
    or removes the match when its filter is on. Unknown values never cost anything."""
    distance: DistancePolicy = DistancePolicy()
    filter_hours: bool = False
    filter_education: bool = False


SHORTFALL_PENALTY = 0.1


def shortfall(have: float | None, need: float | None) -> bool:
    """Fewer hours available, or a lower education level, than the vacancy asks; unknown is never short."""
    return have is not None and need is not None and have < need


def distance_penalty(km: float | None, policy: DistancePolicy) -> float:
    """What the distance subtracts from the score; an unknown distance costs nothing."""
    if km is None or km <= policy.radius_km:
        return 0.0
    return min(policy.max_penalty, policy.penalty_per_km * (km - policy.radius_km))


class Status(str, Enum):
    MET = "met"
    PARTLY_MET = "partly_met"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Requirement:
    competency: str
    label: str
    required_level: float  # [0, 1]
    importance: float = 1.0  # > 0
    essential: bool = True

    @property
    def weight(self) -> float:
        return float(requirement_weight(self.importance, self.essential))


@dataclass(frozen=True)
class Evidence:
    level: float  # [0, 1]
    confidence: float  # [0, 1], age decay already applied
    source: str  # e.g. "ABC-meting 2.1" or "work history: cook"
    measured_at: date | None = None
    inferred: bool = False


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    evidence: Evidence | None
    status: Status
    credit: float
    contribution: float


@dataclass(frozen=True)
class MatchScore:
    score: float
    upper: float
    coverage: float
    results: tuple[RequirementResult, ...]

    def by_status(self, status: Status) -> list[RequirementResult]:
        return [r for r in self.results if r.status is status]


def credit(level: float, required: float) -> float:
    if required <= 0 or level >= required:
        return 1.0
    return max(level, 0.0) / required


def status_of(evidence: Evidence | None, required: float) -> Status:
    if evidence is None:
        return Status.UNKNOWN
    c = credit(evidence.level, required)
    if c >= 1.0:
        return Status.MET
    return Status.PARTLY_MET if c >= PARTLY_MET_FROM else Status.MISSING


def score_requirements(requirements: list[Requirement], profile: dict[str, Evidence]) -> MatchScore:
    total = sum(r.weight for r in requirements)
    if total <= 0:
        return MatchScore(0.0, 1.0, 0.0, ())
    results, unknown_share, covered = [], 0.0, 0.0
    for req in requirements:
        evidence = profile.get(req.competency)
        if evidence is None:
            results.append(RequirementResult(req, None, Status.UNKNOWN, 0.0, 0.0))
            unknown_share += req.weight
            continue
        c = credit(evidence.level, req.required_level)
        results.append(RequirementResult(req, evidence, status_of(evidence, req.required_level), c,
                                         req.weight * c * evidence.confidence / total))
        unknown_share += req.weight * (1.0 - evidence.confidence)
        covered += req.weight
    score = sum(r.contribution for r in results)
    return MatchScore(score=score, upper=min(1.0, score + unknown_share / total),
                      coverage=covered / total, results=tuple(results))
