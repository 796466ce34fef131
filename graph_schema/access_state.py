"""Who may see which client: a counter that moves with every change to it.

A coach's or CTC advisor's ranking is scoped to their caseload, and at 100k clients reading that
caseload was most of the request. Every write that changes who may see a client — assigning,
unassigning, erasing, a bench population — bumps (:AccessState {id: 'access'}), inside its own
transaction where it has one, so a process may keep a caseload between requests and read it
again only when the counter moved (api/services/caseload.py). Without the node (a graph no
writer has bumped yet) nothing is held. A write that changes assignments
without bumping would leave a cached caseload stale: every such write goes through here.
"""
from __future__ import annotations

from neo4j import Driver, ManagedTransaction

from graph_schema.db import write_session

# `epoch` is new with each graph: a wiped graph counting from 1 again never matches a held token.
_BUMP = """
MERGE (s:AccessState {id: 'access'})
SET s.generation = coalesce(s.generation, 0) + 1, s.epoch = coalesce(s.epoch, randomUUID())
"""
# The token a caseload is held under: null without an AccessState (then nothing is held).
ACCESS_TOKEN = "s.epoch + ':' + toString(s.generation)"


def bump_access(tx: ManagedTransaction) -> None:
    """Call inside the write transaction, so the bump commits (or rolls back) with the change."""
    tx.run(_BUMP).consume()


def bump_access_after_bulk(driver: Driver, database: str) -> None:
    """After a batched write (CALL IN TRANSACTIONS) that changed assignments or removed clients."""
    with write_session(driver, database) as session:
        session.execute_write(bump_access)
