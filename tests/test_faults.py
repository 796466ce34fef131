"""Faults: the Neo4j server killed (SIGKILL) in the middle of a measurement ingest or a vacancy
ingest, started again, and the same ingest run again: nothing lost, nothing twice. On a private server (its own home and
ports, the session server's JARs), so the rest of the suite is not disturbed.

Kill points (the five of the issue): before the first batch commits (inside its first statement),
in the middle of a later batch (after its measurements were written, before its profiles), between
two batches (one committed, the next not begun), during the last batch, and after the last commit
(the run's own closing record not yet written). Each batch is one transaction: what a kill
interrupts rolls back whole, and what committed is found again by its content hash.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import DatabaseUnavailable, ServiceUnavailable, SessionExpired

from api.bench_api import free_port
from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.server import LocalServer, _alive
from graph_schema.settings import Settings
from ingest.measurement_ingest import ingest_paths
from ingest.population import generate
from measurement_helpers import seed_atlas

DB = "neo4j"
BATCH = 12  # measurements per transaction: the generated population spans several batches
DOWN = (ServiceUnavailable, SessionExpired, DatabaseUnavailable, OSError)



@pytest.fixture(scope="module")
def private(settings: Settings, neo4j_server, tmp_path_factory):
    if not settings.provisions_local_server:
        pytest.fail("fault tests need the locally provisioned server (unset NEO4J_URI)")
    home = tmp_path_factory.mktemp("faults")
    s = dataclasses.replace(settings, neo4j_home=home / "neo4j", neo4j_dist_root=settings.neo4j_dist.parent,
                            neo4j_bolt_port=free_port(), neo4j_http_port=free_port(), neo4j_heap="512m",
                            neo4j_pagecache="128m", neo4j_start_timeout_s=120,
                            # every test restarts it and runs cold queries: quick compiles beat fast code
                            neo4j_jvm_flags=("-XX:TieredStopAtLevel=1",))
    server = LocalServer(s)
    server.start()
    with connect(s) as driver:  # once: the schema outlives the kills and each test's wipe
        migrate(driver, DB)
    population = home / "population"
    generate(40, 3, population, data_dir=settings.data_dir)
    yield s, server, sorted((population / "measurements").glob("*"))
    server.stop(timeout=0)  # a throwaway home: no need to wait for a graceful shutdown


def _kill(server: LocalServer) -> None:
    pid = server._pid()
    os.kill(pid, signal.SIGKILL)
    while _alive(pid):  # reaps the server process, a child of this one
        time.sleep(0.05)


def _records(files: list[Path]) -> tuple[int, set[str]]:
    rows = [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]
    return len(rows), {r["client_key"] for r in rows}


def _fresh(s: Settings) -> None:
    with connect(s) as driver:
        driver.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n", database_=DB)
        seed_atlas(driver)


def _batches(s: Settings, run, counter: str, fresh) -> int:
    """How many batches (`counter` stages) a clean run of `run` writes: where the last one begins."""
    seen = []
    fresh()
    with connect(s) as driver:
        run(driver, lambda name: seen.append(name) if name == counter else None)
    fresh()
    return len(seen)


def _run_killed(s: Settings, server, run, counter: str, batch: int | None, stage: str | None) -> None:
    """Run `run(driver, hook)`, killing the server at `stage` of batch `batch` (each `counter` stage starts a
    batch) or, when `batch` is None, after the run; then start the server again."""
    seen = {"batch": 0, "killed": False}

    def hook(name: str) -> None:
        if name == counter:
            seen["batch"] += 1
        if seen["batch"] == batch and name == stage and not seen["killed"]:
            seen["killed"] = True
            _kill(server)

    # the killed run gives up at its first failure instead of retrying for the driver's thirty seconds
    with GraphDatabase.driver(s.uri, auth=(s.neo4j_user, s.password()), max_transaction_retry_time=0,
                              connection_acquisition_timeout=1, connection_timeout=1,
                              notifications_min_severity="OFF") as driver:
        try:
            run(driver, hook)
        except DOWN:
            pass
        if batch is None:
            _kill(server)  # after the last commit
            seen["killed"] = True
    server.start()
    assert seen["killed"], f"the run never reached stage {stage!r} of batch {batch}"


# batch -1: the last batch
@pytest.mark.parametrize("point, batch, stage", [
    ("before the first batch commits", 1, "clients"),
    ("in the middle of a later batch", 3, "measurements"),
    ("between two batches", 2, "committed"),
    ("during the last batch", -1, "measurements"),
    ("after the last commit", None, None),
])
def test_a_killed_ingest_run_again_loses_nothing_and_writes_nothing_twice(private, point, batch, stage):
    s, server, files = private
    total, keys = _records(files)
    run = lambda driver, hook: ingest_paths(files, driver, DB, batch_size=BATCH, hook=hook)  # noqa: E731
    _fresh(s)
    if batch == -1:
        batch = _batches(s, run, "clients", lambda: _fresh(s))
        assert batch >= 3, batch  # the generated population spans several batches
    _run_killed(s, server, run, "clients", batch, stage)
    with connect(s) as driver:
        report = ingest_paths(files, driver, DB, batch_size=BATCH)
        assert report.rejected == 0 and report.landed + report.unchanged == total, point
        counts = driver.execute_query("""
            MATCH (m:Measurement) WITH count(m) AS measurements, count(DISTINCT m.id) AS ids
            MATCH (c:Client) WITH measurements, ids, count(c) AS clients,
                                  count(c.profile_competencies) AS profiles, count(DISTINCT c.key) AS keys
            MATCH (r:IngestRun) RETURN measurements, ids, clients, profiles, keys, count(r) AS runs,
                                       count(DISTINCT r.id) AS run_ids""", database_=DB).records[0]
    assert counts["measurements"] == counts["ids"] == total, point  # none lost, none twice
    assert counts["clients"] == counts["keys"] == counts["profiles"] == len(keys), point
    assert counts["runs"] == counts["run_ids"] == 2, point  # the killed run and the rerun, once each


def _postings(folder: Path) -> Path:
    from test_vacancy_ingest import posting

    path = folder / "vacancies.json"
    path.write_text(json.dumps([posting(f"V-{i:03d}", datePosted="2026-11-01", validThrough="2027-12-31")
                                for i in range(36)]))
    return path


@pytest.mark.parametrize("point, batch, stage", [
    ("before the first batch commits", 1, "hashes"),
    ("in the middle of a later batch", 3, "upsert"),
    ("between two batches", 2, "committed"),
    ("during the last batch", -1, "upsert"),
    ("after the last commit", None, None),
])
def test_a_killed_vacancy_ingest_run_again_loses_nothing_and_writes_nothing_twice(private, tmp_path, point, batch,
                                                                                   stage):
    from test_vacancy_ingest import make_enricher
    from vacancy_helpers import write_mini_atlas

    from ingest.vacancy_ingest import ingest_paths as ingest_vacancies

    s, server, _ = private
    source = _postings(tmp_path)

    def fresh() -> None:
        _fresh(s)
        with connect(s) as driver:
            write_mini_atlas(driver, DB)

    def run(driver, hook):
        return ingest_vacancies([source], driver, DB, make_enricher(driver, DB), batch_size=10, hook=hook)

    fresh()
    if batch == -1:
        batch = _batches(s, run, "hashes", fresh)
        assert batch >= 3, batch
    _run_killed(s, server, run, "hashes", batch, stage)
    with connect(s) as driver:
        report = ingest_vacancies([source], driver, DB, make_enricher(driver, DB), batch_size=10)
        assert report.rejected == 0 and report.landed + report.unchanged == 36, point
        counts = driver.execute_query("""
            MATCH (v:Vacancy) WITH count(v) AS vacancies, count(DISTINCT v.id) AS ids
            MATCH (r:IngestRun) RETURN vacancies, ids, count(r) AS runs, count(DISTINCT r.id) AS run_ids,
                                       sum(CASE WHEN r.id = $rerun THEN 1 ELSE 0 END) AS rerun""",
                                      rerun=report.run_id, database_=DB).records[0]
    assert counts["vacancies"] == counts["ids"] == 36, point  # none lost, none twice
    assert counts["runs"] == counts["run_ids"] and counts["rerun"] == 1, point
