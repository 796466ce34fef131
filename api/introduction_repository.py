"""Introduction requests from employer desks (Cypher, parameterised). A request names the client
by key inside the graph only; the desk that asked knew a pseudonym. Erasing the client removes
them (every node with its client_key goes)."""
from __future__ import annotations

from datetime import datetime, timezone

from neo4j import Driver, ManagedTransaction

from graph_schema.db import read

# Asking again while a request is open changes nothing; after it was answered (the client may have
# withdrawn consent since) it opens again. It keeps the consent epoch the desk asked under: the
# desk's card says "asked" only under that epoch's pseudonym (a withdrawal gives a new one, which
# must not be linkable to the old).
_REQUEST = """
MATCH (c:Client {key: $key})
MERGE (r:IntroductionRequest {client_key: $key, vacancy_id: $vacancy})
WITH c, r, coalesce(r.status, '') <> 'open' AS new
OPTIONAL MATCH (c)-[e:CONSENT_EPOCH {vacancy_id: $vacancy}]->(:Vacancy)
FOREACH (_ IN CASE WHEN new THEN [1] ELSE [] END |
  SET r.at = datetime($now), r.requested_by = $by, r.status = 'open', r.epoch = coalesce(e.epoch, 0)
  REMOVE r.answer, r.answered_at, r.answered_by)
MERGE (r)-[:FOR]->(c)
RETURN new
"""
_OPEN = """
UNWIND $keys AS key
MATCH (r:IntroductionRequest {client_key: key, status: 'open'})
OPTIONAL MATCH (v:Vacancy {id: r.vacancy_id})
WITH key, r, v ORDER BY r.vacancy_id
RETURN key, collect({id: r.vacancy_id, title: v.title}) AS vacancies
"""
# The coach answered: consent given, or a decision recorded on that vacancy for this client.
_ANSWER = """
MATCH (r:IntroductionRequest {client_key: $key, vacancy_id: $vacancy, status: 'open'})
SET r.status = 'answered', r.answer = $answer, r.answered_at = datetime($now), r.answered_by = $by
"""


def request_recorded(tx: ManagedTransaction, key: str, vacancy_id: str, requested_by: str) -> bool:
    """In the act's transaction (graph_schema.db.write_unit): True when this is a new request (asking
    twice changes nothing)."""
    record = tx.run(_REQUEST, key=key, vacancy=vacancy_id, by=requested_by,
                    now=datetime.now(timezone.utc).isoformat()).single()
    return bool(record and record["new"])


def open_requests(driver: Driver, database: str, keys: list[str]) -> dict[str, list[dict]]:
    """Per client key: the vacancies ({id, title}) an employer desk asked an introduction for,
    not yet answered."""
    records, _, _ = read(driver, _OPEN, database, keys=keys)
    return {r["key"]: list(r["vacancies"]) for r in records}


def request_answered(tx: ManagedTransaction, key: str, vacancy_id: str, answer: str, by: str) -> None:
    """Closes the open request for this client and vacancy, if there is one (`answer`: consent |
    decision), in the transaction of the act that answers it (graph_schema.db.write_unit)."""
    tx.run(_ANSWER, key=key, vacancy=vacancy_id, answer=answer, by=by,
           now=datetime.now(timezone.utc).isoformat()).consume()
