"""The O*NET -> ESCO requirement arithmetic (pure functions, no database)."""
from __future__ import annotations

import pytest

from competency_atlas import crosswalk as cw
from competency_atlas.crosswalk import Combined, Mapping, Rating


def test_only_the_best_tier_contributes():
    mappings = [Mapping("b", "broadMatch"), Mapping("e", "exactMatch"), Mapping("c", "closeMatch")]
    assert cw.select_contributors(mappings) == [Mapping("e", "exactMatch")]
    assert cw.select_contributors(mappings[:1] + mappings[2:]) == [Mapping("c", "closeMatch")]


def test_narrow_and_broad_share_the_last_tier_and_exact_isco_is_ignored():
    mappings = [Mapping("n", "narrowMatch"), Mapping("b", "broadMatch"), Mapping("g", "exactISCO")]
    assert cw.select_contributors(mappings) == [Mapping("b", "broadMatch"), Mapping("n", "narrowMatch")]
    assert cw.select_contributors([Mapping("g", "exactISCO")]) == []


def test_a_code_listed_twice_keeps_its_strongest_match_type():
    chosen = cw.select_contributors([Mapping("x", "broadMatch"), Mapping("x", "narrowMatch")])
    assert chosen == [Mapping("x", "narrowMatch")]


def test_weighted_mean_uses_match_weights_and_skips_missing_ratings():
    contributors = [Mapping("n", "narrowMatch"), Mapping("b", "broadMatch"), Mapping("z", "broadMatch")]
    ratings = {"n": Rating("n", 4.0, 5.0), "b": Rating("b", 2.0, None)}
    combined = cw.combine_ratings(contributors, ratings)
    # importance: (0.6*4 + 0.4*2) / 1.0 = 3.2; level: only n rated it
    assert combined == Combined(importance=3.2, level=5.0, onet_codes=("b", "n"), confidence=0.6)


def test_no_rating_from_any_contributor_gives_nothing():
    assert cw.combine_ratings([Mapping("a", "exactMatch")], {"b": Rating("b", 4.0, 4.0)}) is None


def test_onet_requirement_thresholds_and_weight():
    strong = cw.onet_requirement(Combined(4.2, 5.6, ("a",), 1.0), "onet_skill")
    assert strong == {"relation": "essential", "importance": 4.2, "level": 5.6, "required_level": 0.8,
                      "weight": 0.8, "sources": ["onet:a"]}
    weak = cw.onet_requirement(Combined(2.5, 2.1, ("a", "b"), 0.5), "onet_knowledge")
    assert weak["relation"] == "optional" and weak["weight"] == pytest.approx(0.1875)
    assert weak["sources"] == ["onet:a", "onet:b"]
    assert cw.onet_requirement(Combined(1.9, 3.0, ("a",), 1.0), "onet_skill") is None


def test_work_styles_without_level_use_importance_as_required_level():
    props = cw.onet_requirement(Combined(4.0, None, ("a",), 1.0), "onet_work_style")
    assert props["level"] is None and props["required_level"] == 0.75


def test_esco_only_requirement_uses_documented_defaults():
    assert cw.esco_requirement("essential") == {
        "relation": "essential", "importance": None, "level": None, "required_level": round(4 / 7, 4),
        "weight": 1.0, "sources": ["esco"]}
    assert cw.esco_requirement("optional")["weight"] == 0.5
    with pytest.raises(ValueError, match="essential or optional"):
        cw.esco_requirement("sometimes")


def test_esco_requirement_enriched_by_an_equivalent_onet_rating_keeps_both_sources():
    props = cw.esco_requirement("optional", Combined(3.9, 3.5, ("11-1011.00",), 1.0))
    assert props["sources"] == ["esco", "onet:11-1011.00"]
    assert props["importance"] == 3.9 and props["required_level"] == 0.5
    assert props["relation"] == "optional"  # ESCO's own relation is not overridden


def test_education_is_the_median_of_the_weighted_distribution():
    contributors = [Mapping("a", "narrowMatch"), Mapping("b", "broadMatch")]
    distributions = {"a": {2: 100.0}, "b": {6: 100.0}}
    # 60% of the weight says category 2, so the median is 2
    assert cw.education_category(contributors, distributions) == 2
    assert cw.education_category([Mapping("b", "broadMatch")], distributions) == 6
    assert cw.education_category([Mapping("x", "exactMatch")], distributions) is None


def test_job_zone_rounds_half_up():
    contributors = [Mapping("a", "exactMatch"), Mapping("b", "exactMatch")]
    assert cw.job_zone(contributors, {"a": 2, "b": 3}) == 3
    assert cw.job_zone(contributors, {"a": 2}) == 2
    assert cw.job_zone(contributors, {}) is None


def test_an_occupation_without_a_crosswalk_row_borrows_the_nearest_broader_profile_downgraded():
    from competency_atlas.crosswalk import INHERITED_MATCH, inherit_contributors

    direct = {"top": [Mapping("11-1011.00", "exactMatch")], "own": [Mapping("22-2222.00", "closeMatch")]}
    broader = {"leaf": "mid", "mid": "top", "own": "top", "orphan": "nowhere"}
    isco = {"orphan": "8344", "lonely": "9999"}
    got = inherit_contributors(direct, broader, isco, {"8344": [Mapping("53-7051.00", "exactMatch")]})
    assert got["leaf"] == ([Mapping("11-1011.00", INHERITED_MATCH)], "broader")  # two steps up
    assert got["mid"] == ([Mapping("11-1011.00", INHERITED_MATCH)], "broader")
    assert got["orphan"] == ([Mapping("53-7051.00", INHERITED_MATCH)], "isco")
    assert "own" not in got and "top" not in got and "lonely" not in got  # direct ones keep their own


def test_unrated_codes_do_not_count_and_isco_siblings_lend_their_most_used_codes():
    from competency_atlas.crosswalk import INHERITED_MATCH, inherit_contributors

    direct = {"unrated": [Mapping("99-9999.00", "exactMatch")],  # a code O*NET gives no ratings
              "a": [Mapping("11-1011.00", "exactMatch")], "b": [Mapping("11-1011.00", "closeMatch"),
                                                              Mapping("11-2022.00", "closeMatch")]}
    isco = {"unrated": "1120", "a": "1120", "b": "1120", "alone": "1120"}
    got = inherit_contributors(direct, {}, isco, {}, rated={"11-1011.00", "11-2022.00"})
    assert got["alone"] == ([Mapping("11-1011.00", INHERITED_MATCH), Mapping("11-2022.00", INHERITED_MATCH)],
                            "isco_siblings")
    assert got["unrated"][1] == "isco_siblings" and "a" not in got and "b" not in got
