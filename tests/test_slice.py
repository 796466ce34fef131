"""The foundation slice end to end on the real server: load, index, match, explain."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app
from matcher.scoring import Status
from matcher.service import MatchService
from matcher.slice_loader import load_slice


def test_vacancy_candidates_are_ranked_and_explained(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    matches = MatchService(clean_db, settings.neo4j_database).candidates("V-0001")
    assert [m.subject for m in matches] == ["C-0001", "C-0003", "C-0002"]
    best = {r.requirement.competency: r for r in matches[0].explained.match.results}
    assert best["slice:accuracy"].status is Status.MET
    assert best["slice:leadership"].status is Status.MISSING
    assert matches[0].evidence["slice:accuracy"]["sources"] == ["M-0001-ctc"]
    c2 = {r.requirement.competency: r.status for r in matches[2].explained.match.results}
    assert c2["slice:stock"] is Status.UNKNOWN and matches[2].explained.match.coverage < 1.0


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
    assert [c["subject"] for c in data["candidates"]] == ["C-0001", "C-0003"]
    first = data["candidates"][0]
    assert abs(sum(r["contribution"] for r in first["requirements"]) - first["competency_score"]) < 1e-3
    missing = CliRunner().invoke(app, ["match", "vacancy", "V-9999"])
    assert missing.exit_code == 1 and "V-9999" in missing.output


def test_client_outputs_gap_and_what_if(clean_db, settings):
    load_slice(clean_db, settings.neo4j_database)
    service = MatchService(clean_db, settings.neo4j_database)
    vacancies = service.vacancies("C-0002")
    assert [m.subject for m in vacancies] == ["V-0001"]
    occupations = service.occupations("C-0003")
    assert [m.subject for m in occupations] == ["slice:shop-assistant", "slice:warehouse-worker"]
    gap = service.gap("C-0002", "vacancy", "V-0001")
    # essential first, then by gain; never a requirement that is already met
    assert [g.requirement.competency for g in gap] == ["slice:stock", "slice:accuracy", "slice:leadership"]
    assert all(g.gain > 0 for g in gap) and gap[0].unlocks == 1
    w = service.what_if("C-0002", "slice:stock", 0.8, "V-0001")
    assert (w.rank_before, w.rank_after) == (3, 2) and w.score_after > w.score_before and w.opens == 1


def test_index_rebuilds_when_the_generation_moves(clean_db, settings):
    from matcher.freshness import bump_generation

    load_slice(clean_db, settings.neo4j_database)
    service = MatchService(clean_db, settings.neo4j_database)
    assert service.refresh_if_stale()  # first use builds it
    assert not service.refresh_if_stale()
    clean_db.execute_query("MATCH (c:Client {key: 'C-0002'}) SET c.gate = 'not_matchable'",
                           database_=settings.neo4j_database)
    assert "C-0002" in [m.subject for m in service.candidates("V-0001")]  # not yet told
    with clean_db.session(database=settings.neo4j_database) as session:
        session.execute_write(bump_generation)
    assert service.refresh_if_stale()
    assert "C-0002" not in [m.subject for m in service.candidates("V-0001")]


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
