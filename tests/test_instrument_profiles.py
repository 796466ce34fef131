"""Instrument profiles: the shipped files, the helpers the ingest uses, every class of broken file,
and the load into Neo4j."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from competency_atlas.instrument_profiles import (PROFILES_DIR, ProfileValidationError, known_competency_uris,
                                                  load_profile, load_profiles)
from competency_atlas.instrument_repository import count_instrument_graph, instrument_rows, write_instruments

WORK_IN_TEAMS = "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0"


@pytest.fixture(scope="module")
def known() -> frozenset[str]:
    return known_competency_uris()


@pytest.fixture(scope="module")
def profiles(known):
    return load_profiles(known_competencies=known)


# ------------------------------------------------------------------ the shipped profiles

def test_the_instruments_and_the_coach_observation_ship_and_all_mappings_point_at_real_competencies(profiles, known):
    assert sorted(profiles) == ["abc", "ctc", "klantprofieltest", "waarneming", "wcm"]
    uris = {m.competency for p in profiles.values() for s in p.scales for m in s.maps_to}
    assert uris <= known
    assert any(u.startswith("onet:1.C.") for u in uris) and WORK_IN_TEAMS in uris


def test_known_competencies_cover_esco_skills_and_onet_descriptors(known):
    assert sum(1 for u in known if u.startswith("http://data.europa.eu/esco/skill/")) == 13939
    onet = {u for u in known if u.startswith("onet:")}
    assert len(onet) == 35 + 33 + 16
    assert {"onet:1.C.5.a", "onet:2.A.1.a", "onet:2.C.1.d"} <= onet


def test_abc_has_55_competencies_in_five_themes_balance_locus_and_8_stressors(profiles):
    abc = profiles["abc"]
    competencies = [s for s in abc.scales if s.kind == "competency"]
    assert len(competencies) == 55
    counts = {t: sum(1 for s in competencies if s.theme == t) for t in
              ("social_skills", "leadership", "work_style", "thinking", "commercial_skills")}
    assert counts == {"social_skills": 10, "leadership": 10, "work_style": 17, "thinking": 9, "commercial_skills": 9}
    stressors = [s for s in abc.scales if s.kind == "stressor"]
    assert len(stressors) == 8 and all(s.direction == "lower_is_better" and s.sensitive for s in stressors)
    assert {s.label_en for s in abc.scales if s.kind == "balance"} == {"Stability", "Ambition", "Suppressed fears"}
    assert [s.kind for s in abc.scales].count("locus_of_control") == 1
    assert [v.id for v in abc.block("cluster").values] == [f"G{i}" for i in range(1, 8)]
    assert all(s.maps_to for s in competencies)


def test_ctc_reports_the_domain_competencies_and_test_types(profiles):
    ctc = profiles["ctc"]
    for label in ("language skills", "accuracy", "independence", "working in teams", "sense of responsibility",
                  "leadership", "social skills", "entrepreneurship"):
        assert ctc.scale(label).range.max == 5
    assert {t.id for t in ctc.themes} >= {"personality", "motivation", "labour_market_orientation", "capacities",
                                          "mobility", "workload_capacity", "entrepreneurship"}
    assert ctc.scale("working in teams").maps_to[0].competency == WORK_IN_TEAMS


def test_wcm_has_five_life_domains_client_profile_and_occupation_list(profiles):
    wcm = profiles["wcm"]
    domains = [s for s in wcm.scales if s.kind == "availability"]
    assert len(domains) == 5 and all(s.sensitive for s in domains)
    steps = wcm.block("client_profile").values
    assert steps[0].label_en == "Not fit for work" and steps[-1].label_en == "Can start now"
    assert wcm.block("occupation_list").type == "occupation_list"
    assert wcm.block("experience").type == "record"


def test_every_profile_says_it_is_a_reference_mapping(profiles):
    assert all(p.reference_mapping and "replace" in p.reference_note for p in profiles.values())


# ------------------------------------------------------------------ helpers for the ingest

def test_scale_lookup_by_id_dutch_or_english_label_ignoring_case_and_spacing(profiles):
    abc = profiles["abc"]
    target = abc.scale("samenwerken")
    assert abc.scale("  SAMENWERKEN ") is target
    assert abc.scale("Cooperation") is target
    assert abc.scale("plannen   en organiseren").id == "plannen_organiseren"
    with pytest.raises(KeyError, match="no scale"):
        abc.scale("juggling")


def test_normalise_honours_range_and_direction(profiles):
    abc, kpt = profiles["abc"], profiles["klantprofieltest"]
    assert abc.normalise("samenwerken", 1) == 0.0
    assert abc.normalise("samenwerken", 10) == 1.0
    assert abc.normalise(abc.scale("samenwerken"), 5.5) == pytest.approx(0.5)
    assert abc.normalise("stressor_dwang", 10) == 0.0          # lower is better
    assert abc.normalise("stressor_dwang", 1) == 1.0
    assert kpt.normalise("initiatief", 24) == pytest.approx(0.5)  # 8..40
    for bad in (0, 11, float("nan")):
        with pytest.raises(ValueError, match="outside"):
            abc.normalise("samenwerken", bad)


@pytest.mark.parametrize("instrument, block, value, expected", [
    ("abc", "cluster", "G1", []),
    ("abc", "cluster", "G3", []),
    ("abc", "cluster", "G4", [("needs_support", "abc_support_g4_g5")]),
    ("abc", "cluster", "g5", [("needs_support", "abc_support_g4_g5")]),
    ("abc", "cluster", "G6", [("not_matchable", "abc_out_of_balance_g6")]),
    ("abc", "cluster", "G7", [("not_matchable", "abc_out_of_balance_g7")]),
    ("wcm", "client_profile", "niet_arbeidsgeschikt", [("not_matchable", "wcm_not_fit_for_work")]),
    ("wcm", "client_profile", "Not fit for work", [("not_matchable", "wcm_not_fit_for_work")]),
    ("wcm", "client_profile", "traject_naar_werk", [("needs_support", "wcm_below_can_start_now")]),
    ("wcm", "client_profile", "zorg_eerst", [("needs_support", "wcm_below_can_start_now")]),
    ("wcm", "client_profile", "Kan direct aan de slag", []),
    ("klantprofieltest", "profile", "A1", []),
    ("klantprofieltest", "profile", "A2", [("needs_support", "kpt_support")]),
    ("klantprofieltest", "profile", "B1", [("not_matchable", "kpt_participation")]),
    ("klantprofieltest", "profile", "B2", [("not_matchable", "kpt_participation")]),
])
def test_gates(profiles, instrument, block, value, expected):
    gates = profiles[instrument].evaluate_gates({block: value})
    assert [(g.status, g.rule_id) for g in gates] == expected
    assert all(g.reason and g.reason_nl and g.block == block for g in gates)


def test_gates_absent_block_is_unknown_not_a_gate_and_invalid_value_is_an_error(profiles):
    assert profiles["abc"].evaluate_gates({}) == []
    assert profiles["ctc"].evaluate_gates({"client_question": "can I do job X?"}) == []
    with pytest.raises(ValueError, match="'G8' is not a value of abc block 'cluster'"):
        profiles["abc"].evaluate_gates({"cluster": "G8"})


def test_gate_reason_names_the_cluster(profiles):
    (gate,) = profiles["abc"].evaluate_gates({"cluster": "G6"})
    assert "G6" in gate.reason and gate.value == "G6"


# ------------------------------------------------------------------ broken files

def _data(name: str) -> dict:
    return yaml.safe_load((PROFILES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _issues(folder: Path, known=None):
    with pytest.raises(ProfileValidationError) as info:
        load_profiles(folder, known_competencies=known)
    return info.value.issues


def _broken(tmp_path: Path, name: str, mutate, known=None):
    data = copy.deepcopy(_data(name))
    mutate(data)
    _write(tmp_path, name, data)
    issues = _issues(tmp_path, known)
    assert all(i.file.endswith(f"{name}.yaml") for i in issues)
    return [(i.path, i.reason) for i in issues]


def test_a_valid_copy_loads(tmp_path):
    _write(tmp_path, "kpt", _data("klantprofieltest"))
    assert list(load_profiles(tmp_path)) == ["klantprofieltest"]


def test_yaml_syntax_error_names_the_line(tmp_path):
    text = (PROFILES_DIR / "klantprofieltest.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(text) if t.startswith("owner:"))
    text[line] = "owner: [unclosed"
    (tmp_path / "kpt.yaml").write_text("\n".join(text), encoding="utf-8")
    (issue,) = _issues(tmp_path)
    assert issue.file.endswith("kpt.yaml") and issue.reason.startswith("YAML syntax error at line")
    # Noticed on the next line; the line where the bracket opened is named too.
    assert issue.reason.startswith(f"YAML syntax error at line {line + 2}, column")
    assert issue.reason.endswith(f"(while parsing a flow sequence at line {line + 1})")


def test_duplicate_yaml_key_is_an_error_not_silently_overwritten(tmp_path):
    text = (PROFILES_DIR / "klantprofieltest.yaml").read_text(encoding="utf-8")
    (tmp_path / "kpt.yaml").write_text(text.replace("version:", "owner: someone\nversion:", 1), encoding="utf-8")
    (issue,) = _issues(tmp_path)
    assert "duplicate key 'owner'" in issue.reason and "line" in issue.reason


def test_missing_required_field(tmp_path):
    assert _broken(tmp_path, "klantprofieltest", lambda d: d["scales"][3].pop("direction")) == \
        [("scales[3].direction", "missing required field")]


def test_unknown_field(tmp_path):
    assert _broken(tmp_path, "klantprofieltest", lambda d: d["scales"][2].update(colour="red")) == \
        [("scales[2].colour", "unknown field")]


def test_duplicate_scale_id(tmp_path):
    def mutate(d):
        d["scales"][5]["id"] = d["scales"][1]["id"]
    assert _broken(tmp_path, "klantprofieltest", mutate) == \
        [("scales[5].id", "duplicate scale id 'communiceren' (first at scales[1])")]


def test_range_min_not_below_max(tmp_path):
    def mutate(d):
        d["scales"][3]["range"] = {"min": 5, "max": 5}
    assert _broken(tmp_path, "klantprofieltest", mutate) == \
        [("scales[3].range", "min must be below max, got min=5 max=5")]


@pytest.mark.parametrize("weight", [0, -0.2, 1.5])
def test_weight_outside_zero_one(tmp_path, weight):
    def mutate(d):
        d["scales"][0]["maps_to"][0]["weight"] = weight
    assert _broken(tmp_path, "klantprofieltest", mutate) == \
        [("scales[0].maps_to[0].weight", f"weight must be in (0, 1], got {weight:g}")]


def test_unknown_match_type(tmp_path):
    def mutate(d):
        d["scales"][0]["maps_to"][0]["match"] = "fuzzy"
    ((path, reason),) = _broken(tmp_path, "klantprofieltest", mutate)
    assert path == "scales[0].maps_to[0].match"
    assert reason.startswith("unknown value 'fuzzy': expected 'exact', 'close', 'broad' or 'narrow'")


def test_unknown_competency_uri(tmp_path, known):
    made_up = "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"

    def mutate(d):
        d["scales"][4]["maps_to"][0]["competency"] = made_up
        d["scales"][6]["maps_to"][1]["competency"] = "onet:9.Z.9"
    assert _broken(tmp_path, "klantprofieltest", mutate, known) == [
        ("scales[4].maps_to[0].competency", f"unknown competency URI {made_up!r} "
                                            "(not an ESCO 1.2.0 skill nor an O*NET Skill/Knowledge/Work Style)"),
        ("scales[6].maps_to[1].competency", "unknown competency URI 'onet:9.Z.9' "
                                            "(not an ESCO 1.2.0 skill nor an O*NET Skill/Knowledge/Work Style)")]


def test_competency_that_is_not_a_uri_at_all(tmp_path):
    def mutate(d):
        d["scales"][0]["maps_to"][0]["competency"] = "teamwork"
    ((path, reason),) = _broken(tmp_path, "klantprofieltest", mutate)
    assert path == "scales[0].maps_to[0].competency" and "ESCO skill URI" in reason


def test_gate_referring_to_unknown_block_value(tmp_path):
    def mutate(d):
        d["gates"][0]["values"] = ["B1", "C3"]
    assert _broken(tmp_path, "klantprofieltest", mutate) == \
        [("gates[0].values[1]", "unknown value 'C3' of block 'profile' (allowed: A1, A2, B1, B2)")]


def test_gate_referring_to_unknown_block(tmp_path):
    def mutate(d):
        d["gates"][1]["block"] = "cluster"
    assert _broken(tmp_path, "klantprofieltest", mutate) == [("gates[1].block", "unknown block 'cluster'")]


def test_abc_theme_count_not_as_declared(tmp_path):
    def mutate(d):
        leadership = [i for i, s in enumerate(d["scales"]) if s["theme"] == "leadership"]
        del d["scales"][leadership[-1]]
    assert _broken(tmp_path, "abc", mutate) == \
        [("themes[1].expected_scales", "theme 'leadership' declares 10 scales, the file has 9")]


def test_scale_in_undeclared_theme(tmp_path):
    def mutate(d):
        d["scales"][0]["theme"] = "sports"
    issues = _broken(tmp_path, "klantprofieltest", mutate)
    assert ("scales[0].theme", "unknown theme 'sports' (declared: competencies)") in issues


def test_duplicate_instrument_id_across_files(tmp_path):
    _write(tmp_path, "a_first", _data("klantprofieltest"))
    _write(tmp_path, "b_second", _data("klantprofieltest"))
    (issue,) = _issues(tmp_path)
    assert issue.file.endswith("b_second.yaml") and issue.path == "id"
    assert issue.reason == "duplicate instrument id 'klantprofieltest': already defined in a_first.yaml"


def test_problems_in_several_files_are_all_reported(tmp_path):
    kpt, wcm = _data("klantprofieltest"), _data("wcm")
    kpt["scales"][0].pop("kind")
    wcm["version"] = ""
    _write(tmp_path, "kpt", kpt)
    _write(tmp_path, "wcm", wcm)
    issues = _issues(tmp_path)
    assert {(Path(i.file).name, i.path) for i in issues} == {("kpt.yaml", "scales[0].kind"), ("wcm.yaml", "version")}
    assert "kpt.yaml: scales[0].kind: missing required field" in str(ProfileValidationError(issues))


def test_load_profile_single_file(tmp_path):
    path = _write(tmp_path, "kpt", _data("klantprofieltest"))
    assert load_profile(path).id == "klantprofieltest"


# ------------------------------------------------------------------ rows and Neo4j

def test_instrument_rows_are_keyed_by_instrument_and_scale(profiles):
    instruments, scales, mappings = instrument_rows({"klantprofieltest": profiles["klantprofieltest"]})
    assert instruments[0]["id"] == "klantprofieltest" and len(instruments[0]["scale_keys"]) == 12
    assert {s["key"] for s in scales} == set(instruments[0]["scale_keys"])
    assert {"key": "klantprofieltest:samenwerken", "uri": WORK_IN_TEAMS, "weight": 1.0, "match": "exact"} in mappings


def _mapped_uris(profiles) -> set[str]:
    return {m.competency for p in profiles.values() for s in p.scales for m in s.maps_to}


def _create_competencies(driver, database, uris):
    with driver.session(database=database) as session:
        session.run("UNWIND $uris AS uri MERGE (:Competency {uri: uri})", uris=sorted(uris)).consume()


def _graph(driver, database):
    with driver.session(database=database) as session:
        return {
            "instrument": session.run("MATCH (i:Instrument {id: 'abc'}) RETURN i{.*} AS i").single()["i"],
            "scale": session.run("MATCH (:Instrument {id: 'ctc'})-[:HAS_SCALE]->(s:Scale {key: 'ctc:samenwerken'}) "
                                 "RETURN s{.*} AS s").single()["s"],
            "edge": session.run("MATCH (:Scale {key: 'ctc:samenwerken'})-[m:MAPS_TO]->(:Competency {uri: $uri}) "
                                "RETURN m{.*} AS m", uri=WORK_IN_TEAMS).single()["m"],
        }


@pytest.mark.neo4j
def test_load_writes_instruments_scales_and_maps_to_and_reports_missing(clean_db, settings, profiles):
    database = settings.neo4j_database
    left_out = "onet:1.C.5.a"  # Dependability: not created, so every mapping onto it must be reported
    _create_competencies(clean_db, database, _mapped_uris(profiles) - {left_out})

    summary = write_instruments(clean_db, profiles, database)

    total_mappings = sum(len(s.maps_to) for p in profiles.values() for s in p.scales)
    expected_missing = sorted(f"{p.id}:{s.id}" for p in profiles.values() for s in p.scales
                              for m in s.maps_to if m.competency == left_out)
    assert expected_missing and sorted(m["scale"] for m in summary.missing) == expected_missing
    assert {m["competency"] for m in summary.missing} == {left_out}
    counts = count_instrument_graph(clean_db, database)
    assert counts == {"instruments": 5, "scales": sum(len(p.scales) for p in profiles.values()),
                      "maps_to": total_mappings - len(expected_missing)}
    assert summary.maps_to == counts["maps_to"]
    got = _graph(clean_db, database)
    assert got["instrument"] == {"id": "abc", "version": "2024.1", "name_nl": profiles["abc"].name.nl,
                                 "name_en": profiles["abc"].name.en, "owner": "L&D Support", "reference_mapping": True}
    assert got["scale"]["label_en"] == "Working in teams" and got["scale"]["min"] == 1 and got["scale"]["max"] == 5
    assert got["edge"] == {"weight": 1.0, "match": "exact"}
    with clean_db.session(database=database) as session:
        assert session.run("MATCH (c:Competency) RETURN count(c) AS n").single()["n"] == len(_mapped_uris(profiles)) - 1

    # Idempotent: loading again changes nothing.
    write_instruments(clean_db, profiles, database)
    assert count_instrument_graph(clean_db, database) == counts


@pytest.mark.neo4j
def test_reload_of_a_changed_profile_replaces_scales_and_mappings(clean_db, settings, profiles, tmp_path):
    database = settings.neo4j_database
    _create_competencies(clean_db, database, _mapped_uris(profiles))
    write_instruments(clean_db, {"klantprofieltest": profiles["klantprofieltest"]}, database)

    data = _data("klantprofieltest")
    data["version"] = "2025.1"
    dropped = data["scales"].pop()["id"]
    data["themes"][0]["expected_scales"] = 11
    data["scales"][0]["maps_to"] = data["scales"][0]["maps_to"][:1]
    data["scales"][0]["maps_to"][0]["weight"] = 0.5
    changed = load_profile(_write(tmp_path, "kpt", data))
    write_instruments(clean_db, {"klantprofieltest": changed}, database)

    with clean_db.session(database=database) as session:
        version = session.run("MATCH (i:Instrument {id: 'klantprofieltest'}) RETURN i.version AS v").single()["v"]
        scales = session.run("MATCH (:Instrument {id: 'klantprofieltest'})-[:HAS_SCALE]->(s) "
                             "RETURN collect(s.scale_id) AS ids").single()["ids"]
        orphan = session.run("MATCH (s:Scale {key: $k}) RETURN count(s) AS n", k=f"klantprofieltest:{dropped}").single()["n"]
        weights = session.run("MATCH (:Scale {key: 'klantprofieltest:samenwerken'})-[m:MAPS_TO]->() "
                              "RETURN collect(m.weight) AS w").single()["w"]
    assert version == "2025.1" and len(scales) == 11 and dropped not in scales and orphan == 0
    assert weights == [0.5]


def test_shipped_folder_copy_validates(tmp_path, known):
    for path in PROFILES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    assert len(load_profiles(tmp_path, known_competencies=known)) == 5


def test_scale_label_colliding_with_another_scale(tmp_path):
    def mutate(d):
        d["scales"][7]["label_en"] = "Cooperation"
    assert _broken(tmp_path, "abc", mutate) == \
        [("scales[7].label_en", "label 'Cooperation' is already used by scales[0]")]


def test_reference_mapping_needs_a_note(tmp_path):
    assert _broken(tmp_path, "klantprofieltest", lambda d: d.pop("reference_note")) == \
        [("reference_note", "a reference mapping must say why (reference_note)")]


def test_choice_block_without_values(tmp_path):
    def mutate(d):
        d["blocks"][0].pop("values")
    issues = _broken(tmp_path, "klantprofieltest", mutate)
    assert ("blocks[0].values", "a choice block needs a non-empty list of values") in issues


def test_client_profile_block_is_one_choice_block(tmp_path, profiles):
    assert (profiles["wcm"].client_profile_block, profiles["klantprofieltest"].client_profile_block) == \
        ("client_profile", "profile")
    assert profiles["abc"].client_profile_block is None  # the ABC cluster is psychological detail, not a profile

    def two(d):
        d["blocks"][0]["client_profile"] = True
        d["blocks"].append({"id": "notes", "label_nl": "Notities", "label_en": "Notes", "type": "text",
                            "client_profile": True})
    assert _broken(tmp_path, "klantprofieltest", two) == [
        ("blocks[1].client_profile", "only one block can be the client profile (also blocks[0])"),
        ("blocks[1].client_profile", "the client profile must be a choice block")]
