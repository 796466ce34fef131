"""The append-only audit log of every read of client data: who, which client, what, when, role.

Entries are `(:AuditEntry {id, at, subject, role, client_key, action, endpoint})` nodes, written
with CREATE only — this module has no update or delete, and no endpoint changes them. (Erasure of
a client keeps its entries but removes the key from them: the trail that a read happened stays.)
One call writes the entries of one request in one UNWIND, so listing 50 candidates costs one
round trip, not 50.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from neo4j import Driver

from api.access import Principal

_RECORD = """
UNWIND $rows AS r
CREATE (a:AuditEntry {id: r.id, at: datetime(r.at), subject: r.subject, role: r.role,
                      client_key: r.client_key, action: r.action, endpoint: r.endpoint})
"""

_LIST = """
MATCH (a:AuditEntry)
WHERE ($client_key IS NULL OR a.client_key = $client_key) AND ($subject IS NULL OR a.subject = $subject)
WITH a ORDER BY a.at DESC, a.id
WITH collect(a) AS rows
RETURN size(rows) AS total,
       [a IN rows[$offset..$offset + $limit] | a {.id, at: toString(a.at), .subject, .role, .client_key,
                                                 .action, .endpoint}] AS items
"""


def record_reads(driver: Driver, database: str, principal: Principal, client_keys: list[str], action: str,
                 endpoint: str) -> int:
    """One entry per client read; returns how many were written."""
    if not client_keys:
        return 0
    at = datetime.now(timezone.utc).isoformat()
    rows = [{"id": uuid.uuid4().hex, "at": at, "subject": principal.subject, "role": principal.role.value,
             "client_key": key, "action": action, "endpoint": endpoint} for key in client_keys]
    driver.execute_query(_RECORD, rows=rows, database_=database)
    return len(rows)


def list_entries(driver: Driver, database: str, *, client_key: str | None = None, subject: str | None = None,
                 offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
    records, _, _ = driver.execute_query(_LIST, client_key=client_key, subject=subject, offset=offset,
                                         limit=limit, database_=database)
    return records[0]["total"], [dict(i) for i in records[0]["items"]]
