"""The append-only audit log of every read of client data, and of every act that changes who may
see what (consent given or withdrawn, a decision, a token minted or revoked): who, which client,
what, when, role, and the request id (the same as in the logs and the X-Request-ID header).

Entries are `(:AuditEntry {id, at, subject, role, client_key, action, endpoint, target,
request_id})` nodes (`target`: what an act was about, e.g. the vacancy of a consent), written
with CREATE only — this module has no update or delete, and no endpoint changes them. (Erasure of
a client keeps its entries but removes the key from them: the trail that a read happened stays.)
One call writes the entries of one request in one UNWIND, so listing 50 candidates costs one
round trip, not 50; and the calls of concurrent requests share one transaction (`GroupCommit`).
No answer leaves before its entries are committed: inside a request the edge (api/edge.py) holds
the answer until they are, so the handler's thread serves another request meanwhile; elsewhere
the caller waits. A read that still has work to do once it knows whose data it shows (ranking,
explaining) sends its entries first (`recording_reads`): the commit overlaps the work. An act
that changes who may see what (consent, a decision) writes its entry in its own transaction
(`act_recorded`), so that neither is ever stored without the other.
"""
from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timezone

from neo4j import Driver, ManagedTransaction

from api import request_context
from api.access import Principal
from graph_schema.db import read, write_once

_RECORD = """
UNWIND $rows AS r
CREATE (a:AuditEntry {id: r.id, at: datetime(r.at), subject: r.subject, role: r.role,
                      client_key: r.client_key, action: r.action, endpoint: r.endpoint, target: r.target,
                      request_id: r.request_id})
"""

# The log grows with every read (~940,000 entries after a day of benchmarks here): a listing seeks
# the client's or the subject's entries in their index, or walks the `at` index backwards for the
# whole log, and sorts only what it keeps (a page); it never collects the log. With "$x IS NULL OR
# a.x = $x" the planner could use no index: every listing scanned and collected all entries (0.4-0.6
# s for one client, 1.8 s for the whole log at 940,000).
_FILTERS = {(True, False): "a.client_key = $client_key", (False, True): "a.subject = $subject",
            (True, True): "a.client_key = $client_key AND a.subject = $subject", (False, False): "a.at IS NOT NULL"}
_LIST = """
CALL {{ MATCH (a:AuditEntry) WHERE {where} RETURN count(a) AS total }}
CALL {{ MATCH (a:AuditEntry) WHERE {where}
        WITH a ORDER BY a.at DESC, a.id SKIP $offset LIMIT $limit
        RETURN collect(a {{.id, at: toString(a.at), .subject, .role, .client_key, .action, .endpoint, .target,
                          .request_id}}) AS items }}
RETURN total, items
"""


def record_reads(driver: Driver, database: str, principal: Principal, client_keys: list[str], action: str,
                 endpoint: str, before_an_act: bool = False) -> int:
    """One entry per client read; returns how many were written. `before_an_act`: committed before
    this returns, also inside a request (an erasure that follows must find the entry written)."""
    return _write(driver, database, principal, [(key, None, action) for key in client_keys], endpoint,
                  here=before_an_act)


def record_reads_of(driver: Driver, database: str, principal: Principal, client_key: str, actions: list[str],
                    endpoint: str) -> int:
    """One entry per kind of data read about one client (a page showing several), in one write."""
    return _write(driver, database, principal, [(client_key, None, action) for action in actions], endpoint)


@contextmanager
def recording_reads(driver: Driver, database: str, principal: Principal, client_keys: list[str], action: str,
                    endpoint: str) -> Iterator[None]:
    """One entry per client read, committed while the block builds the answer; leaving the block
    waits for the commit (and raises if it failed), so no answer leaves before its entries are
    durable. Enter it only once the caller may see these clients: if the block then fails, the
    entries stay, and the trail errs towards a read recorded, never an answer unrecorded."""
    pending = _submit(driver, database, principal, [(key, None, action) for key in client_keys], endpoint)
    try:
        yield
    except BaseException:
        # The block's error is the one raised, but only once the entries are written: no request
        # leaves its writer mid-transaction (a shutdown after it would close the driver under it).
        if pending is not None:
            pending.exception()
        raise
    _committed(pending)


def record_act(driver: Driver, database: str, principal: Principal, action: str, endpoint: str, *,
               client_key: str | None = None, target: str | None = None) -> None:
    """One entry for an act: consent given or withdrawn, a decision, a token minted or revoked."""
    _write(driver, database, principal, [(client_key, target, action)], endpoint)


def act_recorded(tx: ManagedTransaction, principal: Principal, action: str, endpoint: str, *,
                 client_key: str | None = None, target: str | None = None) -> None:
    """An act's entry in the act's own transaction (graph_schema.db.write_unit): a consent, a
    decision is never stored without its entry, nor its entry without it."""
    tx.run(_RECORD, rows=_rows(principal, [(client_key, target, action)], endpoint)).consume()


def _write(driver: Driver, database: str, principal: Principal, entries: list[tuple[str | None, str | None, str]],
           endpoint: str, here: bool = False) -> int:
    """Entries of (client key, target, action), committed before the answer starts (`here`: before
    this returns)."""
    _committed(_submit(driver, database, principal, entries, endpoint), here)
    return len(entries)


def _committed(pending: Future | None, here: bool = False) -> None:
    """Returns once the entries are committed, raising if they could not be; inside a request, unless
    `here`, the edge waits instead, before the answer starts (and answers with the error if they failed)."""
    if pending is not None and (here or not request_context.hold_answer_for(pending)):
        pending.result()


def _submit(driver: Driver, database: str, principal: Principal, entries: list[tuple[str | None, str | None, str]],
            endpoint: str) -> Future | None:
    """Entries of (client key, target, action) handed to the writer; the future is done once they
    are committed (None: nothing to write)."""
    if not entries:
        return None
    return GROUP_COMMIT.submit(driver, database, _rows(principal, entries, endpoint))


def _rows(principal: Principal, entries: list[tuple[str | None, str | None, str]], endpoint: str) -> list[dict]:
    at = datetime.now(timezone.utc).isoformat()
    rid = request_context.request_id()
    base = uuid.uuid4().hex  # one random draw per call, not per entry: ids stay unique by suffix
    return [{"id": f"{base}-{i}", "at": at, "subject": principal.subject, "role": principal.role.value,
             "client_key": key, "action": action, "endpoint": endpoint, "target": target, "request_id": rid}
            for i, (key, target, action) in enumerate(entries)]


class GroupCommit:
    """Audit rows of concurrent requests written in one transaction, by one writer thread: while
    it commits a batch, the next requests' rows queue up and go together in the next. A caller's
    future is done once the transaction holding its rows has committed (or holds the error if they
    could not be), and callers wait for it before they answer, so no answer leaves before its audit
    entry is durable. Under load this turns one write transaction per read into one per several.

    A commit is quick (~2.5 ms) beside the time between two requests' entries (~20 ms a worker at
    45 requests/s), so batches formed only while a commit runs held 1.2 entries on average, and
    each write transaction costs Neo4j ~2 ms of CPU, a fifth of a request's. So the writer lingers:
    while more requests are in flight than entries are waiting, it waits up to `linger_s` for
    theirs. One request at a time never waits (docs/bench-api.md "Session 32")."""

    MAX_ROWS = 2000  # one batch's UNWIND at most

    def __init__(self, linger_s: float = 0.0) -> None:
        self.linger_s = linger_s
        self._started = threading.Lock()
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked child has no writer thread

    def _reset(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def submit(self, driver: Driver, database: str, rows: list[dict]) -> Future:
        """Queues the rows; the future is done once their transaction has committed."""
        done: Future = Future()
        self._queue.put((driver, database, rows, done))
        self._start()
        return done

    def _start(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            with self._started:
                if self._writer is None or not self._writer.is_alive():
                    self._writer = threading.Thread(target=self._run, name="audit-group-commit", daemon=True)
                    self._writer.start()

    def _run(self) -> None:
        while True:
            batch = self._gather(self._queue.get())
            for target, items in _by_database(batch).items():
                try:
                    _commit(*target, items)
                except BaseException as exc:  # noqa: BLE001  no caller is left waiting, whatever failed
                    for _, done in items:
                        if not done.done():
                            done.set_exception(exc)

    def _gather(self, first: tuple) -> list[tuple]:
        """The first caller's rows and whatever queues behind them: at once, or while other
        requests in flight may still add theirs, until the linger is over."""
        batch, size = [first], len(first[2])
        deadline = time.monotonic() + self.linger_s
        while size < self.MAX_ROWS:
            wait = deadline - time.monotonic()
            try:
                if wait > 0 and request_context.in_flight() > len(batch):
                    batch.append(self._queue.get(timeout=wait))
                else:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
            size += len(batch[-1][2])
        return batch


def _by_database(batch: list[tuple]) -> dict[tuple, list[tuple[list[dict], Future]]]:
    groups: dict[tuple, list] = {}
    for driver, database, rows, done in batch:
        groups.setdefault((driver, database), []).append((rows, done))
    return groups


def record_nothing(driver: Driver, database: str) -> None:
    """The audit write with no rows (nothing is written): Neo4j plans it at start, not in the first
    audited read after a restart (api/warmup.py)."""
    write_once(driver, _RECORD, database, rows=[])


def _commit(driver: Driver, database: str, items: list[tuple[list[dict], Future]]) -> None:
    """One transaction for the batch; if it fails, each caller's rows alone, so that one caller's
    failure is not every concurrent caller's."""
    try:
        write_once(driver, _RECORD, database, rows=[r for rows, _ in items for r in rows])
    except Exception as exc:  # noqa: BLE001  handed to the caller(s)
        if len(items) == 1:
            if not items[0][1].done():
                items[0][1].set_exception(exc)
            return
        for item in items:
            _commit(driver, database, [item])
        return
    for _, done in items:
        if not done.done():  # a waiter cancelled meanwhile: its entries are committed all the same
            done.set_result(None)


GROUP_COMMIT = GroupCommit()  # the service sets its linger (Settings.api_audit_linger_ms)


def list_entries(driver: Driver, database: str, *, client_key: str | None = None, subject: str | None = None,
                 offset: int = 0, limit: int = 50) -> tuple[int, list[dict]]:
    records, _, _ = read(driver, listing(client_key, subject), database, client_key=client_key, subject=subject,
                         offset=offset, limit=limit)
    return records[0]["total"], [dict(i) for i in records[0]["items"]]


def listing(client_key: str | None, subject: str | None) -> str:
    """The listing's query for the filters given (their values go in as parameters)."""
    return _LIST.format(where=_FILTERS[(client_key is not None, subject is not None)])
