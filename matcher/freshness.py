"""Keeping the in-memory index in step with the graph.

Every write that changes what the matcher ranks on (client profiles, gates, vacancies) bumps a
generation counter in the graph, in the same transaction as the write. Each process holding an
index (every API replica) compares the counter with the generation its index was built from, and
rebuilds when it moved. A single small node read is cheap enough to do before every request.
"""
from __future__ import annotations

from neo4j import Driver, ManagedTransaction

_BUMP = """
MERGE (s:IndexState {id: 'match'})
SET s.generation = coalesce(s.generation, 0) + 1, s.changed_at = datetime()
"""
_READ = "OPTIONAL MATCH (s:IndexState {id: 'match'}) RETURN coalesce(s.generation, 0) AS generation"


def bump_generation(tx: ManagedTransaction) -> None:
    """Call inside the write transaction, so the bump commits (or rolls back) with the data."""
    tx.run(_BUMP).consume()


def current_generation(driver: Driver, database: str) -> int:
    return driver.execute_query(_READ, database_=database).records[0]["generation"]
