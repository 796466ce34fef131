"""Education levels on one ordinal scale, so a client's and a job's can be compared.

The scale is the Dutch/European qualifications framework NLQF/EQF 1-8 (1 entry level, 2 mbo-2 /
vmbo, 3 mbo-3, 4 mbo-4 / havo / vwo, 5 associate degree, 6 bachelor (hbo, wo-bachelor), 7 master,
8 doctorate). O*NET's "required level of education" categories (RL 1-12) are mapped onto it; the
US high-school diploma is taken as level 3. Anything unrecognised is None: unknown, never a fail.
"""
from __future__ import annotations

import re

# O*NET Education, Training and Experience category (RL) -> NLQF level.
ONET_RL_TO_NLQF = {1: 1, 2: 3, 3: 3, 4: 4, 5: 5, 6: 6, 7: 6, 8: 7, 9: 7, 10: 7, 11: 8, 12: 8}

_WORDS = [  # most specific first
    (r"\b(phd|doctora\w*|promoti\w*)\b", 8),
    (r"\b(master|msc|ma|wo[- ]?master|postdoc)\b", 7),
    (r"\b(wo|universit\w*|bachelor|bsc|ba|hbo|university)\b", 6),
    (r"\b(associate degree|ad)\b", 5),
    (r"\bmbo[- ]?4\b|\b(havo|vwo|niveau 4|level 4)\b", 4),
    (r"\bmbo[- ]?3\b|\b(niveau 3|level 3|high school|secondary)\b", 3),
    (r"\bmbo[- ]?2\b|\b(vmbo|mavo|niveau 2|level 2)\b", 2),
    (r"\bmbo[- ]?1\b|\b(entree|basisonderwijs|primary|niveau 1|level 1)\b", 1),
    (r"\bmbo\b", 3),
]


def level_from_text(text: str | None) -> float | None:
    if not text:
        return None
    t = text.lower()
    for pattern, level in _WORDS:
        if re.search(pattern, t):
            return float(level)
    return None


def level_from_onet(category: float | int | None) -> float | None:
    if category is None:
        return None
    return float(ONET_RL_TO_NLQF.get(int(round(category)))) if int(round(category)) in ONET_RL_TO_NLQF else None
