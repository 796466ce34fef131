"""Neo4j adapter for client measurements: the only module with Cypher about clients' measurements,
profiles and erasure.

A batch is written by `write_batch` in ONE transaction (session.execute_write): clients and
their attributes, identities, the new measurements, and the rewritten profile of every client
whose measurements changed (profile arrays and gate replaced, WORKED_AS deleted and recreated). If
anything fails, the driver rolls the whole transaction back: the graph is as if the batch never
started, and the next run writes it again (ids are content hashes, so nothing is doubled).

Graph contract (read by the matcher and the API): see docs/measurements.md.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import ConstraintError

from graph_schema.db import Bulk, read, write_session
from graph_schema.access_state import bump_access, bump_access_after_bulk
from matcher.freshness import bump_generation, log_erasure
from matcher.profile_repository import set_profiles
from matcher.profile_store import NEW_CLIENT
from matcher.scoring import DEFAULT_REQUIRED_LEVEL

Hook = Callable[[str], None]  # called after each statement of a batch (tests inject failures here)

Q_EXISTING = "MATCH (m:Measurement) WHERE m.id IN $ids RETURN m.id AS id"

Q_CLIENTS = f"""
UNWIND $rows AS r
MERGE (c:Client {{key: r.key}})
ON CREATE SET {NEW_CLIENT}
WITH c, r WHERE r.as_of IS NOT NULL AND (c.attributes_as_of IS NULL OR c.attributes_as_of <= r.as_of)
SET c += r.attrs, c.attributes_as_of = r.as_of
FOREACH (_ IN CASE WHEN r.lat IS NULL THEN [] ELSE [1] END |
  SET c.location = point({{latitude: r.lat, longitude: r.lon}}))
FOREACH (_ IN CASE WHEN r.relocated AND r.lat IS NULL THEN [1] ELSE [] END | REMOVE c.location)
"""

# As the client's attributes: the newest measurement that gives them wins, so an older export ingested
# again does not bring back an old name, e-mail address or phone number.
Q_IDENTITIES = """
UNWIND $rows AS r
MATCH (c:Client {key: r.key})
MERGE (i:ClientIdentity {client_key: r.key})
MERGE (i)-[:IDENTIFIES]->(c)
WITH i, r WHERE i.as_of IS NULL OR i.as_of <= r.as_of
SET i += r.props, i.as_of = r.as_of
"""

Q_STORED = """
UNWIND $keys AS k
MATCH (m:Measurement {client_key: k})
RETURN m {.id, .client_key, .instrument, .measured_at, .scale_ids, .levels, .sensitive_json, .gates_json,
          .gate_block_given, .work_history_json, .blocks_json, .certificates} AS m
"""

Q_MEASUREMENTS = """
UNWIND $rows AS r
MATCH (c:Client {key: r.client_key})
MERGE (i:Instrument {id: r.instrument})
CREATE (m:Measurement)
SET m = r
CREATE (c)-[:HAS_MEASUREMENT]->(m)
CREATE (m)-[:OF_INSTRUMENT]->(i)
"""

Q_DROP_WORK_HISTORY = """
UNWIND $keys AS k
MATCH (c:Client {key: k})-[r:WORKED_AS]->()
DELETE r
"""

Q_WORKED_AS = """
UNWIND $rows AS r
MATCH (c:Client {key: r.key})
UNWIND r.jobs AS j
MATCH (o:Occupation {uri: j.uri})
CREATE (c)-[:WORKED_AS {years: j.years}]->(o)
"""

Q_RUN_START = """
MERGE (r:IngestRun {id: $id})
SET r.kind = $kind, r.started_at = datetime($now), r.status = 'running', r.source_files = $sources
"""

Q_RUN_FINISH = """
MATCH (r:IngestRun {id: $id})
SET r.finished_at = datetime($now), r.status = $status, r.landed = $landed, r.unchanged = $unchanged,
    r.rejected = $rejected, r.source_files = $sources
"""

Q_OCCUPATION_REQUIREMENTS = """
UNWIND $uris AS u
MATCH (o:Occupation {uri: u})-[r:REQUIRES]->(c:Competency)
RETURN u AS uri, collect([c.uri, coalesce(r.required_level, $default_level), r.relation = 'essential']) AS requirements
"""

Q_OCCUPATION_LABELS = """
MATCH (o:Occupation)
RETURN o.uri AS uri, [o.label_en, o.label_nl] + [(l:Label)-[:LABEL_OF]->(o) | l.text] AS labels
"""


@dataclass(frozen=True)
class BatchOutcome:
    landed: tuple[str, ...]
    unchanged: tuple[str, ...]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _hooked(hook: Hook | None, stage: str) -> None:
    if hook is not None:
        hook(stage)


Derive = Callable[[list[dict], list[dict]], tuple[list[dict], list[dict]]]
# Profiles computed before the transaction from the batch alone: (profile row, work row or None)
# per client. Valid for a client with nothing stored yet; others are derived again inside.
Precomputed = dict[str, tuple[dict, dict | None]]


def _write_batch(tx: ManagedTransaction, measurements: list[dict], clients: list[dict], identities: list[dict],
                 derive: Derive, hook: Hook | None, precomputed: Precomputed) -> BatchOutcome:
    ids = [m["id"] for m in measurements]
    existing = {r["id"] for r in tx.run(Q_EXISTING, ids=Bulk(ids))}
    new = [m for m in measurements if m["id"] not in existing]
    tx.run(Q_CLIENTS, rows=Bulk(clients)).consume()
    _hooked(hook, "clients")
    if identities:
        tx.run(Q_IDENTITIES, rows=Bulk(identities)).consume()
        _hooked(hook, "identities")
    if new:
        keys = sorted({m["client_key"] for m in new})
        stored = [r["m"] for r in tx.run(Q_STORED, keys=Bulk(keys))]
        tx.run(Q_MEASUREMENTS, rows=Bulk(new)).consume()
        _hooked(hook, "measurements")
        had_profile = {m["client_key"] for m in stored}
        again = had_profile | {k for k in keys if k not in precomputed}
        profiles, jobs = derive([m for m in new if m["client_key"] in again],
                                [m for m in stored if m["client_key"] in again]) if again else ([], [])
        for key in keys:
            if key not in again:
                profiles.append(precomputed[key][0])
                if precomputed[key][1] is not None:
                    jobs.append(precomputed[key][1])
        if had_profile:
            tx.run(Q_DROP_WORK_HISTORY, keys=sorted(had_profile)).consume()
        set_profiles(tx, profiles)
        bump_generation(tx, keys)  # running match indexes patch these clients' rows
        _hooked(hook, "profiles")
        if jobs:
            tx.run(Q_WORKED_AS, rows=Bulk(jobs)).consume()
            _hooked(hook, "work_history")
    return BatchOutcome(tuple(m["id"] for m in new), tuple(m["id"] for m in measurements if m["id"] in existing))


def write_batch(driver: Driver, database: str, measurements: list[dict], clients: list[dict],
                identities: list[dict], derive: Derive, hook: Hook | None = None,
                precomputed: Precomputed | None = None) -> BatchOutcome:
    """One transaction per call. `derive(new_rows, stored_rows)` returns (profile rows, work rows)
    for the clients of the new measurements, from their new and already stored measurements."""
    with write_session(driver, database) as session:
        for attempt in range(2):
            try:
                outcome = session.execute_write(_write_batch, measurements, clients, identities, derive, hook,
                                                precomputed or {})
                break
            except ConstraintError:
                # Another writer stored one of these measurements after this batch looked (the same
                # export from the CLI and the API, a form sent twice): rolled back whole; again, the
                # batch finds it stored and reports it unchanged
                if attempt:
                    raise
    _hooked(hook, "committed")
    return outcome


def start_run(driver: Driver, database: str, run_id: str, kind: str, sources: list[str]) -> None:
    driver.execute_query(Q_RUN_START, id=run_id, kind=kind, now=_now(), sources=sources, database_=database)


def finish_run(driver: Driver, database: str, run_id: str, status: str, landed: int, unchanged: int,
               rejected: int, sources: list[str]) -> None:
    driver.execute_query(Q_RUN_FINISH, id=run_id, now=_now(), status=status, landed=landed, unchanged=unchanged,
                         rejected=rejected, sources=sources, database_=database)


def load_occupation_requirements(driver: Driver, database: str,
                                 uris: list[str]) -> dict[str, list[tuple[str, float, bool]]]:
    """Per occupation: (competency, required level, essential) of every requirement, sorted."""
    records, _, _ = read(driver, Q_OCCUPATION_REQUIREMENTS, database, uris=uris, default_level=DEFAULT_REQUIRED_LEVEL)
    found = {r["uri"]: sorted((c, float(lv), bool(e)) for c, lv, e in r["requirements"]) for r in records}
    return {u: found.get(u, []) for u in uris}


def load_occupation_labels(driver: Driver, database: str) -> list[tuple[str, list[str], list[str]]]:
    """Per occupation: (uri, preferred labels, other labels), Dutch and English."""
    records, _, _ = read(driver, Q_OCCUPATION_LABELS, database)
    return [(r["uri"], [t for t in r["labels"][:2] if t], [t for t in r["labels"][2:] if t]) for r in records]


# ---------------------------------------------------------------- erasure

Q_ERASE_MEASUREMENTS = """
CALL () {
  MATCH (:Client {key: $key})-[:HAS_MEASUREMENT]->(m:Measurement) RETURN m
  UNION
  MATCH (m:Measurement {client_key: $key}) RETURN m
}
DETACH DELETE m
RETURN count(*) AS n
"""

Q_ERASE_IDENTITY = """
MATCH (i:ClientIdentity {client_key: $key}) DETACH DELETE i RETURN count(*) AS n
"""

Q_ERASE_DECISIONS = """
MATCH (:Client {key: $key})--(d:Decision) DETACH DELETE d RETURN count(DISTINCT d) AS n
"""

Q_ERASE_CLIENT = """
MATCH (c:Client {key: $key}) DETACH DELETE c RETURN count(*) AS n
"""

# Anything else that names the client by key: decisions and other records are deleted; audit
# entries are kept (the trail that something happened must survive) but lose the key.
Q_ERASE_KEYED = """
MATCH (n) WHERE n.client_key = $key AND NOT n:AuditEntry
DETACH DELETE n
RETURN count(*) AS deleted
"""

Q_SCRUB_AUDIT = """
MATCH (a:AuditEntry) WHERE a.client_key = $key
SET a.client_key = null, a.client_erased_at = datetime($now)
RETURN count(a) AS scrubbed
"""


def _erase(tx: ManagedTransaction, key: str) -> dict:
    counts = {"measurements": tx.run(Q_ERASE_MEASUREMENTS, key=key).single()["n"],
              "identities": tx.run(Q_ERASE_IDENTITY, key=key).single()["n"],
              "decisions": tx.run(Q_ERASE_DECISIONS, key=key).single()["n"],
              "clients": tx.run(Q_ERASE_CLIENT, key=key).single()["n"]}
    counts["other_keyed_nodes"] = tx.run(Q_ERASE_KEYED, key=key).single()["deleted"]
    counts["audit_entries_scrubbed"] = tx.run(Q_SCRUB_AUDIT, key=key, now=_now()).single()["scrubbed"]
    log_erasure(tx, key)
    bump_access(tx)  # a caseload held elsewhere must not keep the key (it may come back)
    return counts


def erase_client(driver: Driver, database: str, key: str) -> dict:
    """Removes every trace of a client in one transaction; returns what was removed."""
    with write_session(driver, database) as session:
        return session.execute_write(_erase, key)


def delete_clients_with_prefix(driver: Driver, database: str, prefix: str) -> int:
    """Benchmark clean-up: every client whose key starts with `prefix`, with their measurements,
    identities and profile, in batches (auto-commit, CALL IN TRANSACTIONS)."""
    if len(prefix) < 4:
        raise ValueError("refusing to delete clients by a prefix shorter than 4 characters")
    try:
        with write_session(driver, database) as session:
            session.run("MATCH (m:Measurement) WHERE m.client_key STARTS WITH $p "
                        "CALL (m) { DETACH DELETE m } IN TRANSACTIONS OF 5000 ROWS", p=prefix).consume()
            session.run("MATCH (i:ClientIdentity) WHERE i.client_key STARTS WITH $p "
                        "CALL (i) { DETACH DELETE i } IN TRANSACTIONS OF 5000 ROWS", p=prefix).consume()
            record = session.run("MATCH (c:Client) WHERE c.key STARTS WITH $p "
                                 "CALL (c) { DETACH DELETE c } IN TRANSACTIONS OF 1000 ROWS "
                                 "RETURN count(*) AS n", p=prefix).single()
    finally:  # also after a failed batch: the clients already removed must leave held caseloads
        bump_access_after_bulk(driver, database)
    return record["n"] if record else 0


# ---------------------------------------------------------------- re-derivation

Q_CLIENT_KEYS = "MATCH (c:Client) WHERE c.key > $after RETURN c.key AS key ORDER BY key LIMIT $n"


def _rederive_batch(tx: ManagedTransaction, keys: list[str], derive_clients) -> int:
    stored = [r["m"] for r in tx.run(Q_STORED, keys=Bulk(keys))]
    if not stored:
        return 0
    derived = derive_clients(stored)
    tx.run(Q_DROP_WORK_HISTORY, keys=sorted(derived)).consume()
    set_profiles(tx, [p for p, _ in derived.values()])
    jobs = [j for _, j in derived.values() if j is not None]
    if jobs:
        tx.run(Q_WORKED_AS, rows=Bulk(jobs)).consume()
    bump_generation(tx)
    return len(derived)


def rederive_profiles(driver: Driver, database: str, derive_clients, batch: int = 2000) -> int:
    """Derive every client's profile again from the stored measurements (after the derivation
    rules, an instrument profile or the certificates mapping changed), a batch of clients per
    transaction. Returns the number of clients derived."""
    done, after = 0, ""
    while True:
        records, _, _ = read(driver, Q_CLIENT_KEYS, database, after=after, n=batch)
        keys = [r["key"] for r in records]
        if not keys:
            return done
        with write_session(driver, database) as session:
            done += session.execute_write(_rederive_batch, keys, derive_clients)
        after = keys[-1]
