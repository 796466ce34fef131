"""The start-up warm-up (api/warmup.py): every hot read is sent and answered by the real Neo4j,
nothing is read into an answer, nothing is written, and one failing read does not stop the rest."""
from __future__ import annotations

from api import warmup
from api_fixtures import seed_world

COUNTS = """
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
CALL () { MATCH (a:AuditEntry) RETURN count(a) AS audit }
RETURN nodes, relationships, audit"""


def counts(driver, database: str) -> dict:
    return driver.execute_query(COUNTS, database_=database).records[0].data()


def test_every_hot_read_is_answered_and_nothing_is_written(clean_db, settings):
    db = settings.neo4j_database
    seed_world(clean_db, db)
    before = counts(clean_db, db)
    calls = warmup.hot_reads(clean_db, db)
    # a read whose repository function changed its arguments would fail here, not silently at start
    assert warmup.plan_hot_reads(clean_db, db) == len(calls) >= 15
    assert counts(clean_db, db) == before and before["audit"] == 0


def test_a_failing_read_does_not_stop_the_others(clean_db, settings, monkeypatch):
    db = settings.neo4j_database
    real = warmup.hot_reads(clean_db, db)

    def broken():
        raise RuntimeError("Neo4j went away")

    monkeypatch.setattr(warmup, "hot_reads", lambda driver, database: [broken, *real])
    assert warmup.plan_hot_reads(clean_db, db) == len(real)
