"""A client's competency profile, derived from all their measurements: pure arithmetic, no I/O.

Per atlas competency the profile holds a level in [0, 1], a confidence in [0, 1], an as-of date
(the newest evidence), the evidence behind it (measurement ids, or `work history: <uri>`), whether
it is only inferred, and the trait kind. A competency without evidence is ABSENT: unknown, never
a zero. The rules (also in docs/measurements.md):

Evidence. A measured scale score (normalised level, 1 = best) is evidence for every competency
the instrument profile maps it to, with strength = mapping weight × MATCH_FACTOR[match type] ×
MEASURED_CONFIDENCE. Work history (dated at its `until`) is INFERRED evidence for every
requirement of the occupation — ESCO essential and optional skills and knowledge, O*NET
descriptors — at `experience_level` (a share of the level the occupation asks, growing with the
years) and `experience_strength` (by relation and years). Experience in a SIMILAR_TO occupation
transfers through the competencies the two share: they are the same evidence. Certificates,
licences and courses (competency_atlas/certificates.yaml) are INFERRED evidence too.

Decay. Older evidence counts less: strength × 0.5 ** (age / half-life). A stored estimate's
confidence holds on its as-of date (the newest evidence for that competency): older pieces are
decayed to that date, and readers (the match index) decay from it to their day, so every day is
counted once and a profile is a function of the measurements alone (re-deriving it tomorrow
gives the same numbers). Trainable competencies change with training and work, so
their evidence halves in HALF_LIFE_DAYS['trainable'] (2 years), stable traits in 5 years, and
inferred evidence (years of practice, a certificate or licence) in 10 years: what was practised
for years is not forgotten as fast as a single test result goes stale.
`current_confidence` applies the same decay from as_of to a given day, for readers that want it.

Combination (matcher/profile_columns.py, over arrays). level = Σ sᵢ·levelᵢ / Σ sᵢ (strength-weighted mean, so several instruments
combine and the newer, better-mapped evidence dominates). Confidence = noisy-OR of the
strengths, 1 − Π(1 − sᵢ) — it rises with every further piece of evidence — times an agreement
factor 1 − (strength-weighted standard deviation of the MEASURED levels), capped at
CONFIDENCE_CAP: two instruments that agree make a confident estimate, two that disagree do not.
Inferred levels are "at least what the job or document asks": a higher test score does not
contradict them, so they add confidence without counting as disagreement.

Gates. Per instrument, the newest measurement that carries the gate block decides (a client who
was G6 last year and G2 now is matchable); across instruments the strictest status wins:
not_matchable > needs_support > matchable. Each fired gate keeps its source measurement.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Literal, NamedTuple

import numpy as np

Trait = Literal["trainable", "stable"]
GateStatus = Literal["matchable", "needs_support", "not_matchable"]

MATCH_FACTOR = {"exact": 1.0, "close": 0.8, "narrow": 0.7, "broad": 0.5}
MEASURED_CONFIDENCE = 0.7  # one exact-mapped, fresh test score
# Work history: years in an occupation show its requirements at the level it asks. An essential
# requirement was practised daily; an optional one perhaps not at all in this particular job.
EXPERIENCE_CONFIDENCE = {"essential": 0.95, "optional": 0.8}
FULL_YEARS = 5.0  # after this many years the level the occupation asks counts as reached, with a margin
EXPERIENCE_MARGIN = 0.2
UNKNOWN_YEARS = 1.0  # a job without a duration counts as one year
HALF_LIFE_DAYS = {"trainable": 730.0, "stable": 1826.0, "experience": 3652.0}
CONFIDENCE_CAP = 0.95
GATE_ORDER = {"matchable": 0, "needs_support": 1, "not_matchable": 2}


class Evidence(NamedTuple):
    """One piece of evidence for one competency (a NamedTuple: profiles are built by the million)."""
    competency: str
    level: float       # [0, 1], 1 = best
    strength: float    # (0, 1]: mapping weight × match factor × base confidence, before decay
    measured_at: date
    source: str        # measurement id, or "work history: <occupation uri>"
    trait: str         # trainable | stable
    inferred: bool = False


class CompetencyEstimate(NamedTuple):
    competency: str
    level: float
    confidence: float
    as_of: date
    inferred: bool             # True when every piece of evidence is inferred from work history
    sources: tuple[str, ...]   # sorted, distinct
    trait: str


def mapping_strength(weight: float, match: str) -> float:
    return weight * MATCH_FACTOR[match]


def decay(strength: float, age_days: float, trait: str) -> float:
    """Exponential decay with the trait kind's half-life; future-dated evidence is not boosted."""
    return strength * 0.5 ** (max(age_days, 0.0) / HALF_LIFE_DAYS[trait])


def half_lives(stable: np.ndarray, inferred: np.ndarray | None = None) -> np.ndarray:
    """Half-life in days per piece of evidence: what years of work taught fades slower than a test
    score of a trainable competency (it was practised, not just shown once)."""
    half_life = np.where(stable, HALF_LIFE_DAYS["stable"], HALF_LIFE_DAYS["trainable"])
    return half_life if inferred is None else np.where(inferred, HALF_LIFE_DAYS["experience"], half_life)


def decay_many(strength: np.ndarray, age_days: np.ndarray, stable: np.ndarray,
               inferred: np.ndarray | None = None) -> np.ndarray:
    """`decay` over arrays (the match index decays millions of stored confidences at once)."""
    return strength * 0.5 ** (np.maximum(age_days, 0.0) / half_lives(stable, inferred))


def current_confidence(estimate: CompetencyEstimate, today: date) -> float:
    """The stored confidence decayed further from its as-of date to `today`, as the match index does."""
    return float(decay_many(np.float64(estimate.confidence), np.float64((today - estimate.as_of).days),
                            np.bool_(estimate.trait == "stable"), np.bool_(estimate.inferred)))


def experience_level(required: np.ndarray, years: float | None) -> np.ndarray:
    """What years in an occupation show of one of its requirements: 80 % of the level it asks at the
    start, the level itself after a year (whoever kept the job for a year does what it asks), and
    EXPERIENCE_MARGIN above it after FULL_YEARS (with room to spare)."""
    y = UNKNOWN_YEARS if years is None else max(years, 0.0)
    first_year, f = min(y, 1.0), min(y, FULL_YEARS) / FULL_YEARS
    return np.minimum(np.asarray(required, dtype=float) * (0.8 + 0.2 * first_year) + EXPERIENCE_MARGIN * f, 1.0)


def experience_strength(essential: np.ndarray, years: float | None) -> np.ndarray:
    """How sure the work history makes us: by relation, from half after a short spell to full
    after FULL_YEARS."""
    y = UNKNOWN_YEARS if years is None else max(years, 0.0)
    base = np.where(essential, EXPERIENCE_CONFIDENCE["essential"], EXPERIENCE_CONFIDENCE["optional"])
    return base * (0.5 + 0.5 * min(y, FULL_YEARS) / FULL_YEARS)


# ---------------------------------------------------------------- gates

@dataclass(frozen=True)
class GateFact:
    """What one measurement says about gates: whether it carried its instrument's gate block at
    all (absent = says nothing), and which gates fired."""
    instrument: str
    measured_at: date
    measurement_id: str
    gate_block_given: bool
    fired: tuple[tuple[str, str], ...] = ()  # (status, reason)


@dataclass(frozen=True)
class ClientGate:
    status: GateStatus
    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # measurement ids, one per reason
    # Whether any measurement carried a gate block (ABC cluster, ...): "matchable" without one is
    # nobody's finding, only the absence of a gate, and the pages say "nog niet bepaald".
    measured: bool = False


def client_gate(facts: Iterable[GateFact]) -> ClientGate:
    latest: dict[str, GateFact] = {}
    for f in facts:
        if not f.gate_block_given:
            continue
        known = latest.get(f.instrument)
        if known is None or (f.measured_at, f.measurement_id) > (known.measured_at, known.measurement_id):
            latest[f.instrument] = f
    fired = [(status, reason, f.measurement_id) for inst in sorted(latest) for f in [latest[inst]]
             for status, reason in f.fired]
    if not fired:
        return ClientGate("matchable", measured=bool(latest))
    fired.sort(key=lambda x: -GATE_ORDER[x[0]])
    status = fired[0][0]
    return ClientGate(status, tuple(r for _, r, _ in fired), tuple(m for _, _, m in fired), measured=True)
