"""Client profile arithmetic (matcher/profile.py): pure, no database."""
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.profile_columns import derive_profile
from matcher.profile import (CONFIDENCE_CAP, HALF_LIFE_DAYS, CompetencyEstimate, Evidence, GateFact, client_gate,
                             EXPERIENCE_MARGIN, FULL_YEARS, current_confidence, decay, decay_many, experience_level,
                             experience_strength)

D = date(2024, 6, 1)
TEAM = "http://data.europa.eu/esco/skill/team"


def worked(occupation, years, when, skills, required=0.6, essential=True):
    """Work-history evidence as the ingest makes it (ingest/profile_builder.py)."""
    return [Evidence(uri, float(experience_level(required, years)), float(experience_strength(essential, years)),
                     when, f"work history: {occupation}", "trainable", True) for uri in skills]


def ev(level, strength=0.7, when=D, source="m1", trait="trainable", inferred=False, uri=TEAM):
    return Evidence(uri, level, strength, when, source, trait, inferred)


def test_decay_halves_after_the_half_life_and_stable_traits_decay_slower():
    assert decay(0.8, HALF_LIFE_DAYS["trainable"], "trainable") == pytest.approx(0.4)
    assert decay(0.8, 365, "stable") > decay(0.8, 365, "trainable")
    assert decay(0.8, -30, "trainable") == 0.8  # future-dated evidence is not boosted


def test_never_measured_stays_unknown():
    profile = derive_profile([ev(0.6)])
    assert set(profile) == {TEAM}
    assert derive_profile([]) == {}


def test_single_evidence_keeps_level_and_base_confidence():
    e = derive_profile([ev(0.6)])[TEAM]
    assert e.level == pytest.approx(0.6)
    assert e.confidence == pytest.approx(0.7)
    assert e.as_of == D and e.sources == ("m1",) and not e.inferred and e.trait == "trainable"


def test_agreeing_evidence_raises_confidence_and_is_capped():
    two = derive_profile([ev(0.6, source="a"), ev(0.6, source="b")])[TEAM]
    assert two.confidence == pytest.approx(1 - 0.3 * 0.3)
    many = derive_profile([ev(0.6, source=str(i)) for i in range(6)])[TEAM]
    assert many.confidence == CONFIDENCE_CAP


def test_disagreeing_evidence_is_less_confident_than_agreeing_evidence():
    agree = derive_profile([ev(0.5, source="a"), ev(0.5, source="b")])[TEAM]
    disagree = derive_profile([ev(0.1, source="a"), ev(0.9, source="b")])[TEAM]
    assert disagree.level == pytest.approx(0.5)
    assert disagree.confidence < agree.confidence - 0.3


def test_newer_evidence_outweighs_older():
    old = D - timedelta(days=int(HALF_LIFE_DAYS["trainable"]))
    e = derive_profile([ev(0.2, when=old, source="old"), ev(0.8, when=D, source="new")])[TEAM]
    # weights 0.35 and 0.7: level = (0.35*0.2 + 0.7*0.8) / 1.05
    assert e.level == pytest.approx((0.35 * 0.2 + 0.7 * 0.8) / 1.05)
    assert e.as_of == D and e.sources == ("new", "old")


def test_instruments_combine_by_strength_weighted_mean():
    e = derive_profile([ev(1.0, strength=0.7, source="abc"), ev(0.0, strength=0.35, source="ctc")])[TEAM]
    assert e.level == pytest.approx(0.7 / 1.05)


def test_work_history_is_inferred_and_does_not_mark_measured_as_inferred():
    inferred = derive_profile(worked("occ:1", 6, D, [TEAM]))[TEAM]
    measured = derive_profile([ev(0.6)])[TEAM]
    assert inferred.inferred and inferred.sources == ("work history: occ:1",)
    both = derive_profile([ev(0.6), *worked("occ:1", 6, D, [TEAM])])[TEAM]
    assert not both.inferred and both.confidence > measured.confidence


@given(st.floats(0.05, 1.0), st.floats(0.0, 40.0), st.floats(0.0, 10.0))
def test_experience_grows_with_years_past_the_level_the_occupation_asks(required, years, more):
    assert experience_level(required, years) <= experience_level(required, years + more) + 1e-12
    assert experience_level(required, years) <= min(1.0, required + EXPERIENCE_MARGIN) + 1e-12
    assert experience_level(required, FULL_YEARS) == pytest.approx(min(1.0, required + EXPERIENCE_MARGIN))
    assert experience_level(required, 0.0) == pytest.approx(0.8 * required)
    assert experience_strength(True, years) <= experience_strength(True, years + more) + 1e-12
    assert experience_strength(False, years) < experience_strength(True, years)  # optional: maybe not practised


def test_work_history_fades_slower_than_a_test_score():
    ages, stable = np.array([730.0, 730.0]), np.array([False, False])
    faded = decay_many(np.full(2, 0.8), ages, stable, np.array([True, False]))
    assert faded[0] > faded[1] == pytest.approx(0.4)


def test_current_confidence_decays_from_as_of():
    e = derive_profile([ev(0.6)])[TEAM]
    assert current_confidence(e, D + timedelta(days=int(HALF_LIFE_DAYS["trainable"]))) == pytest.approx(0.35)


def test_gate_newest_measurement_per_instrument_decides():
    facts = [GateFact("abc", date(2023, 1, 1), "old", True, (("not_matchable", "G6"),)),
             GateFact("abc", date(2024, 1, 1), "new", True, ())]
    assert client_gate(facts).status == "matchable"
    # A newer measurement WITHOUT the gate block says nothing: the older cluster still holds.
    facts.append(GateFact("abc", date(2024, 6, 1), "newest", False, ()))
    facts[1] = GateFact("abc", date(2024, 1, 1), "new", True, (("needs_support", "G4"),))
    gate = client_gate(facts)
    assert (gate.status, gate.reasons, gate.sources) == ("needs_support", ("G4",), ("new",))


def test_gate_strictest_across_instruments_with_sources():
    gate = client_gate([GateFact("abc", D, "a1", True, (("needs_support", "G4"),)),
                        GateFact("wcm", D, "w1", True, (("not_matchable", "not fit"),))])
    assert gate.status == "not_matchable"
    assert gate.reasons == ("not fit", "G4") and gate.sources == ("w1", "a1")
    assert client_gate([]).status == "matchable"


def test_matchable_says_whether_a_gate_block_was_ever_measured():
    never = client_gate([GateFact("abc", D, "a1", False, ()), GateFact("ctc", D, "c1", False, ())])
    assert (never.status, never.measured) == ("matchable", False) and client_gate([]).measured is False
    looked = client_gate([GateFact("abc", D, "a1", True, ()), GateFact("ctc", D, "c1", False, ())])
    assert (looked.status, looked.measured) == ("matchable", True)
    assert client_gate([GateFact("abc", D, "a1", True, (("needs_support", "G4"),))]).measured is True


# ---------------------------------------------------------------- storage format

def test_stored_profile_round_trips_with_shared_and_multiple_sources():
    from matcher.profile_store import decode, encode, evidence_rows

    profile = {
        "k:b": CompetencyEstimate("k:b", 0.25, 0.5, date(2024, 1, 2), True, ("work history: o:1",), "trainable"),
        "k:a": CompetencyEstimate("k:a", 0.75, 0.9, date(2024, 3, 4), False, ("m1", "m2"), "stable"),
        "k:c": CompetencyEstimate("k:c", 0.5, 0.7, date(2024, 3, 4), False, ("m2",), "trainable"),
    }
    props = encode(profile)
    assert props["profile_competencies"] == ["k:a", "k:b", "k:c"]  # sorted
    assert props["profile_sources"] == ["m1", "m2", "work history: o:1"]  # each source stored once
    assert decode(props) == profile
    assert [r["competency"] for r in evidence_rows(props, {"k:c", "k:x"})] == ["k:c"]
    # a subset decodes each kept entry with its own sources, whatever was skipped before it
    assert decode(props, {"k:c", "k:b"}) == {k: profile[k] for k in ("k:b", "k:c")}
    # readers receive the dates as yyyymmdd numbers (matcher/profile_repository.py AS_OF_NUMBERS)
    as_numbers = {**props, "profile_as_of": [d.year * 10000 + d.month * 100 + d.day for d in props["profile_as_of"]]}
    assert decode(as_numbers) == profile
    assert decode(encode({})) == {} and decode({}) == {}


def test_decay_over_arrays_is_the_scalar_decay():
    import numpy as np

    ages, stable = np.array([-30.0, 0.0, 365.0, 2000.0]), np.array([False, True, False, True])
    expected = [decay(0.8, a, "stable" if s else "trainable") for a, s in zip(ages, stable)]
    assert decay_many(np.full(4, 0.8), ages, stable) == pytest.approx(expected)


def test_trait_is_the_kind_with_most_strength_ties_to_stable():
    mixed = [ev(0.5, strength=0.7, trait="stable", source="a"), ev(0.5, strength=0.7, trait="trainable", source="b")]
    assert derive_profile(mixed)[TEAM].trait == "stable"
    mostly = [ev(0.5, strength=0.3, trait="stable", source="a"), ev(0.5, strength=0.7, trait="trainable", source="b")]
    assert derive_profile(mostly)[TEAM].trait == "trainable"


_evidence = st.builds(
    lambda uri, level, strength, days, source, trait, inferred: Evidence(
        f"k:{uri}", level, strength, D - timedelta(days=days), source, trait, inferred),
    st.integers(0, 4), st.floats(0, 1), st.floats(0.01, 1), st.integers(0, 3000), st.sampled_from(["m1", "m2", "w"]),
    st.sampled_from(["trainable", "stable"]), st.booleans())


@given(st.lists(st.lists(_evidence, max_size=12), min_size=1, max_size=4))
def test_a_batch_of_clients_combines_as_each_client_alone(clients):
    """The ingest combines a whole batch at once: no client's evidence may leak into another's."""
    from matcher.profile_columns import EvidenceColumns, combine

    uris = sorted({e.competency for c in clients for e in c})
    sources = sorted({e.source for c in clients for e in c})
    flat = [(i, e) for i, c in enumerate(clients) for e in c]
    combined = combine(EvidenceColumns(
        client=np.array([i for i, _ in flat], dtype=np.int64),
        competency=np.array([uris.index(e.competency) for _, e in flat], dtype=np.int64),
        level=np.array([e.level for _, e in flat]), strength=np.array([e.strength for _, e in flat]),
        day=np.array([e.measured_at.toordinal() for _, e in flat], dtype=np.int64),
        stable=np.array([e.trait == "stable" for _, e in flat], dtype=bool),
        inferred=np.array([e.inferred for _, e in flat], dtype=bool),
        source=np.array([sources.index(e.source) for _, e in flat], dtype=np.int64)))
    bounds = combined.client_bounds(len(clients))
    for i, evidence in enumerate(clients):
        alone = derive_profile(evidence)
        rows = range(bounds[i], bounds[i + 1])
        assert [uris[combined.competency[r]] for r in rows] == sorted(alone)
        for r in rows:
            e = alone[uris[combined.competency[r]]]
            assert (combined.level[r], combined.confidence[r]) == pytest.approx((e.level, e.confidence))
            assert date.fromordinal(int(combined.day[r])) == e.as_of and bool(combined.inferred[r]) == e.inferred
