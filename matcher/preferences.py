"""What a client's measurements say besides competencies: preferences, availability, documents.
Pure functions over stored measurement rows; no I/O.

- Preferred occupations: the occupation lists of the instruments (WCM's labour-market diagnosis,
  CTC's fitting occupations), newest measurement first. They are a PREFERENCE signal shown beside
  the fit, never evidence of competence.
- Travel radius: CTC `reisbereidheid` (willingness to travel), newest score, 1-5 on its scale,
  becomes the radius within which vacancies are sought: from MIN_RADIUS_KM at the bottom of the
  scale to MAX_RADIUS_KM at the top.
- Documents: certificates, licences, diplomas and courses as written (WCM `experience.courses`
  and the measurement's `certificates`), for matching to competency_atlas/certificates.yaml.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from competency_atlas.instrument_profiles import InstrumentProfile

TRAVEL_SCALE = ("ctc", "reisbereidheid")
MIN_RADIUS_KM, MAX_RADIUS_KM = 10.0, 50.0


def _blocks(row: dict) -> dict:
    return json.loads(row.get("blocks_json") or "{}")


def documents(row: dict) -> list[str]:
    """The certificate and course texts of one stored measurement."""
    experience = _blocks(row).get("experience")
    courses = experience.get("courses") if isinstance(experience, dict) else None
    texts = [*(courses if isinstance(courses, list) else []), *(row.get("certificates") or [])]
    return [t for t in texts if isinstance(t, str) and t.strip()]


def travel_radius_km(level: float) -> float:
    """A normalised reisbereidheid level (0 = bottom of the scale, 1 = top) as a search radius."""
    return round(MIN_RADIUS_KM + (MAX_RADIUS_KM - MIN_RADIUS_KM) * min(max(level, 0.0), 1.0), 1)


def client_preferences(rows: Iterable[dict], profiles: dict[str, InstrumentProfile]) -> dict:
    """{preferred_occupations, preference_sources, travel_radius_km} from one client's measurements."""
    lists = {p.id: [b.id for b in p.blocks or [] if b.type == "occupation_list"] for p in profiles.values()}
    occupations: dict[str, str] = {}
    radius = None
    for row in sorted(rows, key=lambda r: (str(r["measured_at"]), r["id"]), reverse=True):  # newest first
        blocks = _blocks(row)
        for block in lists.get(row["instrument"], []):
            for uri in blocks.get(block) or []:
                occupations.setdefault(uri, row["instrument"])
        if radius is None and row["instrument"] == TRAVEL_SCALE[0] and TRAVEL_SCALE[1] in (row["scale_ids"] or []):
            radius = travel_radius_km(row["levels"][row["scale_ids"].index(TRAVEL_SCALE[1])])
    uris = sorted(occupations)
    return {"preferred_occupations": uris, "preference_sources": [occupations[u] for u in uris],
            "travel_radius_km": radius}


def preference(occupation: str | None, preferred: Iterable[str]) -> str | None:
    """The preference signal of one ranked row: "wished" when the row's occupation is one the
    client's instruments list as preferred, else None (no preference known: not a dislike)."""
    return "wished" if occupation is not None and occupation in set(preferred) else None
