"""Which competencies are stable traits (personality) rather than trainable, from the instrument profiles.

A competency is stable when every instrument scale that maps onto it is a stable trait; anything
no scale reports on (ESCO skills and knowledge) is trainable.
"""
from __future__ import annotations

from functools import lru_cache

from competency_atlas.instrument_profiles import shipped_profiles


def traits_from_profiles(profiles) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for profile in profiles.values():
        for scale in profile.scales:
            for m in scale.maps_to:
                seen.setdefault(m.competency, set()).add(scale.trait)
    return {uri: "stable" if kinds == {"stable"} else "trainable" for uri, kinds in seen.items()}


@lru_cache(maxsize=1)
def competency_traits() -> dict[str, str]:
    return traits_from_profiles(shipped_profiles())
