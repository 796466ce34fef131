"""Readers and validation: each input format, each bad-input class (pure, no database)."""
from __future__ import annotations

import json
from datetime import date

from ingest.vacancy_readers import FileProblem, read_csv_text, read_file, read_json_lines, read_json_text
from ingest.vacancy_validation import KnownCodes, classify_code, reject_duplicates, validate
from vacancy_helpers import SOFTWARE, WAREHOUSE

KNOWN = KnownCodes(esco=frozenset({SOFTWARE, WAREHOUSE}), isco=frozenset({"2512", "9333"}),
                   onet=frozenset({"15-1252.00"}))


def posting(**fields) -> dict:
    base = {"@context": "https://schema.org/", "@type": "JobPosting", "identifier": "V-1",
            "title": "Magazijnmedewerker", "description": "<p>Je werkt in ons magazijn.</p>",
            "datePosted": "2025-03-01", "validThrough": "2025-04-01T23:59:00+01:00"}
    return {**base, **fields}


def test_single_object_list_and_graph_get_json_pointers():
    single = list(read_json_text(json.dumps(posting()), "a.json"))
    assert [(r.location, r.data["identifier"]) for r in single] == [("/", "V-1")]
    many = list(read_json_text(json.dumps([posting(identifier="V-1"), posting(identifier="V-2")]), "b.json"))
    assert [r.location for r in many] == ["/0", "/1"]
    graph = {"@context": "https://schema.org/", "@graph": [
        {"@type": "Organization", "@id": "#org", "name": "Bakkerij De Korrel"},
        posting(identifier="V-3", hiringOrganization={"@id": "#org"})]}
    records = list(read_json_text(json.dumps(graph), "c.json"))
    assert [r.location for r in records] == ["/@graph/1"]  # the Organization is not a vacancy
    result = validate(records[0], KNOWN)
    assert result.vacancy.employer == "Bakkerij De Korrel"  # the @id reference was inlined


def test_json_lines_and_csv_get_line_and_row_locations(tmp_path):
    lines = "\n".join(json.dumps(posting(identifier=f"V-{i}")) for i in range(1, 4))
    assert [r.location for r in read_json_lines(lines, "v.jsonl")] == ["line 1", "line 2", "line 3"]
    path = tmp_path / "v.csv"
    path.write_text("identifier,title,postal_code,skills,hours_per_week,date_posted,brand_colour\n"
                    "C-1,Kok,3511 AB,koken; hygiëne,36,2025-03-01,red\n"
                    "C-2,Programmeur,1011,,40,2025-03-02,\n")
    records = list(read_file(path))
    assert [r.location for r in records] == ["row 1", "row 2"]
    vacancy = validate(records[0], KNOWN).vacancy
    assert vacancy.job_location.postal_code == "3511 AB"
    assert vacancy.skills == ["koken", "hygiëne"]
    assert vacancy.hours_per_week == 36
    assert vacancy.raw_extra == {"brand_colour": "red"}  # an undocumented column is kept, not dropped


def test_valid_posting_is_normalised_and_unused_fields_kept():
    record = next(read_json_text(json.dumps(posting(
        description="<h2>Wat ga je doen?</h2><ul><li>Orders verzamelen</li><li>Heftruck rijden</li></ul>",
        workHours="32-40 uur per week", employmentType=["FULL_TIME", "TEMPORARY"],
        hiringOrganization={"@type": "Organization", "name": "Logistiek BV"},
        jobLocation={"@type": "Place", "address": {"postalCode": "3511AB", "addressLocality": "Utrecht"},
                     "geo": {"latitude": "52.09", "longitude": "5.12"}},
        occupationalCategory={"@type": "CategoryCode", "codeValue": "9333", "inCodeSet": "ISCO-08"},
        skills=[{"@type": "DefinedTerm", "name": "heftruck rijden"}, "orderpicken"],
        baseSalary={"currency": "EUR", "value": 2800})), "v.json"))
    v = validate(record, KNOWN).vacancy
    assert v.description == "Wat ga je doen?\nOrders verzamelen\nHeftruck rijden"
    assert (v.hours_per_week, v.employer, v.occupational_category) == (40, "Logistiek BV", "9333")
    assert (v.date_posted, v.valid_through, v.lang) == (date(2025, 3, 1), date(2025, 4, 1), "nl")
    assert v.job_location.latitude == 52.09 and v.skills == ["heftruck rijden", "orderpicken"]
    assert v.raw_extra == {"baseSalary": {"currency": "EUR", "value": 2800}}


def _problems(**fields):
    record = next(read_json_text(json.dumps([posting(**fields)]), "bad.json"))
    result = validate(record, KNOWN)
    assert result.vacancy is None
    return [(p.source, p.location, p.field) for p in result.problems], [p.reason for p in result.problems]


def test_missing_identifier_or_title():
    where, reasons = _problems(identifier=None, title="  ")
    assert where == [("bad.json", "/0", "identifier"), ("bad.json", "/0", "title")]
    assert reasons[0].startswith("missing")


def test_unparsable_dates_and_valid_through_before_date_posted():
    where, reasons = _problems(datePosted="gisteren")
    assert where == [("bad.json", "/0", "datePosted")] and "unparsable date 'gisteren'" in reasons[0]
    where, reasons = _problems(datePosted="2025-03-10", validThrough="2025-03-01")
    assert where == [("bad.json", "/0", "validThrough")] and "before datePosted" in reasons[0]


def test_unknown_and_malformed_occupation_codes():
    assert _problems(occupationalCategory="9999")[1] == ["unknown ISCO-08 code '9999': not in the atlas"]
    assert "unknown O*NET-SOC code" in _problems(occupationalCategory="11-1011.00")[1][0]
    assert "unknown ESCO occupation" in _problems(occupationalCategory=SOFTWARE[:-4] + "0000")[1][0]
    assert "is not an ISCO-08 code" in _problems(occupationalCategory="baker")[1][0]
    assert classify_code("15-1252") == ("onet", "15-1252.00")
    assert classify_code("http://data.europa.eu/esco/isco/C2512") == ("isco", "2512")


def test_html_only_description_and_hours_out_of_range():
    where, reasons = _problems(description="<div><img src='banner.png'/><br/></div>")
    assert where == [("bad.json", "/0", "description")] and reasons[0].startswith("HTML-only description")
    where, reasons = _problems(hoursPerWeek=80)
    assert where == [("bad.json", "/0", "hoursPerWeek")] and "out of range" in reasons[0]
    assert _problems(workHours="0 uur")[0] == [("bad.json", "/0", "workHours")]


def test_duplicate_identifier_in_one_batch_rejects_the_later_one():
    records = list(read_json_text(json.dumps([posting(), posting(title="Anders")]), "dup.json"))
    results = reject_duplicates([validate(r, KNOWN) for r in records])
    assert results[0].vacancy is not None and results[1].vacancy is None
    problem = results[1].problems[0]
    assert (problem.location, problem.field) == ("/1", "identifier")
    assert problem.reason == "duplicate identifier 'V-1' (first at dup.json, /0)"


def test_malformed_json_is_a_file_problem_with_its_line():
    items = list(read_json_text('[\n{"identifier": "V-1",\n "title": }\n]', "broken.json"))
    assert len(items) == 1 and isinstance(items[0], FileProblem)
    assert items[0].problem.location == "line 3, column 11"
    assert items[0].problem.reason.startswith("malformed JSON")
    items = list(read_json_lines(json.dumps(posting()) + "\n{oops\n" + json.dumps(posting(identifier="V-2")), "v.jsonl"))
    assert [type(i).__name__ for i in items] == ["VacancyRecord", "FileProblem", "VacancyRecord"]
    assert items[1].problem.location == "line 2"


def test_unparsable_coordinate_is_a_warning_not_a_rejection():
    record = next(read_json_text(json.dumps(posting(jobLocation={"geo": {"latitude": "noord", "longitude": 5.1}})), "g.json"))
    result = validate(record, KNOWN)
    assert result.vacancy is not None and result.vacancy.job_location.latitude is None
    assert [w.field for w in result.warnings] == ["jobLocation.geo.latitude"]


def test_a_folder_ingested_again_is_not_fed_its_own_rejects(tmp_path):
    from ingest.vacancy_readers import expand_paths

    (tmp_path / "feed.json").write_text(json.dumps([posting()]))
    (tmp_path / "rejects").mkdir()
    (tmp_path / "rejects" / "feed.run1.rejects.json").write_text(json.dumps([posting(identifier="")]))
    (tmp_path / "rejects" / "vacancies.run1.problems.json").write_text("[]")
    assert expand_paths([tmp_path]) == [tmp_path / "feed.json"]


def test_a_csv_without_the_required_columns_is_one_problem_at_its_header():
    [problem] = list(read_csv_text("Identifier,Title\nV-1,Kok\nV-2,Bakker\n", "v.csv"))
    assert isinstance(problem, FileProblem)
    assert (problem.problem.location, problem.problem.field) == ("row 0", "identifier, title")


def test_every_rejection_of_a_posting_says_it_in_dutch_too():
    from api.pages.adapters import problem_rows
    from api.pages.i18n import translator

    bad = [{"identifier": ""}, {"title": ""}, {"identifier": "V\u202e1"}, {"title": "x" * 301},
           {"datePosted": "gisteren"}, {"datePosted": "1800-01-01"}, {"validThrough": "2025-01-01"},
           {"hoursPerWeek": -5}, {"hoursPerWeek": "veel"}, {"hoursPerWeek": 70},
           {"occupationalCategory": "kok"}, {"occupationalCategory": "9999"}, {"employmentType": [{"a": 1}]},
           {"jobLocation": {"address": 5}}, {"description": {"x": 1}}, {"description": "<br/>"},
           {"@type": "Organization"}]
    document = [posting(**fields) for fields in bad] + ["not an object", posting(), posting()]  # the last: twice
    results = reject_duplicates([validate(r, KNOWN) for r in read_json_text(json.dumps(document), "v.json")])
    problems = [p for r in results for p in r.problems]
    assert len({p.location for p in problems}) == len(bad) + 2  # every bad record rejected, the duplicate too
    assert [p.reason for p in problems if not p.reason_nl] == []
    items = [{"problems": [{"location": p.location, "field": p.field, "reason": p.reason,
                            "reason_nl": p.reason_nl}]} for p in problems]
    assert problem_rows(items, "en", translator("en"))[0]["reason"].startswith("missing")
    dutch = problem_rows(items, "nl", translator("nl"))
    assert dutch[0] == {"where": "vacature 1", "field": "Kenmerk (uw eigen nummer)",
                        "reason": "ontbreekt: een vacature heeft een kenmerk nodig om later bij te werken"}
    assert problem_rows(items[:1], "nl", translator("nl"), from_form=True)[0]["where"] == "het formulier"


def test_file_problems_say_it_in_dutch_too():
    csv_problems = list(read_csv_text("identifier;title\nV-1;Kok;extra\n", "v.csv"))
    json_problems = list(read_json_text('[{"identifier": "V-1",}]', "v.json"))
    lines = list(read_json_lines('{"identifier": "V-1"\n', "v.jsonl"))
    assert [p.problem.reason_nl != "" for p in csv_problems + json_problems + lines] == [True, True, True]


def test_a_graph_without_a_posting_is_reported_not_skipped():
    document = {"@context": "https://schema.org/", "@graph": [{"@type": "Organization", "name": "De Haven"}]}
    [record] = list(read_json_text(json.dumps(document), "org.json"))
    [problem] = validate(record, KNOWN).problems
    assert (problem.location, problem.field) == ("/", "@graph") and problem.reason_nl
