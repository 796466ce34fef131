"""The foundation slice end to end on the real server: load, index, match, explain."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.services.matching import explain
from matcher.rows import RowScore
from matcher.scoring import Status
from matcher.explain import GOOD_MATCH
from competency_atlas.not_advised import not_advised_occupations
from matcher.service import MatchService, ServiceStopping
from matcher.slice_loader import load_slice


def test_vacancy_candidates_are_ranked_and_explained(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    matches = MatchService(clean_db, settings.neo4j_database).candidates("V-0001")
    # C-0002 lacks a stock measurement (unknown: the prior); C-0003 is measured well below on accuracy
    # and teamwork. A proven shortfall ranks below an unknown.
    assert [m.subject for m in matches] == ["C-0001", "C-0002", "C-0003"]
    best = {r.requirement.competency: r for r in matches[0].explained.match.results}
    assert best["slice:accuracy"].status is Status.MET
    assert best["slice:leadership"].status is Status.MISSING
    assert matches[0].evidence["slice:accuracy"]["sources"] == ["M-0001-ctc"]
    c2 = {r.requirement.competency: r.status for r in matches[1].explained.match.results}
    assert c2["slice:stock"] is Status.UNKNOWN and matches[1].explained.match.coverage < 1.0


def test_rows_without_provenance_rank_and_explain_the_same(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    service = MatchService(clean_db, settings.neo4j_database)
    full, total = service.candidates_page("V-0001", 10)
    lean, lean_total = service.candidates_page("V-0001", 10, provenance=False)  # the API's rows

    def shown(m):  # what a row shows: its numbers, distance and named requirements (lean: a RowScore)
        e = m.explained
        return m.subject, m.fit, m.fit_low, m.fit_high, e.distance_km, e.distance_penalty, explain(e.match), m.facts
    assert [shown(m) for m in lean] == [shown(m) for m in full]
    assert {type(m.explained.match) for m in lean} == {RowScore}
    assert total == lean_total and all(m.evidence for m in full) and not any(m.evidence for m in lean)
    client = full[0].subject
    for kind in ("vacancies", "occupations"):
        rows = getattr(service, kind)(client), getattr(service, kind)(client, provenance=False)
        assert [(m.subject, m.explained.match.fit, m.preference, m.facts) for m in rows[1]] == \
            [(m.subject, m.explained.match.fit, m.preference, m.facts) for m in rows[0]]
        assert any(m.evidence for m in rows[0]) and not any(m.evidence for m in rows[1])


def test_reloading_the_slice_changes_nothing(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    count = "MATCH (n) WHERE NOT n:SchemaMigration OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r"
    before = clean_db.execute_query(count, database_=settings.neo4j_database).records[0]
    load_slice(clean_db, settings.neo4j_database)
    assert clean_db.execute_query(count, database_=settings.neo4j_database).records[0] == before


def test_cli_match_vacancy(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    result = CliRunner().invoke(app, ["match", "vacancy", "V-0001", "--json", "--top", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["subject"] for c in data["candidates"]] == ["C-0001", "C-0002"]
    first = data["candidates"][0]
    assert abs(sum(r["contribution"] for r in first["requirements"]) - first["competency_fit"]) < 1e-3
    missing = CliRunner().invoke(app, ["match", "vacancy", "V-9999"])
    assert missing.exit_code == 1 and "V-9999" in missing.output


def test_client_outputs_gap_and_what_if(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    service = MatchService(clean_db, settings.neo4j_database)
    vacancies = service.vacancies("C-0002")
    assert [m.subject for m in vacancies] == ["V-0001"]
    occupations = service.occupations("C-0003")
    assert [m.subject for m in occupations] == ["slice:shop-assistant", "slice:warehouse-worker"]
    # an occupation no client is advised (competency_atlas/not_advised.yaml) is left out, whatever its fit
    never = MatchService(clean_db, settings.neo4j_database, index=service.index, not_advised=["slice:shop-assistant"])
    assert [m.subject for m in never.occupations("C-0003")] == ["slice:warehouse-worker"]
    assert never.advised_occupations() == service.advised_occupations() - 1
    assert "sex work" in not_advised_occupations()["http://data.europa.eu/esco/occupation/db20c08e-819e-4410-91e2-6ac06add4e27"]
    gap = service.gap("C-0002", "vacancy", "V-0001")
    # essential first, then by gain; never a requirement that is already met
    # accuracy: measured well below (the most to gain), stock: unknown, then the optional one
    assert [g.requirement.competency for g in gap] == ["slice:accuracy", "slice:stock", "slice:leadership"]
    assert all(g.gain > 0 for g in gap)
    for g in gap:  # the gap's "opens" is the what-if of reaching the required level: one implementation
        same = service.what_if("C-0002", [(g.requirement.competency, g.requirement.required_level)], "vacancy", "V-0001")
        assert same.opens == g.unlocks and abs(same.after.fit - same.before.fit - g.gain) < 1e-9
    placed = service.gap("C-0003", "vacancy", "V-0001", ranks=True)  # the place once reached: the same what-if
    assert placed and all(g.rank_now is not None for g in placed) and not any(g.rank_now for g in gap)
    for g in placed:
        same = service.what_if("C-0003", [(g.requirement.competency, g.requirement.required_level)], "vacancy", "V-0001")
        assert (g.rank_now, g.rank_after) == (same.rank_before, same.rank_after)
    assert any(g.rank_after < g.rank_now for g in placed)  # a change that climbs, or the test proves little
    shown = CliRunner().invoke(app, ["match", "gap", "C-0003", "V-0001", "--json", "--ranks"])
    assert shown.exit_code == 0, shown.output
    assert [(g["rank_now"], g["rank_after"]) for g in json.loads(shown.output)["gap"]] == [
        (g.rank_now, g.rank_after) for g in placed]
    # C-0003, measured well below on accuracy and teamwork, would pass C-0002 at top marks on both
    w = service.what_if("C-0003", [("slice:accuracy", 1.0), ("slice:teamwork", 1.0)], "vacancy", "V-0001")
    assert (w.rank_before, w.rank_after) == (3, 2) and w.after.fit > w.before.fit
    assert w.opens == int(w.after.fit >= GOOD_MATCH) - int(w.before.fit >= GOOD_MATCH)  # V-0001 is the only one


def _bump(driver, database, clients=None):
    from matcher.freshness import bump_generation

    with driver.session(database=database) as session:
        session.execute_write(bump_generation, clients)


def test_a_client_change_is_patched_into_the_running_index_and_a_second_process_sees_it(clean_db, settings):
    db = settings.neo4j_database
    load_slice(clean_db, db)
    service, replica = MatchService(clean_db, db), MatchService(clean_db, db)
    assert service.refresh_if_stale() == "built" and service.refresh_if_stale() == "fresh"
    replica.refresh_if_stale()
    clean_db.execute_query("MATCH (c:Client {key: 'C-0002'}) SET c.gate = 'not_matchable'", database_=db)
    assert "C-0002" in [m.subject for m in service.candidates("V-0001")]  # not yet told
    _bump(clean_db, db, ["C-0002"])
    for process in (service, replica):  # every replica replays the same change log
        assert process.refresh_if_stale() == "patched"
        assert "C-0002" not in [m.subject for m in process.candidates("V-0001")]
    assert service.counters["rebuilds"] == 1 and service.counters["patched_clients"] == 1
    # a new client takes a spare row: ranked at once, explained from the same numbers
    clean_db.execute_query("MATCH (c:Client {key: 'C-0001'}) WITH c {.*, key: 'C-NEW'} AS copy "
                           "CREATE (n:Client) SET n = copy", database_=db)
    _bump(clean_db, db, ["C-NEW"])
    assert service.refresh_if_stale() == "patched"
    ranked = service.candidates("V-0001")
    new, old = (next(m for m in ranked if m.subject == k) for k in ("C-NEW", "C-0001"))
    assert abs(new.fit - old.fit) < 1e-6 and service.index.clients.keys[service.index.clients.row["C-NEW"]] == "C-NEW"
    scores = service.index.client_scores(service.index.vacancies, service.index.vacancies.row["V-0001"])
    assert abs(scores[service.index.clients.row["C-NEW"]] - new.explained.match.fit) < 1e-5
    # an erasure: gone from the next ranking, and its key is nowhere in the change log
    from ingest.measurement_repository import erase_client

    erase_client(clean_db, db, "C-NEW")
    assert replica.refresh_if_stale() == "patched" and service.refresh_if_stale() == "patched"
    assert "C-NEW" not in [m.subject for m in service.candidates("V-0001")]
    assert "C-NEW" not in [m.subject for m in replica.candidates("V-0001")]
    logged = clean_db.execute_query("MATCH (c:IndexChange) RETURN c.clients AS k", database_=db).records
    assert not any("C-NEW" in (r["k"] or []) for r in logged)


def test_a_busy_index_looks_for_other_processes_changes_seldom_but_sees_its_own_at_once(clean_db, settings,
                                                                                        monkeypatch):
    from matcher import freshness

    db = settings.neo4j_database
    load_slice(clean_db, db)
    service = MatchService(clean_db, db, check_every_s=3600)
    assert service.refresh_if_stale() == "built" and service.refresh_if_stale() == "fresh"  # looked once
    ranked = lambda: [m.subject for m in service.candidates("V-0001")]  # noqa: E731
    set_gate = "MATCH (c:Client {key: 'C-0002'}) SET c.gate = $gate"
    clean_db.execute_query(set_gate, gate="not_matchable", database_=db)
    _bump(clean_db, db, ["C-0002"])  # this process's own write: the very next call sees it
    assert service.refresh_if_stale() == "patched" and "C-0002" not in ranked()
    clean_db.execute_query(set_gate, gate="matchable", database_=db)
    with monkeypatch.context() as m:
        m.setattr(freshness, "_written", {})  # as if another process had written it
        _bump(clean_db, db, ["C-0002"])
    assert service.refresh_if_stale() == "fresh" and "C-0002" not in ranked()  # not looked for an hour
    service.check_every_s = 0
    assert service.refresh_if_stale() == "patched" and "C-0002" in ranked()
    # a vacancy unknown to the index makes it look at once (ingested a moment ago elsewhere)
    service.check_every_s = 3600
    clean_db.execute_query("MATCH (v:Vacancy {id: 'V-0001'}) CREATE (w:Vacancy {id: 'V-0009', status: 'open'}) "
                           "WITH v, w MATCH (v)-[r:REQUIRES]->(k) CREATE (w)-[:REQUIRES {relation: r.relation, "
                           "importance: r.importance, required_level: r.required_level}]->(k)", database_=db)
    with monkeypatch.context() as m:
        m.setattr(freshness, "_written", {})
        _bump(clean_db, db)
    assert service.ensure("vacancy", "V-0009")


def test_a_wiped_and_reloaded_graph_is_rebuilt_not_patched(clean_db, settings):
    """Another identity, or a counter that went back (a restored backup): the index's generation
    says nothing about that graph, so it rebuilds rather than serve the old one as fresh."""
    db = settings.neo4j_database
    load_slice(clean_db, db)
    _bump(clean_db, db)
    service = MatchService(clean_db, db)
    service.refresh_if_stale()
    assert service.candidates("V-0001")
    clean_db.execute_query("MATCH (n) DETACH DELETE n", database_=db)
    load_slice(clean_db, db)
    clean_db.execute_query("MATCH (c:Client {key: 'C-0001'}) SET c.gate = 'not_matchable'", database_=db)
    _bump(clean_db, db)  # generation 1 of a new graph
    assert service.refresh_if_stale(wait=True) == "rebuilding"
    assert service.refresh_if_stale() == "fresh" and service.counters["rebuilds"] == 2
    assert "C-0001" not in [m.subject for m in service.candidates("V-0001")]


def test_other_changes_rebuild_once_in_the_background_while_the_old_index_answers(clean_db, settings):
    import threading

    db = settings.neo4j_database
    load_slice(clean_db, db)
    service = MatchService(clean_db, db)
    service.refresh_if_stale()
    clean_db.execute_query("MATCH (v:Vacancy {id: 'V-0001'}) CREATE (w:Vacancy {id: 'V-0002', status: 'open'}) "
                           "WITH v, w MATCH (v)-[r:REQUIRES]->(k) CREATE (w)-[:REQUIRES {relation: r.relation, "
                           "importance: r.importance, required_level: r.required_level}]->(k)", database_=db)
    _bump(clean_db, db)  # not only clients: rebuild
    results = []
    threads = [threading.Thread(target=lambda: results.append(service.refresh_if_stale())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) <= {"rebuilding", "fresh"}  # nobody waited for it on the request path
    assert service.candidates("V-0002")  # waits only because it needs the new vacancy
    assert service.counters["rebuilds"] == 2  # the first build and ONE rebuild for eight requests


def test_a_vacancys_facts_come_with_the_index_and_change_with_a_vacancy_change(clean_db, settings, monkeypatch):
    """A ranked page and a gap's target take a vacancy's title and occupation from the index (no
    read per page): the graph's facts as they were at the build, until a vacancy change rebuilds
    it (a client change does not). Only a vacancy newer than the index is read from the graph."""
    from matcher import repository

    db = settings.neo4j_database
    load_slice(clean_db, db)
    service = MatchService(clean_db, db)
    service.refresh_if_stale()
    read, asked = repository.vacancy_facts, []
    monkeypatch.setattr(repository, "vacancy_facts", lambda d, database, ids: asked.append(ids) or read(d, database, ids))
    facts = service.vacancy_facts(["V-0001"])["V-0001"]
    assert facts == read(clean_db, db, ["V-0001"])["V-0001"] and facts["occupation"] and facts["title"]
    assert service.vacancy_facts(["V-0001", "V-nope"]).keys() == {"V-0001"}  # no such vacancy: left out
    assert asked == [["V-nope"]]  # the graph was asked only for what the index does not hold
    rename = "MATCH (v:Vacancy {id: 'V-0001'}) SET v.title = $title"
    clean_db.execute_query(rename, title="Magazijnmedewerker (nieuw)", database_=db)
    assert service.vacancy_facts(["V-0001"])["V-0001"]["title"] == facts["title"]  # as the ranking saw it
    _bump(clean_db, db, ["C-0002"])
    assert service.refresh_if_stale() == "patched"
    assert service.vacancy_facts(["V-0001"])["V-0001"]["title"] == facts["title"]  # a client change keeps them
    service.vacancy_facts(["V-0001"])["V-0001"]["title"] = "changed by a caller"
    assert service.vacancy_facts(["V-0001"])["V-0001"]["title"] == facts["title"]  # callers get copies
    clean_db.execute_query("CREATE (:Vacancy {id: 'V-new', title: 'Kok', status: 'open'})", database_=db)
    assert service.vacancy_facts(["V-new"])["V-new"]["title"] == "Kok"  # landed after the build: read
    _bump(clean_db, db)  # a vacancy ingest's change: rebuild
    assert service.refresh_if_stale(wait=True) == "rebuilding"
    asked.clear()
    assert service.vacancy_facts(["V-0001"])["V-0001"]["title"] == "Magazijnmedewerker (nieuw)"
    assert service.vacancy_facts(["V-new"])["V-new"]["title"] == "Kok" and asked == []  # both in the new index


def test_index_keeps_entries_aligned_when_fields_are_missing(clean_db, settings):
    """A vacancy without requirements and a requirement without relation or level must not shift
    the other entries (collect() would drop the nulls)."""
    from matcher.index_repository import load_index

    load_slice(clean_db, settings.neo4j_database)
    clean_db.execute_query(
        "CREATE (:Vacancy {id: 'V-EMPTY', status: 'open'}) "
        "WITH 1 AS _ MATCH (o:Occupation {uri: 'slice:shop-assistant'}), (k:Competency {uri: 'slice:stock'}) "
        "CREATE (o)-[:REQUIRES {importance: 2}]->(k)", database_=settings.neo4j_database)
    index = load_index(clean_db, settings.neo4j_database)
    assert index.requirements_of(index.vacancies, "V-EMPTY") == []
    reqs = {r.competency: r for r in index.requirements_of(index.occupations, "slice:shop-assistant")}
    assert reqs["slice:stock"].essential is False and reqs["slice:stock"].required_level == 0.5
    assert reqs["slice:customer"].essential is True and reqs["slice:customer"].required_level == 0.75


def test_evidence_read_in_chunks_gives_the_index_read_in_one_piece(clean_db, settings, monkeypatch):
    """A million clients' evidence is turned into arrays a chunk at a time (memory); the index
    must not depend on where the chunks fall."""
    from matcher import index_repository

    load_slice(clean_db, settings.neo4j_database)
    whole = index_repository.load_index(clean_db, settings.neo4j_database)
    profiles = {key: whole.profile_of(key) for key in whole.clients.row}
    assert sum(len(p) for p in profiles.values()) > 3  # more entries than one chunk below
    monkeypatch.setattr(index_repository, "EVIDENCE_CHUNK", 3)
    chunked = index_repository.load_index(clean_db, settings.neo4j_database)
    assert chunked.clients.row == whole.clients.row
    assert {key: chunked.profile_of(key) for key in chunked.clients.row} == profiles


def test_a_rebuild_freezes_what_is_alive_after_it_out_of_the_collectors_sight(clean_db, settings):
    import gc

    load_slice(clean_db, settings.neo4j_database)
    gc.unfreeze()
    try:
        MatchService(clean_db, settings.neo4j_database).refresh()
        assert gc.get_freeze_count() > 10_000  # the modules, the index: a full collection skips them
    finally:
        gc.unfreeze()


def test_shutdown_waits_for_a_rebuild_reading_the_graph_and_starts_no_other(clean_db, settings, monkeypatch):
    """The app closes the driver after `stop`: a rebuild still reading the graph would fail, and a
    driver closed under a reader can fail the close itself (as the audit writer once did in CI)."""
    import threading
    import time

    db = settings.neo4j_database
    load_slice(clean_db, db)
    service = MatchService(clean_db, db)
    service.refresh_if_stale()
    reading, build = threading.Event(), service._build_from_graph

    def slow_build():
        reading.set()
        time.sleep(1.0)
        return build()
    monkeypatch.setattr(service, "_build_from_graph", slow_build)
    _bump(clean_db, db)  # not only clients: a background rebuild
    assert service.refresh_if_stale() == "rebuilding" and reading.wait(10)
    assert service.stop(timeout_s=0.05) is False  # bounded: it does not wait for ever
    assert service.stop(timeout_s=30) is True
    assert service.counters["rebuilds"] == 2  # the rebuild finished before stop returned
    _bump(clean_db, db)
    service.refresh_if_stale()
    assert "match-index-rebuild" not in [t.name for t in threading.enumerate()]  # none started after
    assert service.counters["rebuilds"] == 2
    with pytest.raises(ServiceStopping):  # nor on request (the app's warm-up thread asks this way)
        service.refresh()
    assert service.counters["rebuilds"] == 2


def test_the_app_closes_the_driver_only_after_its_warm_up_build(clean_db, settings, tmp_path, monkeypatch):
    import threading
    import time

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.deps import Database
    from api_fixtures import api_settings

    load_slice(clean_db, settings.neo4j_database)
    events, reading, build = [], threading.Event(), MatchService._build_from_graph

    def slow_build(self):
        reading.set()
        time.sleep(1.0)
        index = build(self)
        events.append("built")
        return index
    close = Database.close
    monkeypatch.setattr(MatchService, "_build_from_graph", slow_build)
    monkeypatch.setattr(Database, "close", lambda self: (events.append("closed"), close(self)))
    app = create_app(api_settings(settings, tmp_path, api_warm_index=True))
    with TestClient(app):
        assert reading.wait(10)  # the warm-up build is reading the graph as the app stops
    assert events == ["built", "closed"]


def test_a_patched_row_is_the_row_a_full_build_reads_and_skips_what_the_atlas_lacks(clean_db, settings):
    """A live patch reads a few clients with their competencies as URIs (mapped in Python), the full
    build with the column map sent to Neo4j: the two must give the same row, and a competency the
    compiled atlas does not have is no evidence in either."""
    from matcher.index_repository import client_patches, load_index

    load_slice(clean_db, settings.neo4j_database)
    clean_db.execute_query(
        "MATCH (c:Client {key: 'C-0002'}) SET c.profile_competencies = c.profile_competencies + 'slice:gone', "
        "c.profile_levels = c.profile_levels + 0.9, c.profile_confidences = c.profile_confidences + 0.9, "
        "c.profile_inferred = c.profile_inferred + false, c.profile_traits = c.profile_traits + 'trainable', "
        "c.profile_as_of = c.profile_as_of + date('2026-01-01')",
        database_=settings.neo4j_database)
    index = load_index(clean_db, settings.neo4j_database)
    assert "slice:gone" not in index.column
    keys = sorted(index.clients.row)
    patches, gone = client_patches(clean_db, settings.neo4j_database, index, keys + ["C-none"])
    assert gone == ["C-none"] and sorted(p.key for p in patches) == keys
    for p in patches:
        cols, levels, confs, inferred = index.clients.entries(index.clients.row[p.key])
        assert p.columns.tolist() == cols.tolist() and p.levels.tolist() == levels.tolist()
        assert p.confidences.tolist() == confs.tolist() and p.inferred.tolist() == inferred.tolist()
    assert len(next(p for p in patches if p.key == "C-0002").columns) > 0
