"""Explanations, gaps and what-ifs: pure functions over the numbers the index ranked with.

Nothing here is written separately from the score: an explanation is `score_requirements` on
the same requirements and evidence, minus the same distance penalty; a gap is the score gain of
raising one competency; a what-if re-scores with one level replaced.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from matcher.scoring import (DistancePolicy, Evidence, MatchScore, Requirement, Status, distance_penalty,
                             score_requirements)

# A target with a final score at or above this counts as "within reach" when counting how many
# vacancies a gap or a what-if opens.
GOOD_MATCH = 0.6


@dataclass(frozen=True)
class Explained:
    """One ranked pair (client, vacancy or occupation) with everything the score consists of."""
    match: MatchScore
    distance_km: float | None
    distance_penalty: float

    @property
    def score(self) -> float:
        return max(0.0, self.match.score - self.distance_penalty)


def explain(requirements: list[Requirement], profile: dict[str, Evidence], distance_km: float | None = None,
            policy: DistancePolicy = DistancePolicy()) -> Explained:
    return Explained(score_requirements(requirements, profile), distance_km, distance_penalty(distance_km, policy))


@dataclass(frozen=True)
class GapItem:
    requirement: Requirement
    status: Status
    current_level: float | None
    gain: float  # how much the score rises when this competency reaches the required level
    trait: str  # trainable | stable
    unlocks: int = 0  # open vacancies nearby that would come within reach


def gap_items(requirements: list[Requirement], profile: dict[str, Evidence], traits: dict[str, str]) -> list[GapItem]:
    """What to develop for a target: every requirement not met, essential first, then by gain.

    The gain assumes the competency is shown at the required level by a fresh measurement
    (confidence 1). Unknowns are included: measuring them may be the cheapest way up.
    """
    base = score_requirements(requirements, profile).score
    items = []
    for result in score_requirements(requirements, profile).results:
        if result.status is Status.MET:  # more confidence is not development
            continue
        req = result.requirement
        raised = {**profile, req.competency: Evidence(max(req.required_level, _level(profile, req)), 1.0, "what-if")}
        gain = score_requirements(requirements, raised).score - base
        if gain <= 1e-9:
            continue
        items.append(GapItem(req, result.status, None if result.evidence is None else result.evidence.level,
                             gain, traits.get(req.competency, "trainable")))
    return sorted(items, key=lambda g: (not g.requirement.essential, -g.gain, g.requirement.competency))


def with_unlocks(items: list[GapItem], unlocks: dict[str, int]) -> list[GapItem]:
    return [replace(g, unlocks=unlocks.get(g.requirement.competency, 0)) for g in items]


def _level(profile: dict[str, Evidence], req: Requirement) -> float:
    e = profile.get(req.competency)
    return 0.0 if e is None else e.level


def raise_level(profile: dict[str, Evidence], competency: str, level: float) -> dict[str, Evidence]:
    """The profile with one competency at `level`, as if freshly measured."""
    return {**profile, competency: Evidence(level, 1.0, "what-if")}

