"""The scoring core: examples worked by hand, and properties that must hold for any input."""
from __future__ import annotations

import math

import pytest

from hypothesis import given
from hypothesis import strategies as st

from matcher.explain import explain, gap_items, hypothetical, WHAT_IF_CONFIDENCE
from matcher.presenters import fit_text, match_as_dict
from matcher.scoring import (AT_REQUIRED, PARTLY_MARGIN, PRIOR, SHORTFALL_PENALTY, SPECIFIC_PRIOR, Evidence,
                             Requirements,
                             Requirement, Status, credit, level_counted_as, partly_margin, prior_of, score_requirements)
from matcher.service import Match

REQS = [Requirement("a", "A", 0.8, importance=4, essential=True),
        Requirement("b", "B", 0.5, importance=2, essential=False)]


def test_worked_example():
    profile = {"a": Evidence(0.8, 1.0, "CTC")}  # exactly the required level, fully sure; b unknown
    m = score_requirements(REQS, profile)
    # W = 4*1 + 2*0.5 = 5; a: share 0.8, credit AT_REQUIRED, proven -> low 0.8 * 0.7; b: share 0.2, unknown
    assert math.isclose(m.fit_low, 0.8 * AT_REQUIRED) and math.isclose(m.fit_high, 0.8 * AT_REQUIRED + 0.2)
    assert math.isclose(m.fit, 0.8 * AT_REQUIRED + 0.2 * SPECIFIC_PRIOR) and math.isclose(m.coverage, 0.8)
    assert [r.status for r in m.results] == [Status.MET, Status.UNKNOWN]


def test_an_empty_profile_is_the_prior_with_the_whole_range_open():
    m = score_requirements(REQS, {})
    assert math.isclose(m.fit, SPECIFIC_PRIOR) and m.fit_low == 0.0 and m.fit_high == 1.0 and m.coverage == 0.0
    assert all(r.status is Status.UNKNOWN for r in m.results)
    general = [Requirement("onet:2.A.1.a", "Begrijpend lezen", 0.5)]
    assert score_requirements(general, {}).fit == PRIOR  # a general ability is more common than a specific skill


def test_the_prior_is_higher_for_general_abilities_than_for_specific_skills():
    assert prior_of("onet:1.C.3.a") == PRIOR > prior_of("http://data.europa.eu/esco/skill/x") == SPECIFIC_PRIOR
    assert partly_margin(SPECIFIC_PRIOR) > partly_margin(PRIOR) == PARTLY_MARGIN


@given(st.floats(0.3, 1.0), st.sampled_from(["onet:1.C.1.a", "http://data.europa.eu/esco/skill/x"]))
def test_a_what_if_at_the_level_an_unknown_counts_as_leaves_the_expected_fit_as_it_is(required, competency):
    req = Requirement(competency, "X", required)
    start = level_counted_as(required, req.prior)
    before = score_requirements([req], {})
    assert math.isclose(score_requirements([req], hypothetical({}, [(competency, start)])).fit, before.fit,
                        abs_tol=1e-9)
    # above it the fit rises, below it falls: the slider moves both ways from where it starts
    assert score_requirements([req], hypothetical({}, [(competency, start + 0.05)])).fit > before.fit
    assert score_requirements([req], hypothetical({}, [(competency, start - 0.05)])).fit < before.fit


def test_low_confidence_widens_the_range_and_pulls_towards_the_prior():
    sure = score_requirements(REQS[:1], {"a": Evidence(1.0, 1.0, "ABC")})
    old = score_requirements(REQS[:1], {"a": Evidence(1.0, 0.5, "ABC")})
    c = credit(1.0, 0.8)
    assert sure.fit == sure.fit_low == sure.fit_high == c
    assert math.isclose(old.fit_low, 0.5 * c) and math.isclose(old.fit_high, 0.5 * c + 0.5)
    assert math.isclose(old.fit, 0.5 * c + 0.5 * SPECIFIC_PRIOR)


def test_credit_is_the_chance_the_requirement_is_met():
    assert math.isclose(credit(0.8, 0.8), AT_REQUIRED) and credit(0.0, 0.0) == 1.0
    assert credit(1.0, 0.4) > 0.999 and credit(0.2, 0.8) < 0.01
    assert math.isclose(credit(0.8 - PARTLY_MARGIN, 0.8), PRIOR)  # where "partly met" starts
    top, midpoint = credit(1.0, 0.55), credit(0.5, 0.55)  # the median required level of a normed scale
    assert top > 0.99 and abs(midpoint - PRIOR) < 0.15  # a midpoint score says little more than none


def test_the_fit_as_people_read_it():
    assert fit_text(0.72, 0.55, 0.85, 0.6) == "72 % (55–85 %), 60 % gemeten"
    assert fit_text(0.72, 0.55, 0.85, 0.6, "en") == "72 % (55–85 %), 60 % measured"
    # evidence from work history or certificates is not called measured
    assert fit_text(0.72, 0.55, 0.85, 0.2, "nl", 0.4) == "72 % (55–85 %), 20 % gemeten, 40 % afgeleid"


unit = st.floats(min_value=0.0, max_value=1.0)
positive = st.floats(min_value=0.01, max_value=1.0)
NAMES = ["a", "b", "c", "onet:d", "onet:e", "onet:f"]  # specific skills and general abilities
requirement = st.builds(Requirement, competency=st.sampled_from(NAMES), label=st.just("x"),
                        required_level=positive, importance=st.floats(min_value=0.1, max_value=5),
                        essential=st.booleans())
evidence = st.builds(Evidence, level=unit, confidence=unit, source=st.just("T"), inferred=st.booleans())
requirements = st.lists(requirement, min_size=1, max_size=6, unique_by=lambda r: r.competency)
profiles = st.dictionaries(st.sampled_from(NAMES), evidence)


@given(requirement, positive)
def test_for_one_requirement_met_beats_unknown_beats_missing(req, confidence):
    fit = lambda level: score_requirements([req], {req.competency: Evidence(level, confidence, "T")}).fit  # noqa
    unknown = score_requirements([req], {}).fit
    assert fit(req.required_level) > unknown
    missing_level = req.required_level - partly_margin(req.prior) - 0.01  # credit below the prior: missing
    assert score_requirements([req], {req.competency: Evidence(missing_level, confidence, "T")}).results[0].status \
        is Status.MISSING
    assert fit(missing_level) < unknown


@given(requirements, profiles, st.sampled_from(NAMES), unit)
def test_raising_a_level_never_lowers_the_fit(reqs, profile, competency, extra):
    old = profile.get(competency, Evidence(0.0, 1.0, "T"))
    raised = {**profile, competency: Evidence(min(1.0, old.level + extra), old.confidence, "T")}
    before, after = score_requirements(reqs, {**profile, competency: old}), score_requirements(reqs, raised)
    assert after.fit >= before.fit - 1e-12 and after.fit_low >= before.fit_low - 1e-12


@given(requirements, profiles, st.sampled_from(NAMES))
def test_a_client_never_gains_by_having_fewer_measurements(reqs, profile, competency):
    """Dropping evidence that meets its requirement never raises the fit: an unmeasured client
    cannot outrank the same client with a test that shows the level asked."""
    req = next((r for r in reqs if r.competency == competency), None)
    if req is None or competency not in profile or credit(profile[competency].level, req.required_level) < 1.0:
        return
    fewer = {k: v for k, v in profile.items() if k != competency}
    assert score_requirements(reqs, fewer).fit <= score_requirements(reqs, profile).fit + 1e-12


@given(requirements, profiles)
def test_parts_add_up_and_the_fit_lies_in_its_range(reqs, profile):
    m = score_requirements(reqs, profile)
    assert math.isclose(sum(r.contribution for r in m.results), m.fit, abs_tol=1e-9)
    assert -1e-9 <= m.fit_low <= m.fit + 1e-9 <= m.fit_high + 2e-9 <= 1.0 + 3e-9
    total = sum(r.weight for r in reqs)
    unproven = sum(r.weight / total * (1 - (profile[r.competency].confidence if r.competency in profile else 0))
                   * r.prior for r in reqs)
    assert math.isclose(m.fit, m.fit_low + unproven, abs_tol=1e-9)
    # the measured share is the weight whose evidence was measured, not inferred: part of the coverage
    measured = sum(r.weight / total for r in reqs if r.competency in profile and not profile[r.competency].inferred)
    assert math.isclose(m.measured, measured, abs_tol=1e-9) and m.measured <= m.coverage + 1e-9
    for r in m.results:
        if r.requirement.competency not in profile:
            assert r.status is Status.UNKNOWN


@given(requirements, profiles, profiles)
def test_requirements_kept_for_a_target_score_each_client_by_its_own_evidence(reqs, first, second):
    """MatchService keeps one `Requirements` per target and scores every ranked client with it:
    what it holds (the total, the unknown results) must not carry one client into the next."""
    kept = Requirements(reqs)
    total = sum(r.weight for r in reqs)
    for profile in (first, second, first):
        m = score_requirements(kept, profile)
        assert [r.requirement for r in m.results] == list(reqs) and tuple(kept) == tuple(reqs)
        for r in m.results:
            q, e = r.requirement, profile.get(r.requirement.competency)
            if e is None:
                assert r.evidence is None and r.status is Status.UNKNOWN
                expected = q.weight / total * q.prior
            else:
                assert r.evidence is e and r.status is not Status.UNKNOWN
                expected = q.weight / total * (e.confidence * credit(e.level, q.required_level)
                                               + (1 - e.confidence) * q.prior)
            assert math.isclose(r.contribution, expected, abs_tol=1e-12)
        assert math.isclose(m.fit, sum(r.contribution for r in m.results), abs_tol=1e-12)


OTHERS = [f"x{i}" for i in range(8)]  # competencies no requirement asks for


@given(st.lists(requirement, min_size=1, max_size=6), profiles, st.dictionaries(st.sampled_from(OTHERS), evidence))
def test_a_score_is_the_same_whichever_side_the_evidence_is_looked_up_from(reqs, profile, unasked):
    """score_requirements walks the profile when it is the smaller side and the requirements
    otherwise (and always when a target lists a competency twice): evidence nothing asks for
    changes which side is walked, never the score; a twice-listed competency counts twice."""
    small, large = score_requirements(reqs, profile), score_requirements(reqs, {**profile, **unasked})
    assert small == large
    # against a plain pass over every requirement, summed in the same order
    total = sum(q.weight for q in reqs)
    results, low, proven = [], 0.0, 0.0
    for q in reqs:
        e = profile.get(q.competency)
        if e is None:
            results.append((Status.UNKNOWN, q.weight / total * q.prior))
            continue
        c, share = credit(e.level, q.required_level), q.weight / total
        status = Status.MET if e.level >= q.required_level else \
            Status.PARTLY_MET if e.level >= q.required_level - partly_margin(q.prior) else Status.MISSING
        results.append((status, share * (e.confidence * c + (1 - e.confidence) * q.prior)))
        low, proven = low + share * e.confidence * c, proven + share * e.confidence
    assert [(r.status, r.contribution) for r in small.results] == results
    assert small.fit == sum(c for _, c in results) and small.fit_low == low
    assert small.fit_high == min(1.0, low + 1.0 - proven)
    for r, q in zip(small.results, reqs):
        assert (r.evidence is None) == (q.competency not in profile)
    assert sorted(small.heaviest) == list(range(len(reqs)))
    named = [reqs[i] for i in small.heaviest]
    assert named == sorted(reqs, key=lambda q: (not q.essential, -q.weight, q.label))


@given(st.lists(st.tuples(st.sampled_from(NAMES), positive, st.floats(min_value=0.1, max_value=5), st.booleans()),
                max_size=8))
def test_requirements_built_from_index_columns_are_the_ones_built_one_by_one(rows):
    import numpy as np
    importance = np.array([i for *_, i, _ in rows], dtype=np.float32)  # as the index holds it
    one_by_one = [Requirement(c, c.upper(), r, importance=i, essential=e, label_lang="nl")
                  for (c, r, _, e), i in zip(rows, importance.tolist())]
    columns = Requirement.columns([c for c, *_ in rows], [(c.upper(), "nl") for c, *_ in rows],
                                  np.array([r for _, r, _, _ in rows], dtype=np.float64), importance,
                                  np.array([e for *_, e in rows], dtype=np.bool_),
                                  np.array([prior_of(c) for c, *_ in rows]))
    assert columns == one_by_one and all(type(q) is Requirement for q in columns)
    assert [(q.prior, q.weight) for q in columns] == [(q.prior, q.weight) for q in one_by_one]


@given(profiles, st.sampled_from(NAMES), unit)
def test_a_what_if_counts_like_a_fresh_test_and_never_lowers_what_is_known(profile, competency, level):
    after = hypothetical(profile, [(competency, level)])[competency]
    old = profile.get(competency)
    assert after.level == level
    assert after.confidence == max(WHAT_IF_CONFIDENCE, old.confidence if old else 0.0)


def test_gap_items_gain_is_the_fit_the_hypothetical_adds():
    profile = {"a": Evidence(0.6, 1.0, "CTC")}
    items = gap_items(REQS, profile, {})
    by = {g.requirement.competency: g for g in items}
    raised = score_requirements(REQS, hypothetical(profile, [("b", 0.5)])).fit
    assert math.isclose(by["b"].gain, raised - score_requirements(REQS, profile).fit)
    assert [g.requirement.competency for g in items][0] == "a"  # essential first


@given(requirements, profiles)
def test_every_gap_gain_is_the_whole_fit_rescored_with_that_competency_raised(reqs, profile):
    before = score_requirements(reqs, profile).fit
    items = gap_items(reqs, profile, {})
    for g in items:
        q = g.requirement
        level = max(q.required_level, profile[q.competency].level if q.competency in profile else 0.0)
        after = score_requirements(reqs, hypothetical(profile, [(q.competency, level)])).fit
        assert math.isclose(g.gain, after - before, abs_tol=1e-12)
    listed = {g.requirement.competency for g in items}  # and none left out that would gain
    for q in reqs:
        level = max(q.required_level, profile[q.competency].level if q.competency in profile else 0.0)
        gain = score_requirements(reqs, hypothetical(profile, [(q.competency, level)])).fit - before
        met = score_requirements([q], profile).results[0].status is Status.MET
        if abs(gain - 1e-9) > 1e-12:  # not on gap_items' own threshold, where rounding may decide
            assert (q.competency in listed) == (not met and gain > 1e-9)


def test_a_ranked_row_takes_distance_and_shortfalls_off_the_fit_and_its_range_alike():
    reqs = [Requirement("a", "a", 0.5, importance=1.0, essential=True),
            Requirement("b", "b", 0.5, importance=1.0, essential=True)]
    explained = explain(reqs, {"a": Evidence(0.9, 0.9, "abc")}, distance_km=50.0)  # 25 km beyond the radius
    row = Match(1, "V-1", explained, hours_short=True)
    assert math.isclose(row.penalty, explained.distance_penalty + SHORTFALL_PENALTY)
    assert math.isclose(row.fit, explained.match.fit - row.penalty)
    assert math.isclose(row.fit_low, explained.match.fit_low - row.penalty)
    assert math.isclose(row.fit_high, explained.match.fit_high - row.penalty)
    shown = match_as_dict(row)  # what `atlas-match match --json` prints
    assert (shown["fit_low"], shown["fit"], shown["fit_high"]) == (round(row.fit_low, 4), round(row.fit, 4),
                                                                  round(row.fit_high, 4))
    assert shown["hours_short"] is True and shown["coverage"] == 0.5 and shown["requirements"][0]["status"] == "met"
    assert math.isclose(shown["competency_fit"] - shown["distance_penalty"] - SHORTFALL_PENALTY, shown["fit"],
                        abs_tol=1e-3)
    assert Match(1, "V-1", explain(reqs, {}), hours_short=True, education_short=True).fit_low == 0.0  # never below 0


def test_a_requirement_changed_or_remade_keeps_its_weight_and_prior_in_step():
    optional = Requirement("onet:x", "x", 0.5, importance=2.0, essential=False)
    assert optional.weight == 1.0 and optional._replace(essential=True).weight == 2.0
    assert Requirement._make(optional) == optional and optional._replace(competency="y").prior != optional.prior
    with pytest.raises(TypeError):
        optional._replace(weight=3.0)  # derived, never set


@given(st.lists(st.tuples(st.sampled_from([None, "", "kok", "Kok", "bakker", "zz"]), st.sampled_from([0.5, 1.0, 2.0, 3.0]),
                          st.booleans()), max_size=30))
def test_requirements_are_named_essential_first_then_heaviest_then_by_label_then_as_listed(rows):
    from matcher.scoring import Requirements

    reqs = Requirements([Requirement(f"onet:k{i}", label, 0.5, importance=importance, essential=essential)
                         for i, (label, importance, essential) in enumerate(rows)])
    assert list(reqs.heaviest) == sorted(range(len(reqs)), key=lambda i: (not reqs[i].essential, -reqs[i].weight,
                                                                          reqs[i].label or "", i))
    assert [reqs.heaviest[p] for p in reqs.place] == list(range(len(reqs)))  # place: where each one is named
