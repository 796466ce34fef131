"""The scoring core: examples worked by hand, and properties that must hold for any input."""
from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from matcher.scoring import Evidence, Requirement, Status, credit, score_requirements

REQS = [Requirement("a", "A", 0.8, importance=4, essential=True),
        Requirement("b", "B", 0.5, importance=2, essential=False)]


def test_worked_example():
    profile = {"a": Evidence(0.4, 1.0, "CTC")}  # half of the required level; b unknown
    m = score_requirements(REQS, profile)
    # W = 4*1 + 2*0.5 = 5; a: credit 0.5 -> 4*0.5/5 = 0.4; b unknown -> 1/5 open
    assert math.isclose(m.score, 0.4) and math.isclose(m.upper, 0.6) and math.isclose(m.coverage, 0.8)
    assert [r.status for r in m.results] == [Status.MISSING, Status.UNKNOWN]


def test_empty_profile_never_looks_like_a_match():
    m = score_requirements(REQS, {})
    assert m.score == 0.0 and m.upper == 1.0 and m.coverage == 0.0
    assert all(r.status is Status.UNKNOWN for r in m.results)


def test_low_confidence_widens_the_range_not_the_score():
    sure = score_requirements(REQS[:1], {"a": Evidence(0.9, 1.0, "ABC")})
    old = score_requirements(REQS[:1], {"a": Evidence(0.9, 0.5, "ABC")})
    assert sure.score == 1.0 and old.score == 0.5 and old.upper == 1.0


def test_partial_credit_thresholds():
    assert credit(0.9, 0.8) == 1.0 and math.isclose(credit(0.4, 0.8), 0.5) and credit(0.0, 0.0) == 1.0


unit = st.floats(min_value=0.0, max_value=1.0)
requirement = st.builds(Requirement, competency=st.sampled_from("abcdef"), label=st.just("x"),
                        required_level=unit, importance=st.floats(min_value=0.1, max_value=5),
                        essential=st.booleans())
evidence = st.builds(Evidence, level=unit, confidence=unit, source=st.just("T"))
requirements = st.lists(requirement, min_size=1, max_size=6, unique_by=lambda r: r.competency)
profiles = st.dictionaries(st.sampled_from("abcdef"), evidence)


@given(requirements, profiles, st.sampled_from("abcdef"), unit)
def test_raising_a_level_never_lowers_the_score(reqs, profile, competency, extra):
    before = score_requirements(reqs, profile)
    old = profile.get(competency, Evidence(0.0, 1.0, "T"))
    raised = {**profile, competency: Evidence(min(1.0, old.level + extra), old.confidence, "T")}
    if competency in profile:
        assert score_requirements(reqs, raised).score >= before.score - 1e-12


@given(requirements, profiles)
def test_parts_add_up_and_unknown_is_never_met(reqs, profile):
    m = score_requirements(reqs, profile)
    assert math.isclose(sum(r.contribution for r in m.results), m.score, abs_tol=1e-9)
    assert 0.0 <= m.score <= m.upper + 1e-12 <= 1.0 + 1e-9
    for r in m.results:
        if r.requirement.competency not in profile:
            assert r.status is Status.UNKNOWN and r.contribution == 0.0


def test_a_ranked_row_takes_distance_and_shortfalls_off_score_and_upper_alike():
    from matcher.explain import explain
    from matcher.presenters import match_as_dict
    from matcher.scoring import SHORTFALL_PENALTY
    from matcher.service import Match

    reqs = [Requirement("a", "a", 0.5, importance=1.0, essential=True),
            Requirement("b", "b", 0.5, importance=1.0, essential=True)]
    explained = explain(reqs, {"a": Evidence(0.9, 0.9, "abc")}, distance_km=50.0)  # 25 km beyond the radius
    row = Match(1, "V-1", explained, hours_short=True)
    assert math.isclose(row.penalty, explained.distance_penalty + SHORTFALL_PENALTY)
    assert math.isclose(row.score, explained.match.score - row.penalty)
    assert math.isclose(row.upper, explained.match.upper - row.penalty)
    shown = match_as_dict(row)  # what `atlas-match match --json` prints
    assert shown["score_range"] == [round(row.score, 4), round(row.upper, 4)] and shown["hours_short"] is True
    assert math.isclose(shown["competency_score"] - shown["distance_penalty"] - SHORTFALL_PENALTY, shown["score"],
                        abs_tol=1e-3)
    assert Match(1, "V-1", explain(reqs, {}), hours_short=True, education_short=True).score == 0.0  # never below 0
