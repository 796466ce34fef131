"""How well a client's competency evidence meets a set of requirements. Pure functions, no I/O.

For requirement i with weight share s_i (importance x essential/optional factor, divided by the
sum over all requirements), the client's evidence has a level l_i in [0, 1] and a confidence
k_i in [0, 1], or is unknown. With required level r_i:

    credit_i   = Phi((l_i - r_i) / SPREAD + SHIFT)                 (the chance the requirement is met)
    expected_i = k_i * credit_i + (1 - k_i) * prior_i               (unknown: prior_i)
    fit        = sum_i s_i * expected_i                             (the rank key)
    fit_low    = sum_i s_i * k_i * credit_i                         (what the evidence proves)
    fit_high   = fit_low + sum_i s_i * (1 - k_i)  (unknowns k_i = 0: the best it could turn out)
    coverage   = sum of s_i with evidence
    measured   = sum of s_i with evidence an instrument or a coach gave   ("gemeten deel"; the rest of
                 the coverage is inferred from work history and certificates)

A level is a noisy estimate of the client's true level (a test score on a normed scale, years in
a job), so credit is the chance that the true level reaches what is asked: a normal curve of
spread SPREAD around the required level, shifted so that a level exactly at the requirement
earns AT_REQUIRED. Top marks earn ~1; the midpoint of a normed scale earns about what an
unmeasured client is expected to earn, so an average score on many scales does not outrank top
marks on a few.

prior_i is what an unknown requirement is expected to be worth: not 0 (a client nobody measured
is no proven misfit) and not 1 (nor a proven match), but the chance that a client about whom
nothing is known has it: PRIOR (0.5) for the general abilities every job asks in some measure
(O*NET skills, knowledge areas, work styles), SPECIFIC_PRIOR (0.35) for an occupation's own ESCO
skills and knowledge, which fewer people have. So fit = fit_low + sum_i s_i (1 - k_i) prior_i:
the expected value when what is not proven turns out met at the prior's rate. Status: met
(level >= required), partly met (credit >= prior_i, i.e. level within `partly_margin(prior_i)`
below it), missing (below that). So for one requirement met > unknown > missing,
raising a level never lowers it, and dropping evidence that meets a requirement never raises
it. The explanation is the list of per-requirement results; their contributions add up to the
fit exactly.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections import namedtuple
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from itertools import repeat
from operator import itemgetter, neg, not_
from math import erf, sqrt
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

# A requirement that names no importance (ESCO-only) counts as the middle of O*NET's 1-5 scale, and
# one that names no level asks for a working command of it.
DEFAULT_IMPORTANCE = 3.0
DEFAULT_REQUIRED_LEVEL = 0.5
ESSENTIAL_FACTOR = 1.0
OPTIONAL_FACTOR = 0.5
# What an unknown requirement is expected to be worth, and how credit follows the level (see the
# module docstring). "Partly met" starts where credit reaches PRIOR, so that a "missing"
# requirement always weighs less than an unknown one.
PRIOR = 0.5
SPECIFIC_PRIOR = 0.35
SPREAD = 0.2
AT_REQUIRED = 0.7
SHIFT = NormalDist().inv_cdf(AT_REQUIRED)
GENERAL_PREFIX = "onet:"  # O*NET descriptors: the general abilities


def prior_of(competency: str) -> float:
    """What an unknown requirement on this competency counts as (see the module docstring)."""
    return PRIOR if competency.startswith(GENERAL_PREFIX) else SPECIFIC_PRIOR


@lru_cache(maxsize=8)  # two priors in use; the inverse normal is asked for per requirement shown
def partly_margin(prior: float) -> float:
    """How far below the required level a level is still "partly met": where credit reaches the prior."""
    return SPREAD * (SHIFT - NormalDist().inv_cdf(prior))


PARTLY_MARGIN = partly_margin(PRIOR)  # ~0.105 below the required level for a general ability


def level_counted_as(required_level: float, prior: float) -> float:
    """The level an unknown requirement counts as today: where credit equals its prior, so a
    measurement at this level leaves the expected fit as it is (a what-if starts there)."""
    return max(0.0, required_level - partly_margin(prior))


def requirement_weight(importance, essential):
    """importance x 1 for an essential requirement, x 0.5 for an optional one (scalars or arrays)."""
    if isinstance(essential, (bool, np.bool_)):  # one requirement: plain arithmetic (np.where costs ~5 µs)
        return importance * (ESSENTIAL_FACTOR if essential else OPTIONAL_FACTOR)
    return importance * np.where(essential, ESSENTIAL_FACTOR, OPTIONAL_FACTOR)


DEFAULT_RADIUS_KM = 25.0  # for a client whose instruments name no travel radius (CTC reisbereidheid)


@dataclass(frozen=True)
class DistancePolicy:
    """Travel distance: beyond the radius it costs score, or, when the user asks, it filters.
    `radius_km` None: each client's own travel radius, so a client's fit for a vacancy is one
    number whichever side ranks it (the client's vacancies, the vacancy's candidates); a number:
    that radius for every client (a caller's own "within N km")."""
    radius_km: float | None = None
    penalty_per_km: float = 0.004  # 25 km beyond the radius costs 0.1
    max_penalty: float = 0.3
    hard: bool = False  # beyond the radius: left out instead of costing
    max_km: float | None = None  # a user's "within N km": farther is left out, nearer costs as ever

    def radius_for(self, own_km: float | None) -> float:
        """The radius that holds for a client whose own travel radius is `own_km` (None or NaN:
        not known). The kernel (matcher/kernels.finish_top) applies the same rule."""
        if self.radius_km is not None:
            return self.radius_km
        return DEFAULT_RADIUS_KM if own_km is None or own_km != own_km else own_km


@dataclass(frozen=True)
class Constraints:
    """Hard constraints besides distance. Each lowers the score by SHORTFALL_PENALTY when not met,
    or removes the match when its filter is on. Unknown values never cost anything."""
    distance: DistancePolicy = DistancePolicy()
    filter_hours: bool = False
    filter_education: bool = False


SHORTFALL_PENALTY = 0.1


@dataclass(frozen=True)
class Circumstances:
    """What a vacancy asks of one client besides competencies: the distance (and what it costs
    beyond the radius), and whether the hours or the education fall short."""
    distance_km: float | None = None
    distance_penalty: float = 0.0
    hours_short: bool = False
    education_short: bool = False

    @property
    def parts(self) -> dict[str, float]:
        """What each takes off the competency fit (0 for what costs nothing)."""
        return {"distance": self.distance_penalty, "hours": SHORTFALL_PENALTY if self.hours_short else 0.0,
                "education": SHORTFALL_PENALTY if self.education_short else 0.0}

    @property
    def penalty(self) -> float:
        """What they take off the competency fit; every ranked row, gap and what-if takes this off."""
        return sum(self.parts.values())


def shortfall(have: float | None, need: float | None) -> bool:
    """Fewer hours available, or a lower education level, than the vacancy asks; unknown is never short."""
    return have is not None and need is not None and have < need


def distance_penalty(km: float | None, policy: DistancePolicy, own_km: float | None = None) -> float:
    """What the distance subtracts from the score, for a client whose own travel radius is
    `own_km`; an unknown distance costs nothing."""
    radius = policy.radius_for(own_km)
    if km is None or km <= radius:
        return 0.0
    return min(policy.max_penalty, policy.penalty_per_km * (km - radius))


class Status(str, Enum):
    MET = "met"
    PARTLY_MET = "partly_met"
    MISSING = "missing"
    UNKNOWN = "unknown"


# A status as a small integer, for per-requirement arrays (matcher/rows.py); NOT_NAMED: a requirement
# a row neither names nor counts (an employer desk's sensitive competency, a target without weight)
STATUS_OF_CODE = (Status.UNKNOWN, Status.MET, Status.PARTLY_MET, Status.MISSING)
CODE_OF_STATUS = {status: code for code, status in enumerate(STATUS_OF_CODE)}
UNKNOWN_CODE, MET_CODE, PARTLY_MET_CODE, MISSING_CODE, NOT_NAMED = 0, 1, 2, 3, -1


# competency, label, required_level [0, 1], importance (> 0), essential, label_lang (the language of
# `label`: nl, or en where no Dutch label exists), then prior and weight, computed from the others
_RequirementFields = namedtuple("_RequirementFields", "competency label required_level importance essential "
                                                      "label_lang prior weight")


class Requirement(_RequirementFields):
    """One requirement of a vacancy or occupation. `prior` and `weight` are computed once, here: a
    kept requirement (matcher/service.py) is scored for many clients. A tuple, because a client's
    vacancy page builds ~2,000 of them: twice as fast to make as a frozen dataclass."""
    __slots__ = ()

    def __new__(cls, competency: str, label: str, required_level: float, importance: float = 1.0,
                essential: bool = True, label_lang: str | None = None) -> Requirement:
        return tuple.__new__(cls, (competency, label, required_level, importance, essential, label_lang,
                                   prior_of(competency), float(requirement_weight(importance, essential))))

    @classmethod
    def columns(cls, competencies: Sequence[str], labels: Sequence[tuple[str, str | None]], required: np.ndarray,
                importance: np.ndarray, essential: np.ndarray, priors: np.ndarray) -> list[Requirement]:
        """A target's requirements from the index's columns (`priors`: each competency's
        `prior_of`), the weights worked out for all at once: a third of the time of one by one."""
        weights = requirement_weight(importance, essential).astype(float).tolist()
        names, languages = zip(*labels) if labels else ((), ())
        fields = zip(competencies, names, required.tolist(), importance.tolist(), essential.astype(bool).tolist(),
                     languages, priors.tolist(), weights)
        return list(map(tuple.__new__, repeat(cls), fields))  # made in C: no Python call per requirement

    def __getnewargs__(self) -> tuple:  # pickled and copied through __new__: the given six only
        return tuple(self[:6])

    @classmethod
    def _make(cls, iterable) -> Requirement:  # namedtuple's own would skip __new__
        return cls(*tuple(iterable)[:6])

    def _replace(self, **changes) -> Requirement:  # prior and weight follow, never set
        return type(self)(**{**dict(zip(self._fields[:6], self)), **changes})


# Evidence and RequirementResult are named tuples, not frozen dataclasses: a ranked page builds
# ~2,000 of each, and a tuple is made three times faster (163 against 456 ns).
class Evidence(NamedTuple):
    level: float  # [0, 1]
    confidence: float  # [0, 1], age decay already applied
    source: str  # e.g. "ABC-meting 2.1" or "work history: cook"
    measured_at: date | None = None
    inferred: bool = False


class RequirementResult(NamedTuple):
    requirement: Requirement
    evidence: Evidence | None
    status: Status
    credit: float
    contribution: float


@dataclass(frozen=True)
class MatchScore:
    fit: float  # expected fit, the rank key
    fit_low: float  # proven by the evidence
    fit_high: float  # if everything not proven turned out met
    coverage: float  # share of the requirement weight with evidence
    results: tuple[RequirementResult, ...]
    measured: float = 0.0  # of it, the share whose evidence was measured or observed, not inferred
    # the results' indices in the order a row names them (Requirements.heaviest), worked out once per
    # target, and each result's place in that order
    heaviest: tuple[int, ...] = ()
    place: tuple[int, ...] = ()

    def by_status(self, status: Status) -> list[RequirementResult]:
        return [r for r in self.results if r.status is status]

    # What a ranked row is named from, as matcher/rows.RowScore has it (api/services/matching.explain)
    @property
    def codes(self) -> np.ndarray:
        return np.array([CODE_OF_STATUS[r.status] for r in self.results], dtype=np.int8)

    def named(self, i: int) -> tuple[str, str, str | None, bool]:
        """uri, label, label language and essential of requirement i."""
        r = self.results[i].requirement
        return r.competency, r.label, r.label_lang, r.essential


def credit(level: float, required: float) -> float:
    """The chance the requirement is met (matcher/kernels.py computes the same)."""
    if required <= 0:
        return 1.0
    return 0.5 * (1.0 + erf(((level - required) / SPREAD + SHIFT) / sqrt(2.0)))


def status_of(evidence: Evidence | None, required: float, prior: float = PRIOR) -> Status:
    if evidence is None:
        return Status.UNKNOWN
    if evidence.level >= required:
        return Status.MET
    return Status.PARTLY_MET if evidence.level >= required - partly_margin(prior) else Status.MISSING


def expected_credit(credit_: float, confidence: float, prior: float = PRIOR) -> float:
    """A requirement's expected credit: proven part plus the prior on what is not proven."""
    return confidence * credit_ + (1.0 - confidence) * prior


class Requirements(tuple):
    """A target's requirements, with what is the same for every client worked out once: their
    total weight, each one's result when the client has no evidence for it, where each competency
    sits, and the order a row names them in. A typical client has evidence for ~15 % of a
    vacancy's ~100 requirements and a ranked page scores 20 clients against one target, so a
    client is scored on the requirements it has evidence for and the rest are copied (150 µs a
    row when every result was built again; MatchService keeps one per target)."""

    total: float
    unknown: tuple[RequirementResult, ...]
    where: dict[str, int] | None  # competency -> its index; None when the target lists one twice
    heaviest: tuple[int, ...]  # the indices in the order a row names them (MatchScore.heaviest)
    place: tuple[int, ...]  # each index's place in `heaviest`

    def __new__(cls, requirements: Iterable[Requirement] = ()):
        # Built for every target a page meets that is not kept (~40 % of them): the loops run in C
        # (map, zip, itemgetter), ~100 requirements each.
        self = super().__new__(cls, requirements)
        weights, n = list(map(_WEIGHT, self)), len(self)
        self.total = total = sum(weights)
        shares = [w / total * p for w, p in zip(weights, map(_PRIOR, self))] if total > 0 else []
        self.unknown = tuple(map(tuple.__new__, repeat(RequirementResult),
                                 zip(self, repeat(None), repeat(Status.UNKNOWN), repeat(0.0), shares)))
        where = dict(zip(map(_COMPETENCY, self), range(n)))
        self.where = where if len(where) == n else None
        # essential first, the heaviest first, then by label (ties: as listed). Three stable sorts on
        # one plain key each, the last sort the first key: 35 against 42 µs for one sort on 4-tuples.
        labels = [r.label or "" for r in self]  # a requirement without a label sorts first among its equals
        order = sorted(range(n), key=labels.__getitem__)
        order.sort(key=list(map(neg, weights)).__getitem__)
        order.sort(key=list(map(not_, map(_ESSENTIAL, self))).__getitem__)
        self.heaviest = tuple(order)
        place = [0] * n
        for at, i in enumerate(self.heaviest):
            place[i] = at
        self.place = tuple(place)
        return self


_COMPETENCY, _ESSENTIAL, _PRIOR, _WEIGHT = (itemgetter(i) for i in (0, 4, 6, 7))  # Requirement's
_CONTRIBUTION = itemgetter(4)  # RequirementResult.contribution
_result = tuple.__new__  # a RequirementResult made in C: a named tuple's own __new__ is a Python call


def score_requirements(requirements: Sequence[Requirement], profile: dict[str, Evidence]) -> MatchScore:
    if not isinstance(requirements, Requirements):
        requirements = Requirements(requirements)
    total = requirements.total
    if total <= 0:
        return MatchScore(PRIOR, 0.0, 1.0, 0.0, ())
    results, low, proven, covered, measured = list(requirements.unknown), 0.0, 0.0, 0.0, 0.0
    evidenced = _with_evidence(requirements, profile)
    for i in evidenced:  # in requirement order: the same sums as a full pass
        req = requirements[i]
        evidence = profile[req.competency]
        share, prior = req.weight / total, req.prior
        c, k = credit(evidence.level, req.required_level), evidence.confidence
        results[i] = _result(RequirementResult, (req, evidence, status_of(evidence, req.required_level, prior), c,
                                                 share * expected_credit(c, k, prior)))
        low += share * k * c
        proven += share * k
        covered += share
        measured += 0.0 if evidence.inferred else share
    return MatchScore(fit=sum(map(_CONTRIBUTION, results)), fit_low=low, fit_high=min(1.0, low + 1.0 - proven),
                      coverage=covered, results=tuple(results), measured=measured, heaviest=requirements.heaviest,
                      place=requirements.place)


def _with_evidence(requirements: Requirements, profile: dict[str, Evidence]) -> list[int]:
    """The indices of the requirements the profile has evidence for, ascending; looked up from
    whichever side is smaller (a profile of ~90 competencies, a vacancy of ~100 requirements)."""
    where = requirements.where
    if where is not None and len(profile) < len(where):
        return sorted(map(where.__getitem__, profile.keys() & where.keys()))
    return [i for i, r in enumerate(requirements) if r.competency in profile]
