"""Explanations, gaps and what-ifs: pure functions over the numbers the index ranked with.

Nothing here is written separately from the fit: an explanation is `score_requirements` on the
same requirements and evidence (for a page of ranked rows, matcher/rows.py: the same numbers),
with the same distance penalty beside it; a gap is the fit gained
by raising one competency; a what-if re-scores a `hypothetical` profile.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from matcher.profile import MEASURED_CONFIDENCE
from matcher.scoring import (DistancePolicy, Evidence, MatchScore, Requirement, Requirements, Status,
                             distance_penalty, score_requirements)

if TYPE_CHECKING:  # the rows' kernels (numba) load only where ranking does, not with every command
    from matcher.rows import RowScore

# A target whose expected fit (after penalties) reaches this counts as "within reach" when counting
# how many vacancies a gap or a what-if opens: set from the measured distribution of the demo's
# top-10 fits (docs/benchmarks.md, "Fit distribution") so that it occurs but means something.
GOOD_MATCH = 0.55
# A hypothetical level counts like one fresh, exactly mapped test score (or the evidence already
# held, when that is more certain): the CLI, the API and the pages all use `hypothetical`.
WHAT_IF_CONFIDENCE = MEASURED_CONFIDENCE


@dataclass(frozen=True)
class Explained:
    """One ranked pair (client, vacancy or occupation) with everything the fit consists of."""
    match: MatchScore | RowScore  # a RowScore for a page's ranked rows, which name no evidence
    distance_km: float | None
    distance_penalty: float


def explain(requirements: list[Requirement], profile: dict[str, Evidence], distance_km: float | None = None,
            policy: DistancePolicy = DistancePolicy()) -> Explained:
    return Explained(score_requirements(requirements, profile), distance_km, distance_penalty(distance_km, policy))


def hypothetical(profile: dict[str, Evidence], changes: Iterable[tuple[str, float]]) -> dict[str, Evidence]:
    """The profile as if each competency had just been measured at the given level."""
    out = dict(profile)
    for uri, level in changes:
        old = out.get(uri)
        out[uri] = Evidence(level, max(old.confidence if old else 0.0, WHAT_IF_CONFIDENCE), "what-if")
    return out


@dataclass(frozen=True)
class GapItem:
    requirement: Requirement
    status: Status
    current_level: float | None
    gain: float  # how much the expected fit rises when this competency reaches the required level
    trait: str  # trainable | stable
    unlocks: int = 0  # open vacancies nearby that would come within reach
    # the client's place on the target's list now and once this competency reached the level
    # (None: not asked, or a client who is not matchable)
    rank_now: int | None = None
    rank_after: int | None = None


def gap_items(requirements: list[Requirement], profile: dict[str, Evidence], traits: dict[str, str]) -> list[GapItem]:
    """What to develop for a target: every requirement not met, essential first, then by gain.

    The gain assumes the competency is shown at the required level (`hypothetical`). Unknowns are
    included: measuring them may be the cheapest way up.
    """
    requirements = requirements if isinstance(requirements, Requirements) else Requirements(requirements)
    scored = score_requirements(requirements, profile)
    total = requirements.total
    items = []
    for result in scored.results:
        if result.status is Status.MET:  # more confidence is not development
            continue
        req = result.requirement
        raised = hypothetical(profile, [(req.competency, max(req.required_level, _level(profile, req)))])
        # the fit is a weighted sum and only this requirement's evidence changes: score it alone
        # (re-scoring the whole list per requirement made a gap quadratic in its size)
        alone = Requirements((req,))  # once for both profiles
        gain = (score_requirements(alone, raised).fit - score_requirements(alone, profile).fit) * req.weight / total
        if gain <= 1e-9:
            continue
        items.append(GapItem(req, result.status, None if result.evidence is None else result.evidence.level,
                             gain, traits.get(req.competency, "trainable")))
    return sorted(items, key=lambda g: (not g.requirement.essential, -g.gain, g.requirement.competency))


def with_unlocks(items: list[GapItem], unlocks: dict[str, int]) -> list[GapItem]:
    return [replace(g, unlocks=unlocks.get(g.requirement.competency, 0)) for g in items]


def with_ranks(items: list[GapItem], now: int, after: dict[str, int]) -> list[GapItem]:
    """`after`: the place once each competency reached its level (competency -> place)."""
    return [replace(g, rank_now=now, rank_after=after[g.requirement.competency]) for g in items]


def _level(profile: dict[str, Evidence], req: Requirement) -> float:
    e = profile.get(req.competency)
    return 0.0 if e is None else e.level
