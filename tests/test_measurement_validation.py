"""Measurement readers and validation against the shipped instrument profiles: pure, no database."""
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competency_atlas.instrument_profiles import load_profiles
from ingest.measurement_readers import FileProblem, read_csv_text, read_file, read_json_lines, read_json_text
from ingest.measurement_validation import Deduplicator, education_block, validate

TODAY = date(2025, 1, 1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "measurements"
PROFILES = load_profiles()
EDU = education_block(PROFILES)


def base(**changes) -> dict:
    record = {"client_key": "K-1", "instrument": "abc", "instrument_version": "2024.1", "measured_at": "2024-05-01",
              "administered_by": "coach", "scores": {"Samenwerken": 7, "Communicating": 6}, "blocks": {"cluster": "G2"}}
    record.update(changes)
    return record


def check(record: dict):
    [item] = list(read_json_text(__import__("json").dumps(record), "in.json"))
    return validate(item, PROFILES, TODAY, EDU)


def problems(record: dict) -> list[tuple[str, str, str]]:
    return [(p.location, p.field, p.reason) for p in check(record).problems]


def test_valid_record_is_normalised_with_dutch_and_english_labels():
    m = check(base()).measurement
    assert m is not None
    assert {s.scale_id: s.level for s in m.scores} == {"samenwerken": pytest.approx(6 / 9), "communiceren": pytest.approx(5 / 9)}
    assert m.gates == () and m.gate_block_given and m.sensitive_blocks == {"cluster": "G2"} and m.blocks == {}


def test_abc_balance_stressors_and_locus_are_sensitive_scores():
    m = check(base(blocks={"cluster": "G4", "balance": {"stabiliteit": 7}, "stressors": {"dwang": 2},
                           "locus_of_control": 6})).measurement
    sensitive = {s.scale_id for s in m.scores if s.sensitive}
    assert sensitive == {"stabiliteit", "stressor_dwang", "interne_beheersingsorientatie"}
    # stressors: lower is better, so a low raw score is a high level
    assert next(s.level for s in m.scores if s.scale_id == "stressor_dwang") == pytest.approx(1 - 1 / 9)
    assert [g.status for g in m.gates] == ["needs_support"]


@pytest.mark.parametrize("record, field, reason", [
    (base(instrument="xyz"), "instrument", "unknown instrument 'xyz'"),
    (base(instrument_version="1999"), "instrument_version", "unknown version '1999'"),
    (base(scores={"Vliegen": 5}), "scores/Vliegen", "has no scale 'Vliegen'"),
    (base(scores={"Samenwerken": 11}), "scores/Samenwerken", "outside the range of abc:samenwerken [1, 10]"),
    (base(scores={"Samenwerken": "veel"}), "scores/Samenwerken", "is not a number"),
    (base(scores={"Samenwerken": True}), "scores/Samenwerken", "is not a number"),
    (base(scores={"Samenwerken": 5, "cooperation": 6}), "scores/cooperation", "given twice"),
    (base(client_key=" "), "client_key", "missing client key"),
    (base(client_key=None), "client_key", "missing client key"),
    (base(measured_at="gisteren"), "measured_at", "is not a date"),
    (base(measured_at="2031-01-01"), "measured_at", "is in the future"),
    (base(blocks={"cluster": "G8"}), "blocks/cluster", "'G8' is not a value of 'cluster' (allowed: G1, G2, G3, G4, G5, G6, G7)"),
    (base(blocks={"client_profile": "x"}), "blocks/client_profile", "instrument 'abc' has no block 'client_profile'"),
    (base(blocks={"stressors": {"boosheid": 3}}), "blocks/stressors/boosheid", "has no scale 'boosheid'"),
    (base(instrument="wcm", scores={}, blocks={"client_profile": "ontslagen"}), "blocks/client_profile", "is not a value"),
    (base(instrument="wcm", scores={}, blocks={"occupation_list": ["bakker"]}), "blocks/occupation_list", "not ESCO occupation URIs"),
    (base(instrument="wcm", scores={}, blocks={"experience": {"hobby": "x"}}), "blocks/experience/hobby", "has no field 'hobby'"),
    (base(scores={}, blocks={}), "scores", "no scores and no blocks"),
    (base(postcode="ABCD"), "postcode", "is not a Dutch postcode"),
    (base(education_level="phd"), "education_level", "is not a value of 'education_level'"),
    (base(colour="red"), "colour", "unknown field"),
    (base(work_history=[{"occupation": "bakker"}]), "work_history/0/occupation", "is not an ESCO occupation URI"),
])
def test_every_bad_input_class_names_field_and_reason(record, field, reason):
    found = problems(record)
    assert any(f == field and reason in r and loc == "/" for loc, f, r in found), found
    assert check(record).measurement is None
    assert all(p.reason_nl for p in check(record).problems), check(record).problems  # and says it in Dutch


@pytest.mark.parametrize("record, field, dutch", [
    (base(hours_available="veel"), "hours_available", "verwacht een getal"),
    (base(hours_available=True), "hours_available", "verwacht een aantal uren, geen true of false"),
    (base(hours_available=90), "hours_available", "mag hoogstens 80 zijn"),
    (base(administered_by="coach\u202e"), "administered_by", "schrijfrichtingsteken (U+202E)"),
    (base(work_history=[{"title": "kok", "years": -1}]), "work_history/0/years", "moet minstens 0 zijn"),
    (base(certificates=[""]), "certificates/0", "mag niet leeg zijn"),
    (base(scores={"Samenwerken": 11}), "scores/Samenwerken", "valt buiten de schaal abc:samenwerken (1 tot en met 10)"),
])
def test_refusals_of_the_record_model_come_in_dutch_too(record, field, dutch):
    found = [(p.field, p.reason_nl) for p in check(record).problems]
    assert any(f == field and dutch in nl for f, nl in found), found


def test_csv_file_problems_come_in_dutch_too():
    header = "client_key,instrument,measured_at,scale,score"
    unknown = list(read_csv_text(header + ",hours_availble\nK-1,abc,2024-05-01,samenwerken,7,32\n", "in.csv"))
    assert "onbekende kolom(men) hours_availble" in unknown[0].problem.reason_nl
    missing = list(read_csv_text("client_key,scale,score\nK-1,samenwerken,7\n", "in.csv"))
    assert missing[0].problem.reason_nl.startswith("verplichte kolom(men) instrument, measured_at ontbreken")
    assert missing[0].rejected == {"text": "client_key,scale,score\nK-1,samenwerken,7\n"}  # kept to correct
    ragged = list(read_csv_text(header + "\nK-1,abc,2024-05-01,samenwerken,7,8\n", "in.csv"))
    assert "cellen, de kopregel heeft er 5" in ragged[0].problem.reason_nl
    # two uneven rows of one measurement: each is told with its own cell count, in both languages
    [uneven] = [validate(r, PROFILES, TODAY, EDU) for r in read_csv_text(
        header + "\nK-1,abc,2024-05-01,samenwerken,7\nK-1,abc,2024-05-01,x,7,8\nK-1,abc,2024-05-01,y,7,8,9\n", "in.csv")]
    said = sorted((p.reason[:1], p.reason_nl[:1]) for p in uneven.problems if "cel" in p.reason_nl)
    assert said == [("6", "6"), ("7", "7")], [p.reason_nl for p in uneven.problems]
    orphan = [validate(r, PROFILES, TODAY, EDU) for r in read_csv_text(
        header + "\nK-1,abc,2024-05-01,samenwerken,7\nK-1,abc,2024-05-01,,6\n", "in.csv")]
    assert [p.reason_nl for p in orphan[0].problems] == ["een score zonder schaal: noem de schaal waar hij bij hoort"]


def test_measurement_id_is_deterministic_and_a_correction_gets_a_new_id():
    a, b = check(base()).measurement, check(base()).measurement
    corrected = check(base(scores={"Samenwerken": 8, "Communicating": 6})).measurement
    assert a.id == b.id and corrected.id != a.id
    # labels or ids, and the order of the scores, do not change the id
    same = check(base(scores={"communiceren": 6, "samenwerken": 7})).measurement
    assert same.id == a.id


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | _TEXT,
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
                        max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(client=_TEXT, scores=st.dictionaries(st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
                                            st.floats(-1e6, 1e6, allow_nan=False), max_size=12),
       blocks=st.dictionaries(_TEXT, _JSONISH, max_size=3), sensitive=st.dictionaries(_TEXT, _JSONISH, max_size=2))
def test_measurement_id_is_the_hash_of_the_canonical_json_it_always_was(client, scores, blocks, sensitive):
    import hashlib
    import json
    from datetime import date

    from ingest.measurement_models import Score
    from ingest.measurement_validation import measurement_id

    rows = [Score(k, float(v), 0.5, False) for k, v in scores.items()]
    work = [{"occupation": None, "title": "kok", "years": 2.0, "until": "2024-01-01"}]
    # The reference: the one-call canonical JSON every stored id was made with.
    content = [client, "abc", "2024.1", "2024-05-02", sorted([s.scale_id, s.raw] for s in rows), blocks, sensitive, work]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    assert measurement_id(client, "abc", "2024.1", date(2024, 5, 2), rows, blocks, sensitive, work) == expected


def test_duplicates_within_the_input_are_rejected_with_the_first_location():
    items = list(read_json_text(__import__("json").dumps([base(), base(), base(client_key="K-2")]), "in.json"))
    dedupe = Deduplicator()
    results = [dedupe.check(validate(i, PROFILES, TODAY, EDU)) for i in items]
    assert [r.measurement is not None for r in results] == [True, False, True]
    [p] = results[1].problems
    assert (p.location, p.field) == ("/1", "") and "duplicate record" in p.reason and "in.json /0" in p.reason


def test_json_pointers_and_jsonl_lines():
    items = list(read_json_text('[{"a": 1}, 5]', "f.json"))
    assert [i.location for i in items] == ["/0", "/1"]
    assert validate(items[1], PROFILES, TODAY).problems[0].reason == "expected a JSON object (one measurement)"
    lines = list(read_json_lines('{"client_key": "K"}\n\n{broken\n', "f.jsonl"))
    assert [i.location for i in lines] == ["line 1", "line 3"]
    assert "not valid JSON" in validate(lines[1], PROFILES, TODAY).problems[0].reason
    assert isinstance(next(iter(read_json_text("{nope", "f.json"))), FileProblem)


def test_long_csv_groups_rows_and_reports_the_row_of_a_bad_score():
    text = ("client_key,instrument,instrument_version,measured_at,scale,score,block,value\n"
            "K-1,abc,2024.1,2024-05-01,Samenwerken,7,,\n"
            "K-2,abc,2024.1,2024-05-01,Samenwerken,6,,\n"
            "K-1,abc,2024.1,2024-05-01,Leidinggeven,12,,\n"
            "K-1,abc,2024.1,2024-05-01,,,cluster,G3\n")
    records = list(read_csv_text(text, "long.csv"))
    assert [r.location for r in records] == ["rows 1, 3-4", "row 2"]
    bad = validate(records[0], PROFILES, TODAY)
    assert [(p.location, p.field) for p in bad.problems] == [("row 3", "scores/Leidinggeven")]
    assert records[0].raw[1]["score"] == "12"  # the raw rows go to the rejects file as they were
    assert validate(records[1], PROFILES, TODAY).measurement is not None


def test_long_csv_conflicting_cells_and_missing_columns():
    text = ("measurement_id,client_key,instrument,measured_at,administered_by,scale,score\n"
            "X,K-1,abc,2024-05-01,coach A,Samenwerken,7\n"
            "X,K-1,abc,2024-05-01,coach B,Leidinggeven,5\n")
    [record] = list(read_csv_text(text, "c.csv"))
    [p] = validate(record, PROFILES, TODAY).problems
    assert (p.location, p.field) == ("row 2", "administered_by") and "disagrees" in p.reason
    [fp] = list(read_csv_text("client_key,scale,score\nK,a,1\n", "c.csv"))
    assert isinstance(fp, FileProblem) and "instrument, measured_at" in fp.problem.reason


def test_long_csv_loses_no_cell_silently():
    head = "client_key,instrument,measured_at,scale,score,block,value"
    [fp] = list(read_csv_text(f"{head},hours_availble\nK-1,abc,2024-05-01,Samenwerken,7,,,32\n", "typo.csv"))
    assert isinstance(fp, FileProblem) and (fp.problem.location, fp.problem.field) == ("row 0", "hours_availble")
    trailing = list(read_csv_text(f"{head},\nK-1,abc,2024-05-01,Samenwerken,7,,,\n", "excel.csv"))
    assert [r.location for r in trailing] == ["row 1"]  # a trailing separator is no column
    [fp] = list(read_csv_text(f"{head},\nK-1,abc,2024-05-01,Samenwerken,7,,,32\n", "unnamed.csv"))
    assert isinstance(fp, FileProblem) and fp.problem.field == "(no name)"  # unless it holds values
    text = (f"{head}\n"
            "K-1,abc,2024-05-01,Samenwerken,7,,\n"
            "K-1,abc,2024-05-01,,8,,\n"  # a score whose scale was left out
            "K-2,abc,2024-05-01,Samenwerken,6,,\n"
            "K-2,abc,2024-05-01,,,,G3\n")  # a value whose block was left out
    first, second = (validate(r, PROFILES, TODAY) for r in read_csv_text(text, "gaps.csv"))
    assert first.measurement is None and [(p.location, p.field) for p in first.problems] == [("row 2", "scale")]
    assert second.measurement is None and [(p.location, p.field) for p in second.problems] == [("row 4", "block")]


def test_csv_rows_are_numbered_as_the_sheet_shows_them_blank_rows_included():
    text = ("client_key,instrument,measured_at,scale,score\n"
            "K-1,abc,2024-05-01,Samenwerken,7\n"
            "\n"  # a blank row: skipped, but still a row of the sheet
            "K-2,abc,2024-05-01,Samenwerken,12\n")
    records = list(read_csv_text(text, "gaps.csv"))
    assert [r.location for r in records] == ["row 1", "row 3"]
    [problem] = validate(records[1], PROFILES, TODAY).problems
    assert problem.location == "row 3"  # was "row 2": the user looked at the wrong row


def test_hours_available_true_is_not_one_hour():
    from ingest.measurement_models import MeasurementRecord

    data = {"client_key": "K-1", "instrument": "abc", "measured_at": "2024-05-01", "scores": {"Samenwerken": 7}}
    for hours, lands in ((True, False), (32, True), ("32", True), ("nan", False), ("1e400", False)):
        record = MeasurementRecord("m.json", "/0", "json", {**data, "hours_available": hours}, {})
        result = validate(record, PROFILES, TODAY)
        assert (result.measurement is not None) == lands, hours
        if not lands:
            assert result.problems[0].field == "hours_available"
            assert result.problems[0].reason.startswith("expected a number of hours"), result.problems[0].reason


def test_reasons_are_plain_words_and_bounded():
    from ingest.measurement_models import MeasurementRecord

    data = {"client_key": "K-1", "instrument": "abc", "measured_at": "2024-05-01", "scores": {"Samenwerken": 7}}
    def reason(**odd) -> str:
        [p] = validate(MeasurementRecord("m.json", "/0", "json", {**data, **odd}, {}), PROFILES, TODAY).problems
        return p.reason
    assert reason(administered_by="coach\u202eA") == "contains control or text-direction character U+202E"
    assert 100 < len(reason(measured_at="x" * 100_000)) <= 300  # quoted, not echoed at 100,000 characters


def test_rejects_of_two_files_with_one_name_are_kept_apart(tmp_path):
    from ingest.report import IngestReport, Problem, Rejection

    report = IngestReport("measurements", "run1")
    for folder in ("a", "b"):
        report.rejections.append(Rejection((Problem(f"{folder}/data.json", "/0", "", "bad"),),
                                           {"from": folder}, "json"))
    written = report.write_rejects(tmp_path)
    kept = [json.loads(p.read_text()) for p in written if ".rejects." in p.name]
    assert sorted(k[0]["from"] for k in kept) == ["a", "b"]  # the second no longer overwrites the first


def test_shipped_examples_are_all_valid():
    files = sorted(EXAMPLES.iterdir())
    assert {f.suffix for f in files} >= {".json", ".jsonl", ".csv"}
    results = [validate(r, PROFILES, TODAY, EDU) for f in files if f.suffix != ".md" for r in read_file(f)]
    assert results and all(r.measurement is not None for r in results), [r.problems for r in results]
    by_key = {r.measurement.client_key: r.measurement for r in results}
    assert [g.status for g in by_key["K-000102"].gates] == ["not_matchable"]
    assert [g.status for g in by_key["K-000106"].gates] == ["not_matchable"]
    wcm = by_key["K-000104"]
    assert wcm.work_history[0].years == pytest.approx(6.49, abs=0.01) and wcm.education_level == "vmbo"


def test_a_csv_row_that_leaves_its_date_empty_lands_with_its_measurement_not_apart():
    # An empty cell is ignored: the row belongs to the one measurement of that client and instrument.
    text = ("client_key,instrument,measured_at,scale,score\n"
            "K-1,abc,2024-05-01,Samenwerken,7\nK-1,abc,,Communiceren,6\nK-1,abc,01-05-2024,Leidinggeven,5\n"
            "K-2,abc,,Samenwerken,4\n")
    one, alone = list(read_csv_text(text, "gaps.csv"))
    assert one.location == "rows 1-3" and alone.location == "row 4"  # 01-05-2024 is 2024-05-01
    m = validate(one, PROFILES, TODAY).measurement
    assert m is not None and len(m.scores) == 3 and m.measured_at == date(2024, 5, 1)
    assert validate(alone, PROFILES, TODAY).measurement is None  # K-2's only row: its date is missing


def test_a_csv_row_that_could_belong_to_several_measurements_rejects_each_whole_and_names_it():
    text = ("client_key,instrument,measured_at,scale,score\n"
            "K-1,abc,2024-05-01,Samenwerken,7\nK-1,abc,,Communiceren,6\nK-1,abc,2024-06-01,Samenwerken,5\n")
    records = list(read_csv_text(text, "two.csv"))
    assert [r.location for r in records] == ["row 1", "row 3"]
    for record in records:
        result = validate(record, PROFILES, TODAY)
        assert result.measurement is None and [p.location for p in result.problems] == ["row 2"]
        assert "not taken in part" in result.problems[0].reason
        assert any(row.get("scale") == "Communiceren" for row in record.raw)  # to correct in the rejects file


def test_a_job_that_ends_after_the_measurement_or_is_dated_by_a_number_is_refused():
    later = base(work_history=[{"title": "kok", "until": "2099-01-01"}])
    assert [(loc, f) for loc, f, _ in problems(later)] == [("/", "work_history/0/until")]
    assert "after the measurement date 2024-05-01" in problems(later)[0][2]
    assert problems(base(work_history=[{"title": "kok", "until": 0}]))  # pydantic alone read 1970-01-01
    dutch = check(base(work_history=[{"title": "kok", "until": "01-02-2020"}])).measurement
    assert dutch is not None and dutch.work_history[0].until == date(2020, 2, 1)
    block = {"work_history": [{"title": "kok", "from": "2020-01-01", "to": "2099-01-01"}]}
    assert [f for _, f, _ in problems(base(instrument="wcm", scores={}, blocks={"experience": block}))] == [
        "blocks/experience/work_history/0/to"]
    typo = {"work_history": [{"title": "kok", "from": "2020-01-01", "to": "1-2-20200"}]}
    assert [f for _, f, _ in problems(base(instrument="wcm", scores={}, blocks={"experience": typo}))] == [
        "blocks/experience/work_history/0/to"]


def test_a_key_given_twice_in_one_object_is_refused_where_it_stands():
    text = '{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-05-01", "client_key": "K-2", ' \
           '"scores": {"Samenwerken": 7}}'
    [item] = list(read_json_text(text, "twice.json"))
    assert isinstance(item, FileProblem) and item.problem.field == "client_key"
    assert "'client_key' is given twice" in item.problem.reason
    nested = '{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-05-01", ' \
             '"scores": {"Samenwerken": 7, "Samenwerken": 2}}'
    [item] = list(read_json_text(nested, "twice.json"))
    assert isinstance(item, FileProblem) and item.problem.field == "scores/Samenwerken"
    [ok] = list(read_json_text(json.dumps(base()), "once.json"))  # every key once: read as before
    assert not isinstance(ok, FileProblem) and ok.data["client_key"] == "K-1"


def test_a_bad_value_in_a_column_of_the_whole_measurement_names_its_row():
    head = "client_key,instrument,measured_at,scale,score,postcode,hours_available\n"
    for rows, field, row in (("K-1,abc,2024-05-01,Samenwerken,7,,\nK-1,abc,2024-05-01,Communiceren,6,12AB,\n",
                              "postcode", "row 2"),
                             ("K-1,abc,2024-05-01,Samenwerken,7,,\nK-1,abc,2024-05-01,Communiceren,6,,32 uur\n",
                              "hours_available", "row 2")):
        [record] = list(read_csv_text(head + rows, "wide.csv"))
        found = {p.field: p.location for p in validate(record, PROFILES, TODAY).problems}
        assert found == {field: row}  # not "rows 1-2"


def test_excels_unicode_text_export_is_read_tab_separated_with_decimal_commas(tmp_path):
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tabs between cells, Dutch decimal commas
    path = tmp_path / "export.csv"
    path.write_text("client_key\tinstrument\tmeasured_at\tscale\tscore\n"
                    "K-1\tabc\t01-05-2024\tSamenwerken\t6,5\nK-1\tabc\t01-05-2024\tCommuniceren\t6\n",
                    encoding="utf-16")
    [record] = list(read_file(path))
    m = validate(record, PROFILES, TODAY).measurement
    assert m is not None and len(m.scores) == 2 and m.measured_at == date(2024, 5, 1)
    assert sorted(s.raw for s in m.scores) == [6.0, 6.5]
