"""Keeping the in-memory index in step with the graph.

Every write that changes what the matcher ranks on (client profiles, gates, vacancies) bumps a
generation counter in the graph, in the same transaction as the write, and records in a change
log which clients it changed ((:IndexChange {generation, clients, full})). Each process holding
an index (every API replica) compares the counter with the generation of its index: when only
clients changed it patches their rows from the graph (well under a second); when anything else
changed (`full`: vacancies, a re-derivation, the atlas), or the log no longer reaches back to
its generation, it rebuilds in the background while the old index keeps answering. Every
replica replays the same log, so all converge. The counter is one small node read; a busy API
reads it at most every few hundred milliseconds (`MatchService(check_every_s=...)`), except that a
process always sees its own writes at once (`written_here`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from neo4j import Driver, ManagedTransaction

from graph_schema.db import read

KEEP_CHANGES = 10_000  # generations of change log kept; an index further behind rebuilds

_BUMP = """
MERGE (s:IndexState {id: 'match'})
SET s.generation = coalesce(s.generation, 0) + 1, s.changed_at = datetime(),
    s.graph_id = coalesce(s.graph_id, randomUUID())
CREATE (:IndexChange {generation: s.generation, clients: $clients, erased: $erased, full: $full, at: datetime()})
WITH s
OPTIONAL MATCH (old:IndexChange) WHERE old.generation <= s.generation - $keep
DELETE old
RETURN DISTINCT s.generation AS generation, s.graph_id AS graph_id
"""
_READ = """
OPTIONAL MATCH (s:IndexState {id: 'match'})
RETURN coalesce(s.generation, 0) AS generation, s.graph_id AS graph_id
"""
_CHANGES = """
MATCH (c:IndexChange) WHERE c.generation > $since
RETURN c.generation AS generation, c.clients AS clients, coalesce(c.erased, []) AS erased, c.full AS full
ORDER BY generation
"""
# An erased client's key must not stay in the log: earlier entries lose it, and the erasure itself
# is logged as a hash that only an index holding the key can match.
_SCRUB = "MATCH (c:IndexChange) WHERE $key IN c.clients SET c.clients = [k IN c.clients WHERE k <> $key]"


@dataclass(frozen=True)
class Change:
    generation: int
    clients: tuple[str, ...]
    full: bool  # not only client rows: the index must be rebuilt
    erased: tuple[str, ...] = ()  # key_hash of erased clients


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def bump_generation(tx: ManagedTransaction, clients: Iterable[str] | None = None) -> None:
    """Call inside the write transaction, so the bump commits (or rolls back) with the data.
    `clients`: the only thing changed is these clients' rows (profile, gate, place); None:
    something else changed too."""
    _bump(tx, clients=sorted(set(clients or ())), erased=[], full=clients is None)


def _bump(tx: ManagedTransaction, **change) -> None:
    record = tx.run(_BUMP, **change, keep=KEEP_CHANGES).single()
    _note_written(record["graph_id"], record["generation"])


# graph identity -> the highest generation this process's own writes set there (committed or
# not yet); keyed by graph so that a wiped or restored graph starts from nothing
_written: dict[str, int] = {}


def _note_written(graph_id: str, generation: int) -> None:
    _written[graph_id] = max(_written.get(graph_id, 0), generation)  # a lost race only makes one more check


def written_here(graph_id: str | None) -> int:
    """The highest generation this process has written in the graph `graph_id` (None: a graph
    not yet bumped when the index was built; then any own write counts). Noted before the
    transaction commits: an index behind it reads the graph on every request until it has caught
    up, so a process always reads its own writes, however seldom it otherwise checks. A write that
    rolls back leaves it checking on every request until another write reaches that generation."""
    if graph_id is None:
        return max(_written.values(), default=0)
    return _written.get(graph_id, 0)


def bump_after_bulk(driver: Driver, database: str) -> None:
    """After a bulk write outside the ingests (the benchmarks' generated populations): running and
    saved indexes see a full change and rebuild, instead of serving what was there before."""
    with driver.session(database=database) as session:
        session.execute_write(bump_generation)


def log_erasure(tx: ManagedTransaction, key: str) -> None:
    """Bump for an erased client: its key leaves the log, its hash tells running indexes."""
    tx.run(_SCRUB, key=key).consume()
    _bump(tx, clients=[], erased=[key_hash(key)], full=False)


def graph_state(driver: Driver, database: str) -> tuple[str | None, int]:
    """(the graph's identity, its generation): a wiped and rebuilt graph gets another identity,
    so the pair names one state of what the matcher ranks (matcher/index_store.py)."""
    record = read(driver, _READ, database).records[0]
    return record["graph_id"], record["generation"]


def changes_since(driver: Driver, database: str, generation: int) -> list[Change]:
    records = read(driver, _CHANGES, database, since=generation).records
    return [Change(r["generation"], tuple(r["clients"] or ()), bool(r["full"]), tuple(r["erased"]))
            for r in records]


def patchable(changes: list[Change], generation: int, target: int) -> tuple[set[str], set[str]] | None:
    """(clients to re-read, key hashes of erased clients) to go from `generation` to `target`, or
    None when the log does not allow it (a gap, or a change that is not only client rows): then
    rebuild. Pure."""
    wanted = [c for c in changes if c.generation <= target]
    if [c.generation for c in wanted] != list(range(generation + 1, target + 1)) or any(c.full for c in wanted):
        return None
    return {k for c in wanted for k in c.clients}, {h for c in wanted for h in c.erased}
