"""Who may see which client: a token that changes with every change to it.

A coach's or CTC advisor's ranking is scoped to their caseload, and at 100k clients reading that
caseload was most of the request. Every write that changes who may see a client — assigning,
unassigning, erasing, a bench population — bumps (:AccessState {id: 'access'}), inside its own
transaction where it has one, so a process may keep a caseload between requests and read it
again only when its token changed (api/services/caseload.py). Each bump draws a new random token,
so no two states of the graph share one — not after a wipe, nor after a backup is restored
behind a running API. Without the node, or before its first token, nothing is held. A write that
changes assignments or removes clients without bumping would leave a held caseload stale: every
such write goes through here (the bulk ones in a `finally`, so a failed batch bumps too).
"""
from __future__ import annotations

from neo4j import Driver, ManagedTransaction

from graph_schema.db import write_session

# The generation counts (for people reading the graph); only the token is compared.
_BUMP = """
MERGE (s:AccessState {id: 'access'})
SET s.generation = coalesce(s.generation, 0) + 1, s.token = randomUUID()
"""
# The token a caseload is held under: null without an AccessState (then nothing is held).
ACCESS_TOKEN = "s.token"


def bump_access(tx: ManagedTransaction) -> None:
    """Call inside the write transaction, so the bump commits (or rolls back) with the change."""
    tx.run(_BUMP).consume()


def bump_access_after_bulk(driver: Driver, database: str) -> None:
    """After a batched write (CALL IN TRANSACTIONS) that changed assignments or removed clients."""
    with write_session(driver, database) as session:
        session.execute_write(bump_access)
