from __future__ import annotations

import pytest

from graph_schema.migrate import MigrationError, applied_versions, load_migrations, migrate, parse_statements


def test_statements_are_split_and_comments_dropped():
    text = "// a comment\nCREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.x);\n\n// another\nRETURN 1;\n"
    assert parse_statements(text) == ("CREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.x)", "RETURN 1")


def test_shipped_migrations_are_ordered_and_unique():
    versions = [m.version for m in load_migrations()]
    assert versions == sorted(versions) and len(versions) == len(set(versions)) and versions[0] == 1


def test_migrate_twice_is_a_no_op(driver, settings):
    migrate(driver, settings.neo4j_database)  # whatever the session fixture left
    assert migrate(driver, settings.neo4j_database) == []
    recorded = applied_versions(driver, settings.neo4j_database)
    assert sorted(recorded) == [m.version for m in load_migrations()]
    constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names",
                                             database_=settings.neo4j_database)
    assert {"occupation_uri", "client_key", "vacancy_id"} <= set(constraints[0]["names"])
    indexes, _, _ = driver.execute_query("SHOW INDEXES YIELD name, type RETURN collect([name, type]) AS idx",
                                         database_=settings.neo4j_database)
    assert ["label_text", "FULLTEXT"] in indexes[0]["idx"] and ["label_embedding", "VECTOR"] in indexes[0]["idx"]


def _test_folder(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _forget(driver, database, versions):
    driver.execute_query("MATCH (m:SchemaMigration) WHERE m.version IN $v DELETE m", v=versions, database_=database)
    driver.execute_query("DROP INDEX zz_test_index IF EXISTS", database_=database)


def test_failed_migration_names_itself_and_the_server_message(driver, settings, tmp_path):
    folder = _test_folder(tmp_path, {
        "9001_good_one.cypher": "CREATE INDEX zz_test_index IF NOT EXISTS FOR (n:ZzTest) ON (n.x);",
        "9002_broken_one.cypher": "CREATE INDEKS oops;",
    })
    try:
        with pytest.raises(MigrationError, match=r"migration 9002_broken_one failed: Neo\.ClientError\.Statement\.SyntaxError"):
            migrate(driver, settings.neo4j_database, folder)
        recorded = applied_versions(driver, settings.neo4j_database)
        assert 9001 in recorded and 9002 not in recorded  # stops at the failure, keeps what succeeded
    finally:
        _forget(driver, settings.neo4j_database, [9001, 9002])


def test_a_changed_applied_migration_is_refused(driver, settings, tmp_path):
    folder = _test_folder(tmp_path, {"9003_once.cypher": "CREATE INDEX zz_test_index IF NOT EXISTS FOR (n:ZzTest) ON (n.x);"})
    try:
        assert [m.version for m in migrate(driver, settings.neo4j_database, folder)] == [9003]
        (folder / "9003_once.cypher").write_text("CREATE INDEX zz_test_index IF NOT EXISTS FOR (n:ZzTest) ON (n.y);")
        with pytest.raises(MigrationError, match="9003_once was changed after it was applied"):
            migrate(driver, settings.neo4j_database, folder)
    finally:
        _forget(driver, settings.neo4j_database, [9003])


def test_badly_named_migration_file_is_refused(tmp_path):
    _test_folder(tmp_path, {"1_first.cypher": "RETURN 1;"})
    with pytest.raises(MigrationError, match="NNNN_lower_snake"):
        load_migrations(tmp_path)


def test_profile_relationships_from_older_versions_become_arrays(clean_db, settings):
    """Migration 0007 on a graph written by the relationship-based profile: same estimates, no
    relationships left, and a second run changes nothing."""
    from datetime import date

    from matcher.profile import CompetencyEstimate
    from matcher.profile_repository import PROFILE
    from matcher.profile_store import decode

    db = settings.neo4j_database
    clean_db.execute_query("""
        CREATE (c:Client {key: 'K-OLD'}), (a:Competency {uri: 'k:a'}), (b:Competency {uri: 'k:b'}),
               (:Client {key: 'K-NONE'})
        CREATE (c)-[:HAS_COMPETENCY {level: 0.75, confidence: 0.9, as_of: date('2024-03-04'), inferred: false,
                                     trait: 'stable', sources: ['m1', 'm2']}]->(a)
        CREATE (c)-[:HAS_COMPETENCY {level: 0.5, confidence: 0.25, as_of: date('2023-01-02'), inferred: true,
                                     trait: 'trainable', sources: ['work history: o:1', 'm2']}]->(b)
        """, database_=db)
    [migration] = [m for m in load_migrations() if m.name == "profile_arrays"]
    for _ in range(2):
        for statement in migration.statements:
            clean_db.execute_query(statement, database_=db)
    records = clean_db.execute_query(f"MATCH (c:Client) RETURN c.key AS key, {PROFILE} AS p ORDER BY key",
                                     database_=db)[0]
    profiles = {r["key"]: decode(r["p"]) for r in records}
    assert profiles["K-NONE"] == {}
    assert profiles["K-OLD"] == {
        "k:a": CompetencyEstimate("k:a", 0.75, 0.9, date(2024, 3, 4), False, ("m1", "m2"), "stable"),
        "k:b": CompetencyEstimate("k:b", 0.5, 0.25, date(2023, 1, 2), True, ("work history: o:1", "m2"), "trainable")}
    assert clean_db.execute_query("MATCH ()-[r:HAS_COMPETENCY]->() RETURN count(r) AS n",
                                  database_=db)[0][0]["n"] == 0
