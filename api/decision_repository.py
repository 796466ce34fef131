"""Neo4j adapter for decisions: (:Decision)-[:ABOUT]->(:Client), (:Decision)-[:BY]->(:Coach).

Decisions are created, never updated: a changed mind is a new decision, and the latest one per
advice is the one shown next to it. Nothing here touches a measurement.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from neo4j import Driver, ManagedTransaction

from graph_schema.db import read

_RECORD = """
MATCH (c:Client {key: $client_key})
MERGE (coach:Coach {id: $coach})
CREATE (d:Decision {id: $id, kind: $kind, advice_ref: $advice_ref, choice: $choice, reason_code: $reason_code,
                    reason_text: $reason_text, at: datetime($at)})
CREATE (d)-[:ABOUT]->(c)
CREATE (d)-[:BY]->(coach)
RETURN d.id AS id
"""

_DECISION = ("d {.id, .kind, .advice_ref, .choice, .reason_code, .reason_text, at: toString(d.at), "
             "coach: coach.id}")

_FOR = f"""
UNWIND $client_keys AS key
MATCH (d:Decision)-[:ABOUT]->(:Client {{key: key}})
WHERE $refs IS NULL OR d.advice_ref IN $refs
MATCH (d)-[:BY]->(coach:Coach)
WITH key, d, coach ORDER BY d.at DESC, d.id DESC
WITH key, d.advice_ref AS ref, collect({_DECISION}) AS ds
RETURN key, ref, head(ds) AS latest
"""


def _latest_decisions(where: str = "") -> str:
    return f"""COLLECT {{
    MATCH (d:Decision)-[:ABOUT]->(c) {where} MATCH (d)-[:BY]->(coach:Coach)
    WITH d, coach ORDER BY d.at DESC, d.id DESC
    WITH d.advice_ref AS ref, collect({_DECISION}) AS ds
    RETURN head(ds) }}"""


# The same rule as a column of another read of client `c`: its latest decision per advice ref, so
# that a page showing a client's advice costs no read of its own for the decisions next to it;
# the second only for advice `$ref` (a shortlist's rows: not every decision a client ever had).
LATEST_DECISIONS = _latest_decisions()
LATEST_DECISION_ON_REF = _latest_decisions("WHERE d.advice_ref = $ref")

_LIST = f"""
MATCH (d:Decision)-[:ABOUT]->(:Client {{key: $client_key}})
MATCH (d)-[:BY]->(coach:Coach)
WITH d, coach ORDER BY d.at DESC, d.id DESC
WITH collect({_DECISION}) AS rows
RETURN size(rows) AS total, rows[$offset..$offset + $limit] AS items
"""


# What a decision may be about, by kind (a gate decision names the client's gate, checked apart)
_VACANCY_THERE = "MATCH (t:Vacancy {id: $target}) RETURN count(t) > 0 AS found"
_TARGET = {"vacancy": _VACANCY_THERE, "candidate": _VACANCY_THERE,
           "occupation": "MATCH (t:Occupation {uri: $target}) RETURN count(t) > 0 AS found"}


def advice_target_exists(driver: Driver, database: str, kind: str, target: str) -> bool:
    """Whether the vacancy or occupation a decision is about exists."""
    records, _, _ = read(driver, _TARGET[kind], database, target=target)
    return records[0]["found"]


def decision_recorded(tx: ManagedTransaction, *, client_key: str, coach: str, kind: str, advice_ref: str,
                      choice: str, reason_code: str, reason_text: str) -> dict | None:
    """The stored decision, or None when the client does not exist; in the transaction that also
    answers the request and writes the audit entry (graph_schema.db.write_unit)."""
    at = datetime.now(timezone.utc).isoformat()
    did = uuid.uuid4().hex
    record = tx.run(_RECORD, client_key=client_key, coach=coach, id=did, kind=kind, advice_ref=advice_ref,
                    choice=choice, reason_code=reason_code, reason_text=reason_text, at=at).single()
    if record is None:
        return None
    return {"id": did, "kind": kind, "advice_ref": advice_ref, "choice": choice, "reason_code": reason_code,
            "reason_text": reason_text, "at": at, "coach": coach}


def decisions_for_many(driver: Driver, database: str, client_keys: list[str],
                       advice_refs: list[str] | None) -> dict[tuple[str, str], dict]:
    """The latest decision per (client key, advice ref) — what rankings show next to their advice."""
    if not client_keys:
        return {}
    records, _, _ = read(driver, _FOR, database, client_keys=client_keys, refs=advice_refs)
    return {(r["key"], r["ref"]): dict(r["latest"]) for r in records}


def by_ref(latest: list) -> dict[str, dict]:
    """advice ref -> decision, from a LATEST_DECISIONS column."""
    return {d["advice_ref"]: dict(d) for d in latest}


def list_decisions(driver: Driver, database: str, client_key: str, offset: int, limit: int) -> tuple[int, list[dict]]:
    records, _, _ = read(driver, _LIST, database, client_key=client_key, offset=offset, limit=limit)
    return records[0]["total"], [dict(d) for d in records[0]["items"]]
