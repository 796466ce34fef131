"""Profiles from measurement rows, a batch at a time (ingest/profile_builder.py): pure, no database."""
from __future__ import annotations

import json
from datetime import date

import pytest

from competency_atlas.instrument_profiles import load_profiles
from ingest.profile_builder import ProfileBuilder
from matcher.profile import MEASURED_CONFIDENCE, decay, inferred_strength, mapping_strength
from matcher.profile_store import decode

PROFILES = load_profiles()
SCALE = next(s for s in PROFILES["abc"].scales if s.id == "samenwerken")
TARGET = SCALE.maps_to[0]
OCC = "http://data.europa.eu/esco/occupation/test"


def row(client, mid, when, levels, jobs=(), instrument="abc", gates=()):
    return {"id": mid, "client_key": client, "instrument": instrument, "measured_at": when,
            "scale_ids": list(levels), "levels": list(levels.values()), "sensitive_json": "{}",
            "gates_json": json.dumps(list(gates)), "gate_block_given": bool(gates),
            "work_history_json": json.dumps(list(jobs))}


def builder(skills=None):
    return ProfileBuilder(PROFILES, lambda uris: {u: (skills or {}).get(u, []) for u in uris})


def profile(derived, key):
    return decode(derived[key][0]["props"])


def test_a_scale_score_is_evidence_with_mapping_weight_and_match_factor():
    derived = builder().derive_clients([row("K1", "m1", date(2024, 4, 1), {"samenwerken": 0.75, "no_such": 0.1})])
    e = profile(derived, "K1")[TARGET.competency]
    assert e.level == pytest.approx(0.75) and e.sources == ("m1",) and not e.inferred
    assert e.confidence == pytest.approx(mapping_strength(TARGET.weight, TARGET.match) * MEASURED_CONFIDENCE)
    assert derived["K1"][0]["props"]["gate"] == "matchable" and derived["K1"][1] is None


def test_work_history_adds_inferred_skills_and_a_worked_as_row():
    skill = "http://data.europa.eu/esco/skill/stock"
    jobs = [{"occupation": OCC, "years": 2.0, "until": "2023-01-31"}, {"occupation": None, "title": "kok"}]
    derived = builder({OCC: [skill, TARGET.competency]}).derive_clients(
        [row("K1", "m1", date(2024, 4, 1), {"samenwerken": 0.75}, jobs)])
    p = profile(derived, "K1")
    assert p[skill].inferred and p[skill].sources == (f"work history: {OCC}",)
    # dated at the end of the job, decayed against the client's newest evidence (the measurement)
    age = (date(2024, 4, 1) - date(2023, 1, 31)).days
    assert p[skill].confidence == pytest.approx(decay(inferred_strength(2.0), age, "trainable"), abs=1e-6)
    both = p[TARGET.competency]  # measured and inferred: not inferred, two sources
    assert not both.inferred and both.sources == ("m1", f"work history: {OCC}")
    assert derived["K1"][1] == {"key": "K1", "jobs": [{"uri": OCC, "years": 2.0}]}


def test_a_batch_derives_each_client_as_if_alone():
    rows = [row("K1", "a1", date(2024, 1, 5), {"samenwerken": 0.2}),
            row("K2", "b1", date(2023, 6, 1), {"samenwerken": 0.9, "luisteren": 0.4}),
            row("K1", "a2", date(2024, 3, 1), {"samenwerken": 0.6},
                gates=[{"status": "needs_support", "reason": "ABC cluster G4"}]),
            row("K3", "c1", date(2022, 2, 2), {})]
    together = builder().derive_clients(rows)
    for key in ("K1", "K2", "K3"):
        alone = builder().derive_clients([r for r in rows if r["client_key"] == key])
        assert together[key] == alone[key]
    assert together["K1"][0]["props"]["gate"] == "needs_support"
    assert together["K1"][0]["props"]["gate_sources"] == ["a2"]
    assert profile(together, "K3") == {}
