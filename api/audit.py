"""The append-only audit log of every read of client data, and of every act that changes who may
see what (consent given or withdrawn, a decision, a token minted or revoked): who, which client,
what, when, role, and the request id (the same as in the logs and the X-Request-ID header).

Entries are `(:AuditEntry {id, at, subject, role, client_key, action, endpoint, target,
request_id})` nodes (`target`: what an act was about, e.g. the vacancy of a consent), written
with CREATE only — this module has no update or delete, and no endpoint changes them. (Erasure of
a client keeps its entries but removes the key from them: the trail that a read happened stays.)
One call writes the entries of one request in one UNWIND, so listing 50 candidates costs one
round trip, not 50.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from neo4j import Driver

from api import request_context
from api.access import Principal
from graph_schema.db import read

_RECORD = """
UNWIND $rows AS r
CREATE (a:AuditEntry {id: r.id, at: datetime(r.at), subject: r.subject, role: r.role,
                      client_key: r.client_key, action: r.action, endpoint: r.endpoint, target: r.target,
                      request_id: r.request_id})
"""

_LIST = """
MATCH (a:AuditEntry)
WHERE ($client_key IS NULL OR a.client_key = $client_key) AND ($subject IS NULL OR a.subject = $subject)
WITH a ORDER BY a.at DESC, a.id
WITH collect(a) AS rows
RETURN size(rows) AS total,
       [a IN rows[$offset..$offset + $limit] | a {.id, at: toString(a.at), .subject, .role, .client_key,
                                                 .action, .endpoint, .target, .request_id}] AS items
"""


def record_reads(driver: Driver, database: str, principal: Principal, client_keys: list[str], action: str,
                 endpoint: str) -> int:
    """One entry per client read; returns how many were written."""
    return _write(driver, database, principal, [(key, None) for key in client_keys], action, endpoint)


def record_act(driver: Driver, database: str, principal: Principal, action: str, endpoint: str, *,
               client_key: str | None = None, target: str | None = None) -> None:
    """One entry for an act: consent given or withdrawn, a decision, a token minted or revoked."""
    _write(driver, database, principal, [(client_key, target)], action, endpoint)


def _write(driver: Driver, database: str, principal: Principal, about: list[tuple[str | None, str | None]],
           action: str, endpoint: str) -> int:
    if not about:
        return 0
    at = datetime.now(timezone.utc).isoformat()
    rid = request_context.request_id()
    base = uuid.uuid4().hex  # one random draw per call, not per entry: ids stay unique by suffix
    rows = [{"id": f"{base}-{i}", "at": at, "subject": principal.subject, "role": principal.role.value,
             "client_key": key, "action": action, "endpoint": endpoint, "target": target, "request_id": rid}
            for i, (key, target) in enumerate(about)]
    driver.execute_query(_RECORD, rows=rows, database_=database)
    return len(rows)


def list_entries(driver: Driver, database: str, *, client_key: str | None = None, subject: str | None = None,
                 offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
    records, _, _ = read(driver, _LIST, database, client_key=client_key, subject=subject, offset=offset, limit=limit)
    return records[0]["total"], [dict(i) for i in records[0]["items"]]
