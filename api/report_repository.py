"""Neo4j adapter for client reports and their acknowledgements. Parameterised Cypher only.

(:ReportVersion {client_key, hash, content_json, created_at, saved_at, saved_by})-[:ABOUT]->(:Client)
(:Acknowledgement {id, client_key, role, by, present, at})-[:ACKNOWLEDGES]->(:ReportVersion)

A version is keyed by (client_key, hash): the same content saved twice is one version (its
saved_at moves, so the newest save's choices are the report's current ones). Acknowledgements are
created, never changed. Both nodes carry client_key, so erasing a client removes them too
(ingest/measurement_repository.py deletes every node with the client's key).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from neo4j import Driver, ManagedTransaction

from graph_schema.db import read

_SAVE = """
MATCH (c:Client {key: $key})
MERGE (v:ReportVersion {client_key: $key, hash: $hash})
ON CREATE SET v.created_at = datetime($now), v.content_json = $content_json
SET v.saved_at = datetime($now), v.saved_by = $by
MERGE (v)-[:ABOUT]->(c)
RETURN v.hash AS hash
"""

_LATEST = """
MATCH (v:ReportVersion {client_key: $key})
RETURN v.hash AS hash, v.content_json AS content_json, toString(v.created_at) AS created_at,
       toString(v.saved_at) AS saved_at, v.saved_by AS saved_by
ORDER BY v.saved_at DESC, v.hash LIMIT 1
"""

_VERSION = """
MATCH (v:ReportVersion {client_key: $key, hash: $hash})
RETURN v.hash AS hash, v.content_json AS content_json, toString(v.created_at) AS created_at,
       toString(v.saved_at) AS saved_at, v.saved_by AS saved_by
"""

_ACKNOWLEDGE = """
MATCH (c:Client {key: $key})
MERGE (v:ReportVersion {client_key: $key, hash: $hash})
ON CREATE SET v.created_at = datetime($now), v.content_json = $content_json, v.saved_at = datetime($now),
              v.saved_by = $by
MERGE (v)-[:ABOUT]->(c)
CREATE (a:Acknowledgement {id: $id, client_key: $key, role: $role, by: $by, present: $present, at: datetime($now)})
CREATE (a)-[:ACKNOWLEDGES]->(v)
RETURN a.id AS id
"""

_ACKNOWLEDGEMENTS = """
MATCH (a:Acknowledgement {client_key: $key})-[:ACKNOWLEDGES]->(v:ReportVersion)
RETURN a.id AS id, a.role AS role, a.by AS by, a.present AS present, toString(a.at) AS at, v.hash AS hash
ORDER BY a.at DESC, a.id DESC
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def version_saved(tx: ManagedTransaction, key: str, digest: str, content_json: str, by: str) -> bool:
    """In the act's transaction (graph_schema.db.write_unit): stores (or touches) a version; False
    when the client does not exist."""
    return tx.run(_SAVE, key=key, hash=digest, content_json=content_json, by=by, now=_now()).single() is not None


def latest_version(driver: Driver, database: str, key: str) -> dict | None:
    """The newest saved version with its content as data, or None."""
    records, _, _ = read(driver, _LATEST, database, key=key)
    if not records:
        return None
    r = dict(records[0])
    r["content"] = json.loads(r.pop("content_json"))
    return r


def version(driver: Driver, database: str, key: str, digest: str) -> dict | None:
    """One stored version with its content as data, or None."""
    records, _, _ = read(driver, _VERSION, database, key=key, hash=digest)
    if not records:
        return None
    r = dict(records[0])
    r["content"] = json.loads(r.pop("content_json"))
    return r


def acknowledged(tx: ManagedTransaction, key: str, digest: str, content_json: str, role: str, by: str,
                 present: str | None) -> bool:
    """In the act's transaction: records one acknowledgement of the version (stored with it if
    new); False when the client does not exist."""
    return tx.run(_ACKNOWLEDGE, key=key, hash=digest, content_json=content_json, role=role, by=by, present=present,
                  id=uuid.uuid4().hex, now=_now()).single() is not None


def acknowledgements(driver: Driver, database: str, key: str) -> list[dict]:
    """Every acknowledgement of the client's reports, newest first, each with its version's hash."""
    records, _, _ = read(driver, _ACKNOWLEDGEMENTS, database, key=key)
    return [dict(r) for r in records]
