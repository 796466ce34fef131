"""The Neo4j driver, made one way for the whole product."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

# The driver imports pandas whenever it is installed, for Result.to_df and to pack pandas values:
# we call neither, and send plain Python and NumPy values (tests/test_atlas_build.py checks the
# atlas rows, the only ones read through pandas). Hidden while the driver loads, pandas no longer
# costs every command 0.3-0.5 s; the commands that read reference data import it themselves.
_HIDE_PANDAS = "pandas" not in sys.modules
if _HIDE_PANDAS:
    sys.modules["pandas"] = None  # type: ignore[assignment]
try:
    from neo4j import READ_ACCESS, WRITE_ACCESS, Driver, EagerResult, GraphDatabase, ManagedTransaction, Session
    from neo4j.exceptions import SessionExpired, TransientError
finally:
    if _HIDE_PANDAS:
        del sys.modules["pandas"]

from graph_schema.settings import Settings

T = TypeVar("T")


def connect(settings: Settings) -> Driver:
    """A routing (`neo4j://`) driver: the same code talks to one server, a cluster or Aura."""
    return GraphDatabase.driver(
        settings.uri,
        auth=(settings.neo4j_user, settings.password()),
        max_connection_pool_size=50,
        connection_acquisition_timeout=30,
        # Schema-free queries on an empty graph raise "label does not exist" notices: noise.
        notifications_min_severity="OFF",
    )


READ_ATTEMPTS = 3  # a transient failure (a follower catching up, a leader switch) is tried again (writes: `write_once`)


def read(driver: Driver, query: str, database: str, **params) -> EagerResult:
    """A read-only query with read routing: in a cluster it goes to a follower or read replica, on
    one server to that server. Chained to the driver's shared bookmarks like every `execute_query`,
    so it sees every write this process committed before it (docs/cluster.md). Writes stay
    `driver.execute_query(...)`, whose default routing is WRITE (the leader).

    One auto-commit query in a read session, not a managed transaction: a single statement needs
    no BEGIN/COMMIT, and that halves the driver's CPU and the wall time per read (0.20 against
    0.38 ms CPU, 0.41 against 0.97 ms on loopback), which is most of what a request costs the
    API. Transient errors and expired sessions are tried twice more here (`execute_query` would
    keep trying for up to 30 s); what is still failing then, and an unreachable server at once,
    becomes the API's 503 with Retry-After."""
    return _tried(lambda: _auto_commit(read_session(driver, database), query, params), (TransientError, SessionExpired))


def write_once(driver: Driver, query: str, database: str, **params) -> EagerResult:
    """One write statement in an auto-commit transaction with write routing, committed when this
    returns (Neo4j commits an auto-commit query once its result is consumed; the bookmark it sends
    back then chains later reads to it, as `execute_query` would). For the single statement written
    on the request path, the audit entries: 0.48–0.62 against 0.68–1.14 ms of the driver's CPU and
    0.72–0.97 against 0.90–1.63 ms of Neo4j's per write (loopback, four runs of 300–500 writes
    each). Tried again only after a transient error, which the server rolled back: a connection
    lost after the statement was sent (SessionExpired) may have been committed, and a CREATE run
    again would write twice (the audit's unique entry id would refuse it)."""
    return _tried(lambda: _auto_commit(write_session(driver, database), query, params), (TransientError,))


def write_unit(driver: Driver, database: str, unit: Callable[[ManagedTransaction], T]) -> T:
    """Statements that stand or fall together (an act, the request it answers and its audit entry)
    in one write transaction; the driver tries it again after a transient error, rolled back first."""
    with write_session(driver, database) as session:
        return session.execute_write(unit)


def _tried(run: Callable[[], EagerResult], again_after: tuple[type[Exception], ...]) -> EagerResult:
    for attempt in range(1, READ_ATTEMPTS):
        try:
            return run()
        except again_after:
            time.sleep(0.05 * attempt)
    return run()


def _auto_commit(session: Session, query: str, params: dict) -> EagerResult:
    with session:
        return session.run(query, params).to_eager_result()


def read_session(driver: Driver, database: str, **config) -> Session:
    """A read-access session (streamed reads, read transactions) on the bookmarks `execute_query`
    uses, so it sees this process's earlier writes."""
    return driver.session(database=database, default_access_mode=READ_ACCESS,
                          bookmark_manager=driver.execute_query_bookmark_manager, **config)


def write_session(driver: Driver, database: str, **config) -> Session:
    """A write-access session (write transactions, auto-commit `CALL {...} IN TRANSACTIONS`) on the
    bookmarks `execute_query` uses: a read after it, in any form, sees what it wrote. A bare
    `driver.session()` has no bookmark manager, so a follower could answer the next read from
    before the write."""
    return driver.session(database=database, default_access_mode=WRITE_ACCESS,
                          bookmark_manager=driver.execute_query_bookmark_manager, **config)


class Bulk(list):
    """A list parameter for bulk writes (`UNWIND $rows`), with a short repr.

    The driver (neo4j 6.4, Bolt 5 `run`) formats a debug line with repr() of every parameter on
    every query, whether or not debug logging is on. For a batch of 2,000 client profiles that
    formatting cost twice the CPU of packing and sending them (measured: 0.67-0.78 s against
    0.22 s with this wrapper); the packer takes a list subclass as a list.
    """

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"
