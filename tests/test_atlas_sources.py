"""Readers and pure derivations on small frames and files (no database, no real data)."""
from __future__ import annotations

import pandas as pd
import pytest

from competency_atlas.sources import SourceError, crosswalk_file, esco, project_files
from competency_atlas.sources._csv import split_multi

K_ROOT, S_ROOT = "esco:K", "esco:S"


def test_split_multi_drops_blanks_and_repeats():
    assert split_multi("a | b |  | a ", " | ") == ["a", "b"]
    assert split_multi("line one\n\nline  two\n", "\n") == ["line one", "line two"]


def _collections(rows):
    return pd.DataFrame(rows, columns=["collection", "uri", "label", "skill_type", "reuse_level",
                                       "description", "broader_uris", "broader_labels"])


def test_skill_labels_kinds_and_reuse_come_from_relations_collections_and_hierarchy():
    texts = pd.DataFrame({"uri": ["s:1", "s:2", "s:3", "s:4"], "text": [
        "use a forklift drive forklift Operate a forklift.",
        "chemistry chemical science The study of matter.",
        "show initiative take the initiative Be proactive.",
        "exercise self-control self-control apply self-control exercise self-control Manage own feelings.",
    ]})
    relation_labels = pd.DataFrame({"skill_uri": ["s:1", "s:1"], "skill_label": ["wrong label", "use a forklift"]})
    collections = _collections([
        ["transversal", "s:3", "show initiative", "skill/competence", "transversal", "Be proactive.", [], []],
        ["digital", "s:9", "x", "knowledge", "", "", ["s:2"], ["chemistry"]],
    ])
    broader = pd.DataFrame({"uri": ["s:1", "s:2", "g:chem", "s:4"], "broader_uri": ["g:s", "g:chem", K_ROOT, "g:s"]})
    broader = pd.concat([broader, pd.DataFrame({"uri": ["g:s"], "broader_uri": [S_ROOT]})], ignore_index=True)
    top = pd.DataFrame({"uri": [K_ROOT, S_ROOT], "label": ["knowledge", "skills"], "code": ["K", "S"]})

    skills = esco.esco_skills(texts, relation_labels, collections, broader, top).set_index("uri")

    assert skills.loc["s:1", "label"] == "use a forklift"  # the candidate the text starts with
    assert skills.loc["s:2", "label"] == "chemistry"       # from a collection's broader labels
    assert skills.loc["s:4", "label"] == "exercise self-control"  # fallback: repeated leading words
    assert skills["kind"].to_dict() == {"s:1": "skill", "s:2": "knowledge", "s:3": "skill", "s:4": "skill"}
    assert skills.loc["s:3", "reuse_level"] == "transversal" and skills.loc["s:1", "reuse_level"] is None
    assert skills.loc["s:3", "description"] == "Be proactive."


def test_pillar_roots_survive_a_cycle():
    broader = pd.DataFrame({"uri": ["a", "b", "c"], "broader_uri": ["b", "a", "root"]})
    roots = esco.pillar_roots(broader)
    assert roots["c"] == {"root"}
    assert roots["a"] == set() or "root" not in roots["a"]


def test_missing_knowledge_pillar_is_a_clear_error():
    texts = pd.DataFrame({"uri": ["s:1"], "text": ["x y"]})
    top = pd.DataFrame({"uri": [S_ROOT], "label": ["skills"], "code": ["S"]})
    with pytest.raises(SourceError, match="knowledge pillar"):
        esco.esco_skills(texts, pd.DataFrame({"skill_uri": [], "skill_label": []}), _collections([]),
                         pd.DataFrame({"uri": [], "broader_uri": []}), top)


CROSSWALK = """\ufeffMapping project name,ESCO-O*NET Crosswalk,,,,,
Mapping project version,1,,,,,
,,,,,,
O*NET Id,O*NET Title,O*NET Description,ESCO or ISCO URI,ESCO or ISCO Title,ESCO or ISCO Description,Type of Match
11-1011.00,Chief Executives,"Plan, direct",http://e/occ/1,chief executive officer,desc,exactMatch
11-1011.00,Chief Executives,"Plan, direct",http://e/isco/C1120,Managing directors,desc,exactISCO
"""


def test_crosswalk_skips_the_preamble(tmp_path):
    path = tmp_path / "xw.csv"
    path.write_text(CROSSWALK, encoding="utf-8")
    frame = crosswalk_file.read_crosswalk(path)
    assert frame.to_dict("records") == [
        {"onet_code": "11-1011.00", "esco_uri": "http://e/occ/1", "match_type": "exactMatch"},
        {"onet_code": "11-1011.00", "esco_uri": "http://e/isco/C1120", "match_type": "exactISCO"}]


def test_crosswalk_unknown_match_type_names_row_and_field(tmp_path):
    path = tmp_path / "xw.csv"
    path.write_text(CROSSWALK.replace("exactISCO", "sortOfMatch"), encoding="utf-8")
    with pytest.raises(SourceError, match=r"xw.csv: row 2 \(line 6\): field 'Type of Match' is 'sortOfMatch'"):
        crosswalk_file.read_crosswalk(path)


def test_crosswalk_without_header_is_a_clear_error(tmp_path):
    path = tmp_path / "xw.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no header line"):
        crosswalk_file.read_crosswalk(path)


def test_occupation_skill_relation_type_is_checked(tmp_path):
    (tmp_path / "occupationSkillRelations_reconstructed.csv").write_text(
        "occupationUri,occupationLabel,relationType,skillUri,skillLabel,uriMatch\n"
        "o:1,cook,essential,s:1,cook food,unique_prefix\n"
        "o:1,cook,mandatory,s:2,clean,unique_prefix\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"row 2 \(line 3\): field 'relationType' is 'mandatory'"):
        esco.read_occupation_skills(tmp_path)


def test_missing_file_and_missing_column_are_named(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        esco.read_skill_relations(tmp_path)
    (tmp_path / "skillSkillRelations_en.csv").write_text("originalSkillUri,relatedSkillUri\na,b\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"missing column\(s\) \['relationType'\]"):
        esco.read_skill_relations(tmp_path)


def test_project_files_ship_84_onet_descriptors_and_valid_equivalents():
    labels = project_files.read_onet_labels()
    assert labels["kind"].value_counts().to_dict() == {"onet_skill": 35, "onet_knowledge": 33, "onet_work_style": 16}
    assert (labels["label_nl"].str.len() > 0).all()
    equivalents = project_files.read_equivalents()
    assert set(equivalents["match"]) <= {"exact", "close"}
    assert set(equivalents["onet_element_id"]) <= set(labels["element_id"])


def test_equivalent_with_wrong_onet_name_or_unknown_skill_is_rejected():
    labels = project_files.read_onet_labels()
    good = pd.DataFrame([{"onet_element_id": "1.C.6", "onet_label": "Independence", "esco_uri": "s:1",
                          "match": "exact", "note": ""}])
    project_files.check_equivalents(good, labels, {"s:1"})
    with pytest.raises(SourceError, match="row 1: field 'onet_label' 'Autonomy' is not the name of 1.C.6"):
        project_files.check_equivalents(good.assign(onet_label="Autonomy"), labels, {"s:1"})
    with pytest.raises(SourceError, match="field 'esco_uri' 's:1' is not an ESCO skill"):
        project_files.check_equivalents(good, labels, set())
    with pytest.raises(SourceError, match="field 'onet_element_id' '9.Z'"):
        project_files.check_equivalents(good.assign(onet_element_id="9.Z"), labels, {"s:1"})


def test_nl_label_file_with_bad_kind_names_the_line(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("# comment\nelement_id,kind,label_en,label_nl\n1.C.6,onet_trait,Independence,Zelfstandigheid\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match=r"row 1 \(line 3\): field 'kind' is 'onet_trait'"):
        project_files.read_onet_labels(path)


def test_label_rows_are_deterministic_and_skip_alternatives_that_repeat_the_preferred_label():
    from competency_atlas.assemble import _labels_for, label_key

    rows = _labels_for("o:1", "Occupation", "nl", "slager", ["Slager", "vleesbewerker", "vleesbewerker"], ["beenhouwer"])
    assert [(r["kind"], r["text"]) for r in rows] == [
        ("preferred", "slager"), ("alternative", "vleesbewerker"), ("hidden", "beenhouwer")]
    assert rows[0]["key"] == label_key("o:1", "nl", "preferred", "slager")
    assert label_key("o:1", "nl", "preferred", "slager") != label_key("o:1", "en", "preferred", "slager")
