"""The measurement ingest against the real Neo4j server: what lands, what is rejected, idempotent
re-ingest, corrections, privacy split, profiles, gates, and a failure mid-run."""
from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_schema.settings import Settings
from ingest.measurement_ingest import ClientContext, ingest_paths, postcode_locator, title_resolver
from measurement_helpers import (CALL_CENTRE, FORKLIFT, OPTIONAL, STOCK, WAREHOUSE, client_keys, counts, profile_of,
                                 seed_atlas)

TEAMWORK = "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0"  # 'work in teams'

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "measurements"
DB = "neo4j"


def run(driver, paths, settings=None, **options):
    context = ClientContext(postcode_locator(settings.data_dir) if settings else None,
                            title_resolver(driver, DB, Settings().work_dir / "measurement-tests"))
    return ingest_paths([Path(p) for p in paths], driver, DB, context=context, **options)


def one(driver, query, **params):
    return driver.execute_query(query, database_=DB, **params)[0]


@pytest.fixture
def atlas(clean_db):
    seed_atlas(clean_db)
    return clean_db


def test_examples_land_with_provenance_privacy_split_and_profiles(atlas, settings):
    report = run(atlas, [EXAMPLES], settings)
    assert (report.landed, report.rejected, report.exit_code) == (7, 0, 0)
    [m] = one(atlas, "MATCH (c:Client {key: 'K-000101'})-[:HAS_MEASUREMENT]->(m:Measurement {instrument: 'abc'})"
                     "-[:OF_INSTRUMENT]->(:Instrument {id: 'abc'}) RETURN m")
    m = m["m"]
    assert m["measured_at"].to_native() == date(2024, 4, 12) and m["administered_by"].startswith("UWV Utrecht")
    assert m["source_file"].endswith("abc.json") and m["ingest_run"] == report.run_id
    assert m["external_id"] == "ABC-2024-0412" and "stabiliteit" not in m["scale_ids"]
    assert m["raw_scores"][m["scale_ids"].index("samenwerken")] == 7.0
    sensitive = json.loads(m["sensitive_json"])
    assert sensitive["blocks"] == {"cluster": "G2"} and sensitive["scores"]["stressor_dwang"]["raw"] == 3.0
    assert "cluster" not in m["blocks_json"]
    # identity lives apart, linked; no personal data on the client
    [c] = one(atlas, "MATCH (i:ClientIdentity)-[:IDENTIFIES]->(c:Client {key: 'K-000101'}) RETURN c, i")
    assert c["i"]["name"] == "Anna de Vries" and "name" not in c["c"] and "email" not in c["c"]
    assert c["c"]["postcode"] == "3511" and c["c"]["municipality_code"] == "GM0344"
    assert c["c"]["location"].latitude == pytest.approx(52.09, abs=0.05) and c["c"]["hours_available"] == 32
    # the WCM client profile is kept on the client (for the caseload and management information)
    assert one(atlas, "MATCH (c:Client {key: 'K-000104'}) RETURN c.client_profile AS p")[0]["p"] == "traject_naar_werk"
    # ABC (2024) and CTC (2023) combine on 'work in teams': two sources
    r = profile_of(atlas, "K-000101")[TEAMWORK]
    assert len(r.sources) == 2 and not r.inferred and r.as_of == date(2024, 4, 12)
    assert 0 < r.level < 1 and 0.7 < r.confidence <= 0.95 and r.trait == "trainable"


def test_gates_with_reasons_and_sources(atlas):
    run(atlas, [EXAMPLES])
    gates = {r["k"]: (r["g"], r["n"], r["s"]) for r in one(
        atlas, "MATCH (c:Client) OPTIONAL MATCH (m:Measurement {id: c.gate_sources[0]}) "
               "RETURN c.key AS k, c.gate AS g, size(c.gate_reasons) AS n, m.instrument AS s")}
    assert gates["K-000102"] == ("not_matchable", 1, "abc")   # ABC G6
    assert gates["K-000105"] == ("needs_support", 1, "abc")   # ABC G4
    assert gates["K-000106"] == ("not_matchable", 1, "wcm")   # WCM not fit for work
    assert gates["K-000104"] == ("needs_support", 1, "wcm")   # WCM below can start now
    assert gates["K-000101"] == ("matchable", 0, None)


def test_work_history_adds_every_requirement_and_courses_their_competencies(atlas):
    from competency_atlas.certificates import load_certificates
    from ingest.profile_builder import CERTIFICATE

    run(atlas, [EXAMPLES])
    profile = profile_of(atlas, "K-000104")
    worked = {u for u, e in profile.items() if f"work history: {WAREHOUSE}" in e.sources}
    assert worked == {FORKLIFT, STOCK, OPTIONAL, "onet:2.A.1.d"}  # essential, optional and O*NET alike
    assert profile[FORKLIFT].inferred and profile[FORKLIFT].confidence > profile[OPTIONAL].confidence
    # the WCM courses "VCA basis" and "Heftruckcertificaat" are recognised and mapped
    by_id = {c.id: c for c in load_certificates()}
    for cert in (by_id["vca_basis"], by_id["heftruck"]):
        for m in cert.maps_to:
            assert CERTIFICATE + cert.label_nl in profile[m.competency].sources
    [w] = one(atlas, "MATCH (:Client {key: 'K-000104'})-[w:WORKED_AS]->(o:Occupation) RETURN w.years AS y, o.uri AS o")
    assert w["o"] == WAREHOUSE and w["y"] == pytest.approx(6.49, abs=0.01)


def test_job_title_resolves_to_an_occupation_by_exact_label(atlas, tmp_path):
    record = {"client_key": "K-7", "instrument": "ctc", "measured_at": "2024-02-01", "scores": {"Samenwerken": 4},
              "work_history": [{"title": "CallcenterMedewerker", "years": 2}, {"title": "astronaut"}]}
    (tmp_path / "t.json").write_text(json.dumps(record))
    report = run(atlas, [tmp_path / "t.json"])
    assert report.landed == 1 and [w.field for w in report.warnings] == ["work_history"]
    assert "astronaut" in report.warnings[0].reason and "hoort niet bij precies één beroep" in report.warnings[0].reason_nl
    [w] = one(atlas, "MATCH (:Client {key: 'K-7'})-[w:WORKED_AS]->(o) RETURN o.uri AS o, w.years AS y")
    assert (w["o"], w["y"]) == (CALL_CENTRE, 2.0)


def test_reingest_changes_nothing_and_correction_is_a_new_measurement(atlas, tmp_path):
    first = run(atlas, [EXAMPLES])
    before = counts(atlas)
    again = run(atlas, [EXAMPLES])
    assert (again.landed, again.unchanged, again.rejected) == (0, 7, 0)
    assert counts(atlas) == before
    record = json.loads((EXAMPLES / "wcm.json").read_text())
    record["scores"]["Samenwerken"] = 5
    (tmp_path / "fix.json").write_text(json.dumps(record))
    corrected = run(atlas, [tmp_path / "fix.json"])
    assert corrected.landed == 1
    rows = one(atlas, "MATCH (:Client {key: 'K-000104'})-[:HAS_MEASUREMENT]->(m) "
                      "RETURN m.raw_scores AS raw, m.scale_ids AS ids")
    kept = sorted(r["raw"][r["ids"].index("samenwerken")] for r in rows)
    assert len(rows) == 2 and kept == [4.0, 5.0]  # the old measurement is kept next to the correction
    assert len(profile_of(atlas, "K-000104")[TEAMWORK].sources) == 2 and first.run_id != corrected.run_id


def test_invalid_records_are_reported_and_rejects_file_can_be_corrected_and_reingested(atlas, tmp_path):
    good = json.loads((EXAMPLES / "wcm.json").read_text())
    bad_cluster = {**json.loads((EXAMPLES / "abc.json").read_text())[0], "blocks": {"cluster": "G9"}}
    no_key = {**good, "client_key": ""}
    (tmp_path / "in.json").write_text(json.dumps([good, bad_cluster, no_key, good]))
    (tmp_path / "long.csv").write_text("client_key,instrument,measured_at,scale,score\n"
                                       "K-9,ctc,2024-01-02,Samenwerken,9\nK-9,ctc,2024-01-02,Accuracy,3\n")
    report = run(atlas, [tmp_path / "in.json", tmp_path / "long.csv"])
    assert (report.landed, report.rejected, report.exit_code) == (1, 4, 2)
    found = {(Path(p.source).name, p.location, p.field) for p in report.problems}
    assert found == {("in.json", "/1", "blocks/cluster"), ("in.json", "/2", "client_key"), ("in.json", "/3", ""),
                     ("long.csv", "row 1", "scores/Samenwerken")}
    assert one(atlas, "MATCH (m:Measurement) RETURN count(m) AS n")[0]["n"] == 1  # nothing of the bad ones
    written = report.write_rejects(tmp_path / "rejects")
    rejects_json = next(p for p in written if p.name.startswith("in.") and p.suffix == ".json")
    rejects_csv = next(p for p in written if p.suffix == ".csv")
    fixed = json.loads(rejects_json.read_text())
    assert len(fixed) == 3
    fixed[0]["blocks"]["cluster"] = "G3"
    fixed[1]["client_key"] = "K-000999"
    rejects_json.write_text(json.dumps(fixed[:2]))
    rejects_csv.write_text(rejects_csv.read_text().replace("Samenwerken,9", "Samenwerken,4"))
    again = run(atlas, [rejects_json, rejects_csv])
    assert (again.landed, again.rejected) == (3, 0)


def test_failure_mid_batch_leaves_no_partial_batch_and_rerun_completes(atlas, tmp_path):
    records = [json.loads(line) for line in (EXAMPLES / "ctc.jsonl").read_text().splitlines()]
    many = []
    for i in range(9):
        for r in records:
            many.append({**r, "client_key": f"{r['client_key']}-{i}"})
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in many))
    calls = {"profiles": 0}

    def crash_in_second_batch(stage: str) -> None:
        if stage == "profiles":
            calls["profiles"] += 1
            if calls["profiles"] == 2:
                raise ConnectionError("simulated lost connection after the profile statement")

    with pytest.raises(ConnectionError):
        run(atlas, [tmp_path / "m.jsonl"], batch_size=6, hook=crash_in_second_batch)
    landed = one(atlas, "MATCH (m:Measurement) RETURN count(m) AS n")[0]["n"]
    assert landed == 6  # the first batch only: nothing of the failed batch (measurements, clients, profiles)
    assert one(atlas, "MATCH (c:Client) RETURN count(c) AS n")[0]["n"] == 6
    assert one(atlas, "MATCH (c:Client) WHERE NOT (c)-[:HAS_MEASUREMENT]->() RETURN count(c) AS n")[0]["n"] == 0
    [run_node] = one(atlas, "MATCH (r:IngestRun) RETURN r.status AS s")
    assert run_node["s"] == "failed"
    report = run(atlas, [tmp_path / "m.jsonl"], batch_size=6)
    assert (report.landed, report.unchanged) == (12, 6)
    assert one(atlas, "MATCH (m:Measurement) RETURN count(m) AS n")[0]["n"] == 18
    assert all(profile_of(atlas, key) for key in client_keys(atlas))


def test_cli_exit_status_and_json_report(atlas, tmp_path):
    from api.cli import app

    shutil.copy(EXAMPLES / "wcm.json", tmp_path / "ok.json")
    (tmp_path / "bad.jsonl").write_text('{"client_key": "K", "instrument": "nope", "measured_at": "2024-01-01"}\n')
    result = CliRunner().invoke(app, ["ingest", "measurements", str(tmp_path), "--json",
                                      "--rejects-dir", str(tmp_path / "rej")])
    assert result.exit_code == 2, result.output
    out = json.loads(result.output)
    assert (out["landed"], out["rejected"]) == (1, 1) and out["problems"][0]["field"] == "instrument"
    assert any(p.endswith(".rejects.jsonl") for p in out["rejects_files"])
    ok = CliRunner().invoke(app, ["ingest", "measurements", str(tmp_path / "ok.json"), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["unchanged"] == 1


def test_client_attributes_come_each_from_the_newest_measurement_that_gives_them(atlas, tmp_path):
    """A newer WCM without a postcode brings the client profile and keeps the older postcode."""
    wcm = json.loads((EXAMPLES / "wcm.json").read_text())
    older = {**wcm, "client_key": "K-ATTR", "measured_at": "2024-01-10", "postcode": "3511", "hours_available": 32}
    older["blocks"] = {k: v for k, v in wcm["blocks"].items() if k != "client_profile"}
    newer = {**wcm, "client_key": "K-ATTR", "measured_at": "2024-06-01", "hours_available": 20}
    newer["blocks"] = {**wcm["blocks"], "client_profile": "direct_aan_de_slag"}
    del newer["postcode"]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in (newer, older)) + "\n")  # newest first
    report = run(atlas, [tmp_path / "m.jsonl"])
    assert report.landed == 2
    [c] = one(atlas, "MATCH (c:Client {key: 'K-ATTR'}) RETURN c")
    c = c["c"]
    assert (c["postcode"], c["hours_available"], c["client_profile"]) == ("3511", 20, "direct_aan_de_slag")


def test_bench_ingests_the_generated_population_reports_cpu_and_cleans_up(atlas, settings, neo4j_server):
    from ingest.measurement_bench import run as bench

    server_cpu = neo4j_server.cpu_seconds if neo4j_server is not None else None
    result = bench(atlas, DB, settings.data_dir, settings.work_dir, clients=20, seed=3, batch_size=7, server_cpu=server_cpu)
    assert result["rejected"] == 0 and result["measurements"] > 20
    assert result["scores"] == result["generated_scores"] > 0
    assert result["cleaned_up"] == 20
    assert one(atlas, "MATCH (c:Client) RETURN count(c) AS n")[0]["n"] == 0
    assert one(atlas, "MATCH (m:Measurement) RETURN count(m) AS n")[0]["n"] == 0
    assert result["ingest_cpu_s"] > 0 and result["cpu_us_per_measurement"]["ingest"] > 0
    if neo4j_server is not None:  # a remote server's CPU is not ours to read
        assert result["neo4j_cpu_s"] >= 0 and "neo4j" in result["cpu_us_per_measurement"]


BAD_CLASSES = {  # what goes wrong → (change to a valid ABC record, field reported, reason contains)
    "unknown instrument": ({"instrument": "xyz"}, "instrument", "unknown instrument 'xyz'"),
    "unknown scale": ({"scores": {"Vliegen": 5}}, "scores/Vliegen", "has no scale 'Vliegen'"),
    "score out of range": ({"scores": {"Samenwerken": 11}}, "scores/Samenwerken", "outside the range"),
    "score not a number": ({"scores": {"Samenwerken": "veel"}}, "scores/Samenwerken", "is not a number"),
    "missing client key": ({"client_key": None}, "client_key", "missing client key"),
    "unparsable date": ({"measured_at": "gisteren"}, "measured_at", "is not a date"),
    "date in the future": ({"measured_at": "2999-01-01"}, "measured_at", "is in the future"),
    "cluster outside G1-G7": ({"blocks": {"cluster": "G8"}}, "blocks/cluster", "'G8' is not a value of 'cluster'"),
}


def test_every_bad_input_class_is_reported_and_leaves_no_trace_in_the_graph(atlas, tmp_path):
    good = json.loads((EXAMPLES / "abc.json").read_text())[0]
    records = [good] + [{**good, "client_key": f"BAD-{i}", **change}
                        for i, (change, _, _) in enumerate(BAD_CLASSES.values())]
    records.append(dict(good))  # a duplicate of the first record
    (tmp_path / "in.json").write_text(json.dumps(records))
    before = counts(atlas)
    report = run(atlas, [tmp_path / "in.json"])
    assert (report.landed, report.rejected, report.exit_code) == (1, len(BAD_CLASSES) + 1, 2)
    problems = {p.location: (p.field, p.reason) for p in report.problems}
    for i, (name, (_, field, reason)) in enumerate(BAD_CLASSES.items(), start=1):
        assert problems[f"/{i}"][0] == field and reason in problems[f"/{i}"][1], (name, problems.get(f"/{i}"))
    assert "duplicate record" in problems[f"/{len(records) - 1}"][1]
    after = counts(atlas)
    assert after["node:Measurement"] == before.get("node:Measurement", 0) + 1
    assert one(atlas, "MATCH (n) WHERE n.key STARTS WITH 'BAD-' OR n.client_key STARTS WITH 'BAD-' "
                      "RETURN count(n) AS n")[0]["n"] == 0


def test_a_job_title_with_another_spelling_resolves_by_the_lexical_look_up(atlas, tmp_path):
    atlas.execute_query("""MATCH (o:Occupation {uri: $uri})
        CREATE (:Label {key: 'l1', text: 'callcentermedewerker', lang: 'nl'})-[:LABEL_OF]->(o)
        CREATE (:Label {key: 'l2', text: 'call centre agent', lang: 'en'})-[:LABEL_OF]->(o)""", uri=CALL_CENTRE,
                        database_=DB)
    record = {"client_key": "K-8", "instrument": "ctc", "measured_at": "2024-02-01", "scores": {"Samenwerken": 4},
              "work_history": [{"title": "medewerker callcenter", "years": 3}, {"title": "astronaut", "years": 1}]}
    (tmp_path / "t.json").write_text(json.dumps(record))
    report = run(atlas, [tmp_path / "t.json"])
    assert [w.field for w in report.warnings] == ["work_history"] and "astronaut" in report.warnings[0].reason
    [w] = one(atlas, "MATCH (:Client {key: 'K-8'})-[w:WORKED_AS]->(o) RETURN o.uri AS o")
    assert w["o"] == CALL_CENTRE


def test_the_title_look_up_is_the_search_index_kept_per_complete_atlas_release(atlas, tmp_path):
    """The ingest's resolver reads the look-up index `atlas-match search` keeps on disk, but only for
    labels a complete atlas release names: a hand-seeded graph's or a half-built one's are read
    afresh, and a release completed again (a rebuild may write other labels) gets a new file."""
    from competency_atlas.lookup_repository import release_tag

    atlas.execute_query("""MATCH (o:Occupation {uri: $uri})
        CREATE (:Label {key: 'l1', text: 'callcentermedewerker', lang: 'nl'})-[:LABEL_OF]->(o)""",
                        uri=CALL_CENTRE, database_=DB)
    kept = lambda: sorted(p.name for p in (tmp_path / "lookup").glob("*.pickle"))  # noqa: E731
    assert title_resolver(atlas, DB, tmp_path)("medewerker callcenter") == CALL_CENTRE
    assert kept() == [] and release_tag(atlas, DB).startswith("unreleased|")
    atlas.execute_query("CREATE (:AtlasRelease {version: 'r1', status: 'building'})", database_=DB)
    assert title_resolver(atlas, DB, tmp_path)("medewerker callcenter") == CALL_CENTRE
    assert kept() == []  # mid-build: nothing kept

    complete = "MATCH (r:AtlasRelease) SET r.status = 'complete', r.completed_at = datetime($at)"
    atlas.execute_query(complete, at="2026-01-01T00:00:00Z", database_=DB)
    assert title_resolver(atlas, DB, tmp_path)("medewerker callcenter") == CALL_CENTRE
    [first] = kept()
    atlas.execute_query(complete, at="2026-02-01T00:00:00Z", database_=DB)  # the same version built again
    assert title_resolver(atlas, DB, tmp_path)("medewerker callcenter") == CALL_CENTRE
    assert len(kept()) == 2 and first in kept()
    atlas.execute_query("CREATE (:AtlasRelease {version: 'r2', status: 'building'})", database_=DB)
    assert title_resolver(atlas, DB, tmp_path)("medewerker callcenter") == CALL_CENTRE
    assert len(kept()) == 2  # the next release being written: its labels are not kept either


def test_a_new_postcode_the_table_does_not_know_leaves_no_old_place_standing(atlas, settings, tmp_path):
    wcm = json.loads((EXAMPLES / "wcm.json").read_text())
    older = {**wcm, "client_key": "K-MOVE", "measured_at": "2024-01-10", "postcode": "3511"}
    (tmp_path / "old.json").write_text(json.dumps(older))
    run(atlas, [tmp_path / "old.json"], settings)
    [c] = one(atlas, "MATCH (c:Client {key: 'K-MOVE'}) RETURN c")
    assert c["c"]["municipality_code"] == "GM0344" and c["c"]["location"] is not None  # Utrecht, as known
    moved = {**wcm, "client_key": "K-MOVE", "measured_at": "2024-06-01", "postcode": "1000"}
    (tmp_path / "new.json").write_text(json.dumps(moved))
    report = run(atlas, [tmp_path / "new.json"], settings)
    assert report.landed == 1 and any(w.field == "postcode" for w in report.warnings)
    [c] = one(atlas, "MATCH (c:Client {key: 'K-MOVE'}) RETURN c")
    assert c["c"]["postcode"] == "1000"
    assert {"municipality_code", "region_code", "location"}.isdisjoint(c["c"].keys())  # not matched in Utrecht


def test_an_older_export_ingested_again_does_not_bring_back_an_old_name(atlas, tmp_path):
    [abc, *_] = json.loads((EXAMPLES / "abc.json").read_text())
    june = {**abc, "client_key": "K-NAME", "measured_at": "2024-06-01", "identity": {"name": "Anna Jansen"}}
    may = {**abc, "client_key": "K-NAME", "measured_at": "2024-05-01", "identity": {"name": "Anna de Vries"}}
    (tmp_path / "june.json").write_text(json.dumps(june))
    (tmp_path / "may.json").write_text(json.dumps(may))
    run(atlas, [tmp_path / "june.json"])
    run(atlas, [tmp_path / "may.json"])
    [i] = one(atlas, "MATCH (i:ClientIdentity {client_key: 'K-NAME'})-[:IDENTIFIES]->(:Client) RETURN i.name AS name")
    assert i["name"] == "Anna Jansen"
    newer = {**abc, "client_key": "K-NAME", "measured_at": "2024-07-01", "identity": {"name": "Anna Bakker"}}
    (tmp_path / "july.json").write_text(json.dumps(newer))
    run(atlas, [tmp_path / "july.json"])
    [i] = one(atlas, "MATCH (i:ClientIdentity {client_key: 'K-NAME'}) RETURN i.name AS name")
    assert i["name"] == "Anna Bakker"


def test_the_same_measurement_written_by_two_at_once_lands_once_and_neither_fails(atlas, tmp_path):
    # The second writer looked for the measurement before the first committed it, then met the
    # unique id: a ConstraintError (a 500 through the API), its whole batch lost.
    shutil.copy(EXAMPLES / "wcm.json", tmp_path / "m.json")
    second: dict = {}

    def meanwhile(stage: str) -> None:
        if stage == "clients" and "thread" not in second:  # inside the first writer's transaction
            def write() -> None:
                try:
                    second["report"] = run(atlas, [tmp_path / "m.json"])
                except Exception as exc:  # noqa: BLE001  asserted below
                    second["error"] = exc
            second["thread"] = threading.Thread(target=write)
            second["thread"].start()
            time.sleep(1.5)  # the second has looked (nothing stored yet) and waits for the client's lock

    first = run(atlas, [tmp_path / "m.json"], hook=meanwhile)
    second["thread"].join(60)
    assert "error" not in second, second.get("error")
    assert (first.landed, second["report"].landed, second["report"].unchanged) == (1, 0, 1)
    assert one(atlas, "MATCH (m:Measurement) RETURN count(m) AS n")[0]["n"] == 1
