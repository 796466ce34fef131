"""Profiles from measurement rows, a batch at a time (ingest/profile_builder.py): pure, no database."""
from __future__ import annotations

import json
from datetime import date

import pytest

from competency_atlas.instrument_profiles import load_profiles
from ingest.profile_builder import ProfileBuilder
from matcher.profile import MEASURED_CONFIDENCE, experience_level, experience_strength, mapping_strength
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
    """Occupation -> required competencies, each asked at level 0.6, essential."""
    return ProfileBuilder(PROFILES, lambda uris: {u: [(c, 0.6, True) for c in (skills or {}).get(u, [])]
                                                  for u in uris})


def profile(derived, key):
    return decode(derived[key][0]["props"])


def test_a_scale_score_is_evidence_with_mapping_weight_and_match_factor():
    derived = builder().derive_clients([row("K1", "m1", date(2024, 4, 1), {"samenwerken": 0.75, "no_such": 0.1})])
    e = profile(derived, "K1")[TARGET.competency]
    assert e.level == pytest.approx(0.75) and e.sources == ("m1",) and not e.inferred
    assert e.confidence == pytest.approx(mapping_strength(TARGET.weight, TARGET.match) * MEASURED_CONFIDENCE)
    assert derived["K1"][0]["props"]["gate"] == "matchable" and derived["K1"][1] is None


def test_work_history_adds_the_occupations_requirements_and_a_worked_as_row():
    skill = "http://data.europa.eu/esco/skill/stock"
    jobs = [{"occupation": OCC, "years": 2.0, "until": "2023-01-31"}, {"occupation": None, "title": "kok"}]
    derived = builder({OCC: [skill, TARGET.competency]}).derive_clients(
        [row("K1", "m1", date(2024, 4, 1), {"samenwerken": 0.75}, jobs)])
    p = profile(derived, "K1")
    assert p[skill].inferred and p[skill].sources == (f"work history: {OCC}",)
    # dated at the end of the job: the stored confidence holds on that day (readers decay from it)
    assert p[skill].as_of == date(2023, 1, 31)
    assert p[skill].level == pytest.approx(float(experience_level(0.6, 2.0)))
    assert p[skill].confidence == pytest.approx(float(experience_strength(True, 2.0)), abs=1e-6)
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


def test_certificates_and_courses_are_inferred_evidence_with_their_source():
    from competency_atlas.certificates import load_certificates

    vca = next(c for c in load_certificates() if c.id == "vca_basis")
    r = row("K1", "m1", date(2024, 4, 1), {}, instrument="wcm")
    r["blocks_json"] = json.dumps({"experience": {"courses": ["VCA-basis diploma"]}})
    r["certificates"] = ["pianoles"]  # not a certificate: no evidence, no error
    p = profile(builder().derive_clients([r]), "K1")
    for m in vca.maps_to:
        e = p[m.competency]
        assert e.inferred and e.sources == ("certificate: VCA basis",) and e.as_of == date(2024, 4, 1)
        assert e.level == pytest.approx(m.level) and e.confidence == pytest.approx(vca.confidence)
    assert len(p) == len({m.competency for m in vca.maps_to})


def test_preferences_and_travel_radius_come_from_the_newest_measurement_never_into_the_profile():
    from matcher.preferences import MAX_RADIUS_KM, MIN_RADIUS_KM

    wished = "http://data.europa.eu/esco/occupation/wished"
    old = row("K1", "c1", date(2023, 1, 1), {"reisbereidheid": 1.0}, instrument="ctc")
    new = row("K1", "c2", date(2024, 1, 1), {"reisbereidheid": 0.0}, instrument="ctc")
    wcm = row("K1", "w1", date(2022, 1, 1), {}, instrument="wcm")
    wcm["blocks_json"] = json.dumps({"occupation_list": [wished]})
    props = builder().derive_clients([old, new, wcm])["K1"][0]["props"]
    assert props["travel_radius_km"] == MIN_RADIUS_KM  # the newest reisbereidheid decides
    assert props["preferred_occupations"] == [wished] and props["preference_sources"] == ["wcm"]
    assert profile(builder().derive_clients([old]), "K1") == {}  # reisbereidheid is no competency
    assert builder().derive_clients([old])["K1"][0]["props"]["travel_radius_km"] == MAX_RADIUS_KM
