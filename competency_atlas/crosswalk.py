"""Carrying O*NET ratings onto ESCO occupations through the official crosswalk — pure arithmetic.

One ESCO occupation may be mapped to several O*NET-SOC occupations, each with a SKOS match type
(as used in the ESCO–O*NET crosswalk, read from the O*NET side: `broadMatch` = the O*NET
occupation is broader than the ESCO one, `narrowMatch` = narrower).

How several O*NET occupations are combined (`select_contributors`, `combine_ratings`):

1. **Best tier only.** Tiers, most to least specific: exact (exactMatch), close (closeMatch),
   partial (narrowMatch and broadMatch). Only the O*NET occupations of the best tier present
   contribute: an exact match *is* the occupation, and averaging broader profiles into it would
   only blur it. exactISCO rows (an O*NET occupation mapped to a whole ISCO group) are not used.
2. **Weighted mean within the tier.** Weights: exactMatch 1.0, closeMatch 1.0, narrowMatch 0.6,
   broadMatch 0.4. A narrower O*NET occupation is rated by people who do (a specialisation of)
   this very occupation; a broader one also averages in other occupations, so it counts less.
   Importance (IM, 1–5) and level (LV, 0–7) are averaged separately over the contributors that
   have a usable rating (O*NET's "recommend suppress" ratings are left out), rounded to 2 decimals.
3. **Confidence** of the carried rating is that of the best match type: exact 1.0, close 0.8,
   narrow 0.6, broad 0.5. It scales the requirement weight, so that a profile borrowed from a
   broad O*NET occupation counts less in matching than one from an exact match.

Requirement fields (`onet_requirement`, `esco_requirement`):
- O*NET descriptors are kept when the combined importance is >= 2.0 ("somewhat important" or
  more on O*NET's anchors); `relation` is essential from importance 3.5 (between "important" and
  "very important"), else optional.
- `required_level` in [0, 1] = level / 7. Work Styles have no level scale: their required level is
  (importance − 1) / 4. ESCO-only requirements have no level: the default is 4/7 for essential and
  3/7 for optional (O*NET levels 4 and 3, the middle of the scale where most ratings fall).
- `weight` in [0, 1]: ESCO essential 1.0, optional 0.5; O*NET: confidence × (importance − 1) / 4.
- An ESCO requirement whose skill is SAME_AS an O*NET descriptor rated for the occupation takes
  that descriptor's importance and level too, and lists both sources.

Education level and job zone use the same contributors: the RL category distributions are averaged
with the same weights and the median category is taken; job zones are the weighted mean, rounded.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

MATCH_WEIGHTS = {"exactMatch": 1.0, "closeMatch": 1.0, "narrowMatch": 0.6, "broadMatch": 0.4}
MATCH_TIERS = {"exactMatch": 0, "closeMatch": 1, "narrowMatch": 2, "broadMatch": 2}
MATCH_CONFIDENCE = {"exactMatch": 1.0, "closeMatch": 0.8, "narrowMatch": 0.6, "broadMatch": 0.5}
MIN_IMPORTANCE = 2.0
ESSENTIAL_IMPORTANCE = 3.5
LEVEL_MAX = 7.0
ESCO_WEIGHTS = {"essential": 1.0, "optional": 0.5}
ESCO_DEFAULT_LEVEL = {"essential": 4 / 7, "optional": 3 / 7}


@dataclass(frozen=True)
class Mapping:
    onet_code: str
    match_type: str


@dataclass(frozen=True)
class Rating:
    """One O*NET occupation's usable rating of one descriptor (level None when absent)."""
    onet_code: str
    importance: float | None
    level: float | None


@dataclass(frozen=True)
class Combined:
    importance: float | None
    level: float | None
    onet_codes: tuple[str, ...]
    confidence: float


def select_contributors(mappings: list[Mapping]) -> list[Mapping]:
    """The mappings of the best tier present, sorted by code (exactISCO and unknown types dropped)."""
    usable = [m for m in mappings if m.match_type in MATCH_TIERS]
    if not usable:
        return []
    best = min(MATCH_TIERS[m.match_type] for m in usable)
    # Ascending weight, so that a code listed twice ends up with its strongest match type.
    chosen = {m.onet_code: m for m in sorted(usable, key=lambda m: MATCH_WEIGHTS[m.match_type])
              if MATCH_TIERS[m.match_type] == best}
    return [chosen[c] for c in sorted(chosen)]


INHERITED_MATCH = "broadMatch"  # a borrowed O*NET profile counts like the loosest direct match
MAX_BROADER_STEPS = 4
MAX_SIBLING_CODES = 3


def inherit_contributors(direct: dict[str, list[Mapping]], broader: dict[str, str],
                         isco_of: dict[str, str], isco_mappings: dict[str, list[Mapping]],
                         rated: set[str] | None = None) -> dict[str, tuple[list[Mapping], str]]:
    """O*NET contributors for occupations without a usable one of their own (no crosswalk row, or
    only O*NET codes that carry no ratings): those of the nearest broader ESCO occupation that has
    them, else the ISCO group's own crosswalk, else the codes most used by the other occupations of
    the same ISCO unit group — all downgraded to INHERITED_MATCH. Returns uri -> (contributors,
    'broader' | 'isco' | 'isco_siblings'). Without this ~16 % of occupations had only ESCO skills,
    which general tests (CTC, ABC) barely reach."""
    def usable(uri: str | None) -> list[Mapping]:
        return [m for m in direct.get(uri, []) if rated is None or m.onet_code in rated] if uri else []

    siblings: dict[str, Counter] = defaultdict(Counter)
    for uri, group in isco_of.items():
        siblings[group].update(m.onet_code for m in usable(uri))
    out: dict[str, tuple[list[Mapping], str]] = {}
    for uri in sorted(set(broader) | set(isco_of) | set(direct)):
        if usable(uri):
            continue
        step, up = 0, broader.get(uri)
        while up is not None and not usable(up) and step < MAX_BROADER_STEPS:
            up, step = broader.get(up), step + 1
        group = isco_of.get(uri, "")
        if usable(up):
            out[uri] = (_downgraded(usable(up)), "broader")
        elif [m for m in isco_mappings.get(group, []) if rated is None or m.onet_code in rated]:
            own = [m for m in isco_mappings[group] if rated is None or m.onet_code in rated]
            out[uri] = (_downgraded(select_contributors(own)), "isco")
        elif siblings.get(group):
            codes = sorted(c for c, _ in siblings[group].most_common(MAX_SIBLING_CODES))
            out[uri] = ([Mapping(c, INHERITED_MATCH) for c in codes], "isco_siblings")
    return out


def _downgraded(mappings: list[Mapping]) -> list[Mapping]:
    return [Mapping(m.onet_code, INHERITED_MATCH) for m in mappings]


def _weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for w, _ in pairs)
    if not pairs or total <= 0:
        return None
    return round(sum(w * v for w, v in pairs) / total, 2)


def combine_ratings(contributors: list[Mapping], ratings: dict[str, Rating]) -> Combined | None:
    """Weighted mean of one descriptor over the contributors that rated it; None if none did."""
    weights = {m.onet_code: MATCH_WEIGHTS[m.match_type] for m in contributors}
    rated = [ratings[c] for c in sorted(weights) if c in ratings]
    importance = _weighted_mean([(weights[r.onet_code], r.importance) for r in rated if r.importance is not None])
    level = _weighted_mean([(weights[r.onet_code], r.level) for r in rated if r.level is not None])
    if importance is None and level is None:
        return None
    confidence = max(MATCH_CONFIDENCE[m.match_type] for m in contributors)
    return Combined(importance, level, tuple(r.onet_code for r in rated), confidence)


def importance_relation(importance: float) -> str:
    return "essential" if importance >= ESSENTIAL_IMPORTANCE else "optional"


def onet_requirement(combined: Combined, kind: str) -> dict | None:
    """The REQUIRES properties for an O*NET descriptor, or None when it is not important enough."""
    if combined.importance is None or combined.importance < MIN_IMPORTANCE:
        return None
    relation = importance_relation(combined.importance)
    if combined.level is not None:
        required = combined.level / LEVEL_MAX
    elif kind == "onet_work_style":
        required = (combined.importance - 1) / 4
    else:
        required = ESCO_DEFAULT_LEVEL[relation]
    return {"relation": relation, "importance": combined.importance, "level": combined.level,
            "required_level": _unit(required),
            "weight": _unit(combined.confidence * (combined.importance - 1) / 4),
            "sources": [f"onet:{c}" for c in combined.onet_codes]}


def esco_requirement(relation: str, same_as: Combined | None = None) -> dict:
    """The REQUIRES properties for an ESCO essential/optional skill, enriched by an equivalent O*NET rating."""
    if relation not in ESCO_WEIGHTS:
        raise ValueError(f"ESCO relation must be essential or optional, got {relation!r}")
    props = {"relation": relation, "importance": None, "level": None,
             "required_level": _unit(ESCO_DEFAULT_LEVEL[relation]), "weight": ESCO_WEIGHTS[relation],
             "sources": ["esco"]}
    if same_as is not None and same_as.importance is not None:
        props.update(importance=same_as.importance, level=same_as.level,
                     sources=["esco"] + [f"onet:{c}" for c in same_as.onet_codes])
        if same_as.level is not None:
            props["required_level"] = _unit(same_as.level / LEVEL_MAX)
    return props


def education_category(contributors: list[Mapping], distributions: dict[str, dict[int, float]]) -> int | None:
    """Median RL category (1–12) of the weighted mean distribution; None without data."""
    mixed: dict[int, float] = {}
    total = 0.0
    for m in contributors:
        dist = distributions.get(m.onet_code)
        if not dist:
            continue
        weight = MATCH_WEIGHTS[m.match_type]
        share = sum(dist.values())
        if share <= 0:
            continue
        total += weight
        for category, percent in dist.items():
            mixed[category] = mixed.get(category, 0.0) + weight * percent / share
    if total <= 0:
        return None
    cumulative = 0.0
    for category in sorted(mixed):
        cumulative += mixed[category] / total
        if cumulative >= 0.5 - 1e-9:
            return category
    return max(mixed)


def job_zone(contributors: list[Mapping], zones: dict[str, int]) -> int | None:
    pairs = [(MATCH_WEIGHTS[m.match_type], float(zones[m.onet_code])) for m in contributors if m.onet_code in zones]
    mean = _weighted_mean(pairs)
    return None if mean is None else int(math.floor(mean + 0.5))  # half up, not banker's rounding


def _unit(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)
