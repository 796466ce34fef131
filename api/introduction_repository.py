"""Introduction requests from employer desks (Cypher, parameterised). A request names the client
by key inside the graph only; the desk that asked knew a pseudonym. Erasing the client removes
them (every node with its client_key goes)."""
from __future__ import annotations

from datetime import datetime, timezone

from neo4j import Driver

from graph_schema.db import read

_REQUEST = """
MATCH (c:Client {key: $key})
MERGE (r:IntroductionRequest {client_key: $key, vacancy_id: $vacancy})
ON CREATE SET r.at = datetime($now), r.requested_by = $by, r.status = 'open'
MERGE (r)-[:FOR]->(c)
RETURN r.at = datetime($now) AS new
"""
_OPEN = """
UNWIND $keys AS key
MATCH (r:IntroductionRequest {client_key: key, status: 'open'})
RETURN key, collect(r.vacancy_id) AS vacancies
"""


def record_request(driver: Driver, database: str, key: str, vacancy_id: str, requested_by: str) -> bool:
    """True when this is a new request (asking twice changes nothing)."""
    records, _, _ = driver.execute_query(_REQUEST, key=key, vacancy=vacancy_id, by=requested_by,
                                         now=datetime.now(timezone.utc).isoformat(), database_=database)
    return bool(records and records[0]["new"])


def open_requests(driver: Driver, database: str, keys: list[str]) -> dict[str, list[str]]:
    """Per client key: the vacancies an employer desk asked an introduction for, still open."""
    records, _, _ = read(driver, _OPEN, database, keys=keys)
    return {r["key"]: sorted(r["vacancies"]) for r in records}
