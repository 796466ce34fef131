"""The vacancy ingest against the real Neo4j server: what lands, what is reported, upserts, history, expiry."""
from __future__ import annotations

import json
from datetime import date
from functools import partial

import pytest

from competency_atlas.lookup import build_index
from competency_atlas.lookup_repository import load_label_rows
from ingest.geo import load_geography
from ingest.normalise import OccupationNormaliser
from ingest.vacancy_ingest import Enricher, ingest_paths
from ingest.vacancy_repository import load_occupation_codes, load_profiles
from vacancy_helpers import LIFT, PYTHON, SOFTWARE, STACK, WAREHOUSE, write_mini_atlas

TODAY = date(2025, 3, 15)


def posting(identifier, **fields) -> dict:
    base = {"@context": "https://schema.org/", "@type": "JobPosting", "identifier": identifier,
            "title": "Magazijnmedewerker", "description": "<p>Je verzamelt orders in ons magazijn.</p>",
            "datePosted": "2025-03-01", "validThrough": "2025-04-30", "inLanguage": "nl",
            "jobLocation": {"@type": "Place", "address": {"postalCode": "3511 AB", "addressLocality": "Utrecht"}}}
    return {**base, **fields}


def make_enricher(driver, database, extractor=None) -> Enricher:
    codes = load_occupation_codes(driver, database)
    index = build_index(load_label_rows(driver, database, "Occupation"))  # lexical only: fast tests
    return Enricher(codes, OccupationNormaliser(codes, index), load_geography(settings_data_dir()), extractor,
                    partial(load_profiles, driver, database))


def settings_data_dir():
    from graph_schema.settings import settings
    return settings().data_dir


@pytest.fixture
def atlas(clean_db, settings):
    write_mini_atlas(clean_db, settings.neo4j_database)
    return clean_db


def run(atlas, settings, paths, today=TODAY, extractor=None):
    enricher = make_enricher(atlas, settings.neo4j_database, extractor)
    return ingest_paths(paths, atlas, settings.neo4j_database, enricher, today=today, batch_size=2)


def query(driver, settings, cypher, **params):
    return [r.data() for r in driver.execute_query(cypher, params, database_=settings.neo4j_database).records]


def write(path, data):
    path.write_text(json.dumps(data, ensure_ascii=False))
    return path


def test_valid_records_land_and_invalid_ones_are_reported(atlas, settings, tmp_path):
    path = write(tmp_path / "feed.json", [
        posting("V-1"), posting("V-2", title=None), posting("V-3", occupationalCategory="9999"),
        posting("V-4", title="Software developer", inLanguage="en"), posting("V-1", title="Dubbel")])
    report = run(atlas, settings, [path])
    assert (report.landed, report.created, report.rejected, report.exit_code) == (2, 2, 3, 2)
    assert [(p.source, p.location, p.field) for p in report.problems] == [
        (str(path), "/1", "title"), (str(path), "/2", "occupationalCategory"), (str(path), "/4", "identifier")]
    assert report.problems[1].reason == "unknown ISCO-08 code '9999': not in the atlas"
    rows = query(atlas, settings, "MATCH (v:Vacancy)-[f:FOR_OCCUPATION]->(o) RETURN v.id AS id, o.uri AS uri, "
                 "f.method AS method, v.municipality_code AS gm, v.region_code AS am, v.status AS status ORDER BY id")
    assert rows == [{"id": "V-1", "uri": WAREHOUSE, "method": "title_exact", "gm": "GM0344", "am": "AM13", "status": "open"},
                    {"id": "V-4", "uri": SOFTWARE, "method": "title_exact", "gm": "GM0344", "am": "AM13", "status": "open"}]
    written = report.write_rejects(tmp_path / "rejects")
    rejected = json.loads(next(p for p in written if p.name.startswith("feed.")).read_text())
    assert [r["identifier"] for r in rejected] == ["V-2", "V-3", "V-1"]

    # The person who fixes the rejects file re-ingests it: the corrected records land.
    rejected[0]["title"] = "Magazijnmedewerker"
    del rejected[1]["occupationalCategory"]
    again = run(atlas, settings, [write(tmp_path / "fixed.json", rejected[:2])])
    assert (again.landed, again.created, again.rejected) == (2, 2, 0)
    assert [r["id"] for r in query(atlas, settings, "MATCH (v:Vacancy) RETURN v.id AS id ORDER BY id")] == \
        ["V-1", "V-2", "V-3", "V-4"]


def test_low_confidence_occupation_is_stored_flagged_for_review(atlas, settings, tmp_path):
    path = write(tmp_path / "feed.json", [posting("V-1"), posting("V-9", title="Qwzx vrbnk plomp")])
    report = run(atlas, settings, [path])
    assert report.needs_review == 1
    rows = query(atlas, settings, "MATCH (v:Vacancy) RETURN v.id AS id, v.needs_review AS review, "
                 "v.occupation_confidence AS confidence ORDER BY id")
    assert [(r["id"], r["review"]) for r in rows] == [("V-1", False), ("V-9", True)]
    assert rows[0]["confidence"] == 1.0 and (rows[1]["confidence"] or 0.0) < 1.0


def test_every_format_from_a_folder_with_record_locations(atlas, settings, tmp_path):
    write(tmp_path / "graph.jsonld", {"@context": "https://schema.org/", "@graph": [
        {"@type": "Organization", "@id": "#o", "name": "Kok & Co"}, posting("G-1", hiringOrganization={"@id": "#o"})]})
    (tmp_path / "lines.jsonl").write_text(json.dumps(posting("L-1")) + "\n{broken\n" + json.dumps(posting("L-2")) + "\n")
    (tmp_path / "rows.csv").write_text(
        "identifier,title,postal_code,date_posted,valid_through,hours_per_week,language\n"
        "C-1,Kok,1011,2025-03-01,2025-04-01,38,nl\n"
        "C-2,Kok,1011,1 maart,2025-04-01,38,nl\n")
    write(tmp_path / "single.json", posting("S-1"))
    report = run(atlas, settings, [tmp_path])
    assert report.landed == 5
    assert sorted((p.source.rsplit("/", 1)[-1], p.location, p.field) for p in report.problems) == [
        ("lines.jsonl", "line 2", ""), ("rows.csv", "row 2", "datePosted")]
    ids = [r["id"] for r in query(atlas, settings, "MATCH (v:Vacancy) RETURN v.id AS id ORDER BY id")]
    assert ids == ["C-1", "G-1", "L-1", "L-2", "S-1"]
    employer = query(atlas, settings, "MATCH (v:Vacancy {id: 'G-1'}) RETURN v.employer AS e")[0]["e"]
    assert employer == "Kok & Co"


GRAPH_STATE = """
MATCH (v:Vacancy) OPTIONAL MATCH (v)-[r]->(n)
WITH v, collect([type(r), coalesce(n.uri, n.code, n.key), r.origin, r.relation]) AS edges
RETURN v.id AS id, properties(v) AS props, edges ORDER BY id
"""


def test_second_ingest_is_unchanged_and_leaves_the_graph_as_it_was(atlas, settings, tmp_path):
    path = write(tmp_path / "feed.json", [posting("V-1", skills=[PYTHON]), posting("V-2")])
    first = run(atlas, settings, [path])
    before = query(atlas, settings, GRAPH_STATE)
    second = run(atlas, settings, [path])
    assert (first.created, second.created, second.updated, second.unchanged, second.landed) == (2, 0, 0, 2, 0)
    assert "normalise" not in second.seconds  # unchanged vacancies are not enriched again
    assert query(atlas, settings, GRAPH_STATE) == before
    assert query(atlas, settings, "MATCH (h:VacancyVersion) RETURN count(h) AS n") == [{"n": 0}]


def test_republished_vacancy_is_updated_in_place_and_keeps_its_history(atlas, settings, tmp_path):
    run(atlas, settings, [write(tmp_path / "a.json", [posting("V-1")])])
    report = run(atlas, settings, [write(tmp_path / "b.json", [posting(
        "V-1", title="Software developer", inLanguage="en", validThrough="2025-05-31")])])
    assert (report.updated, report.created) == (1, 0)
    rows = query(atlas, settings, """
        MATCH (v:Vacancy {id: 'V-1'})-[:FOR_OCCUPATION]->(o)
        MATCH (v)-[:HAS_VERSION]->(h:VacancyVersion)
        RETURN count(DISTINCT v) AS n, v.title AS title, v.version AS version, o.uri AS now,
               h.title AS old_title, h.version AS old_version, h.occupation_uri AS then, h.key AS key""")
    assert rows == [{"n": 1, "title": "Software developer", "version": 2, "now": SOFTWARE,
                     "old_title": "Magazijnmedewerker", "old_version": 1, "then": WAREHOUSE, "key": "V-1#1"}]


def test_past_valid_through_is_closed_not_deleted(atlas, settings, tmp_path):
    path = write(tmp_path / "feed.json", [posting("OLD", validThrough="2025-03-10"), posting("NEW")])
    report = run(atlas, settings, [path])
    assert report.closed == 1
    later = run(atlas, settings, [path], today=date(2025, 5, 1))  # NEW has expired since
    assert (later.unchanged, later.closed) == (2, 1)
    rows = query(atlas, settings, "MATCH (v:Vacancy) RETURN v.id AS id, v.status AS status ORDER BY id")
    assert rows == [{"id": "NEW", "status": "closed"}, {"id": "OLD", "status": "closed"}]


def test_unknown_location_lands_with_a_warning(atlas, settings, tmp_path):
    path = write(tmp_path / "feed.json", [posting("V-1", jobLocation={"address": {"addressLocality": "Blorpdorp"}})])
    report = run(atlas, settings, [path])
    assert report.landed == 1 and report.exit_code == 0
    assert [(w.location, w.field) for w in report.warnings] == [("/0", "jobLocation")]
    assert "Blorpdorp" in report.warnings[0].reason and "locatie onbekend gelaten" in report.warnings[0].reason_nl
    row = query(atlas, settings, "MATCH (v:Vacancy) RETURN v.location AS loc, v.location_method AS m, "
                "v.locality_given AS given")[0]
    assert row == {"loc": None, "m": "unknown", "given": "Blorpdorp"}


def test_explicit_and_inherited_requirements_are_distinguishable(atlas, settings, tmp_path):
    path = write(tmp_path / "feed.json", [posting("V-1", skills=[LIFT, "heftruckcertificaat"],
                                                  occupationalCategory=WAREHOUSE)])
    report = run(atlas, settings, [path])
    assert [w.reason for w in report.warnings] == [
        "skill 'heftruckcertificaat' not found among the atlas' competencies: kept as text"]
    assert report.warnings[0].reason_nl == ("vaardigheid 'heftruckcertificaat' niet gevonden onder de competenties "
                                            "van de atlas: als tekst bewaard")
    rows = query(atlas, settings, "MATCH (v:Vacancy)-[r:REQUIRES]->(c) RETURN c.uri AS uri, r.origin AS origin, "
                 "r.origins AS origins, r.relation AS relation ORDER BY uri")
    by_uri = {r["uri"]: r for r in rows}
    assert by_uri[LIFT] == {"uri": LIFT, "origin": "explicit", "origins": ["explicit", "inherited"], "relation": "essential"}
    assert by_uri[STACK]["origin"] == "inherited"
    unresolved = query(atlas, settings, "MATCH (v:Vacancy) RETURN v.unresolved_skills AS s, v.occupation_method AS m")
    assert unresolved == [{"s": ["heftruckcertificaat"], "m": "explicit_esco"}]


@pytest.fixture(scope="module")
def small_extractor():
    """The real extractor (the configured model) over the miniature atlas' skills."""
    from graph_schema.settings import settings as configured
    from ingest.extraction import SentenceEncoder
    from ingest.skill_index import SkillEntry, build_index as build_skills
    from ingest.vacancy_requirements import VacancyExtractor
    from vacancy_helpers import COMPETENCIES

    model = configured().embedding_model
    entries = [SkillEntry(uri, label, label) for uri, label in COMPETENCIES]
    return VacancyExtractor(build_skills(entries, model, None), SentenceEncoder(model))


def test_extracted_explicit_and_inherited_requirements_in_the_graph(atlas, settings, tmp_path, small_extractor):
    from vacancy_helpers import BARCODE, SQL

    description = ("<p>About us: we are a leading logistics company with a generous pension scheme.</p>"
                   "<ul><li>You must be able to lift heavy weights.</li>"
                   "<li>Experience with SQL is a plus.</li></ul>")
    path = write(tmp_path / "feed.json", [posting("X-1", title="Warehouse worker", inLanguage="en",
                                                  description=description, skills=["use barcode scanning equipment"])])
    report = run(atlas, settings, [path], extractor=small_extractor)
    assert report.landed == 1
    rows = query(atlas, settings, "MATCH (:Vacancy {id: 'X-1'})-[r:REQUIRES]->(c) RETURN c.uri AS uri, r.origin AS origin, "
                 "r.origins AS origins, r.relation AS relation, r.score AS score, r.sentence AS sentence")
    by_uri = {r["uri"]: r for r in rows}
    lift = by_uri[LIFT]
    assert (lift["origin"], lift["origins"], lift["relation"]) == ("extracted", ["extracted", "inherited"], "essential")
    assert lift["sentence"] == "You must be able to lift heavy weights." and lift["score"] >= 0.55
    sql = by_uri[SQL]  # not in the warehouse profile: extracted only, a nice-to-have
    assert (sql["origin"], sql["origins"], sql["relation"]) == ("extracted", ["extracted"], "optional")
    barcode = by_uri[BARCODE]  # named in `skills` by its exact label; optional in the profile, essential here
    assert (barcode["origin"], barcode["origins"], barcode["relation"]) == ("explicit", ["explicit", "inherited"], "essential")
    assert (by_uri[STACK]["origin"], by_uri[STACK]["score"]) == ("inherited", None)
    assert not any("pension" in (r["sentence"] or "") for r in rows)  # boilerplate dropped


def test_cli_prints_the_report_and_exits_2_on_rejects(atlas, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    path = write(tmp_path / "feed.json", [posting("C-1"), posting("C-2", datePosted="31 februari")])
    result = CliRunner().invoke(app, ["ingest", "vacancies", str(path), "--json", "--no-extract",
                                      "--rejects-dir", str(tmp_path / "rejects")])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["landed"], report["rejected"]) == (1, 1)
    assert report["problems"] == [{"source": str(path), "location": "/1", "field": "datePosted",
                                   "reason": "unparsable date '31 februari': expected ISO 8601 "
                                             "(2025-03-01 or 2025-03-01T09:00:00+01:00)",
                                   "reason_nl": "onleesbare datum '31 februari': schrijf 2025-03-01 (of 01-03-2025)"}]
    assert any(p.endswith(".rejects.json") for p in report["rejects_files"])


def test_whose_a_vacancy_is_is_checked_again_inside_the_write(atlas, settings, tmp_path):
    """A sender that may not change a stored vacancy is refused by the write itself, even when the
    read before it said otherwise (another process stored it in between): nothing of it changes."""
    db = settings.neo4j_database
    path = write(tmp_path / "feed.json", [posting("V-1")])
    assert run(atlas, settings, [path]).landed == 1  # a feed's vacancy: nobody added it
    asked = []

    def only_the_second_time(region, added_by):  # the pipeline's read lets it through; the write does not
        asked.append((region, added_by))
        return len(asked) == 1

    enricher = make_enricher(atlas, db)
    changed = write(tmp_path / "desk.json", [posting("V-1", title="Overgenomen"), posting("V-NEW", title="Kok")])
    report = ingest_paths([changed], atlas, db, enricher, today=TODAY, added_by="desk-9", may_change=only_the_second_time)
    assert asked == [("AM13", None), ("AM13", None)]  # Utrecht's region, added by nobody: asked before and in the write
    assert report.landed == 1 and report.rejected == 1
    [problem] = report.rejections[0].problems
    assert problem.field == "identifier" and "is niet door u toegevoegd" in problem.reason_nl
    rows = query(atlas, settings, "MATCH (v:Vacancy) RETURN v.id AS id, v.title AS t, v.added_by AS by, "
                 "v.version AS version ORDER BY id")
    assert rows == [{"id": "V-1", "t": "Magazijnmedewerker", "by": None, "version": 1},  # untouched
                    {"id": "V-NEW", "t": "Kok", "by": "desk-9", "version": 1}]  # new: the sender's


def test_the_production_enricher_takes_the_look_up_index_that_search_and_the_api_read(atlas, settings, tmp_path):
    """build_enricher's occupation look-up comes from competency_atlas.concept_search, kept on disk
    per atlas release: the next process (the API's first search, `atlas-match search`) reads it."""
    from competency_atlas import concept_search
    from ingest.vacancy_ingest import build_enricher

    db = settings.neo4j_database
    atlas.execute_query("CREATE (:AtlasRelease {version: 'v1', status: 'complete', completed_at: datetime()})",
                        database_=db)  # only a complete release's index is kept
    enricher = build_enricher(atlas, db, settings.data_dir, tmp_path, settings.embedding_model,
                              extract=False, semantic=False)
    assert len(list((tmp_path / "lookup").glob("*.pickle"))) == 1
    read_back = concept_search.current_index(atlas, db, "Occupation", tmp_path, None)
    assert read_back.concept_ids == enricher.normaliser.index.concept_ids
    assert read_back.concept_ids == make_enricher(atlas, db).normaliser.index.concept_ids  # the graph's labels
