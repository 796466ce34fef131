"""An audited read's entry is committed before its answer is sent: the API server is killed
(SIGKILL) in the middle of a stream of client reads, and every read that was answered has its
audit entry in the graph. The server is a real uvicorn process on a free loopback port. The
stream mixes a read audited after it is built (the profile) with one whose entry is sent first
and waited for at the end (the client's vacancies, api/audit.recording_reads)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from api.access import Role
from api.auth import TokenStore
from api.bench_api import free_port
from api_fixtures import seed_world, wait_until_answering



def _serve(tmp_path, port: int) -> subprocess.Popen:
    env = {**os.environ, "ATLAS_WORK_DIR": str(tmp_path), "ATLAS_API_TOKENS_FILE": str(tmp_path / "tokens.json"),
           "ATLAS_API_SEMANTIC": "0", "ATLAS_API_WARM_INDEX": "0", "ATLAS_PSEUDONYM_SECRET": "test-secret"}
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "api.serving:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_every_answered_read_has_its_audit_entry_after_a_kill(clean_db, settings, tmp_path):
    seed_world(clean_db, settings.neo4j_database)
    token, _ = TokenStore(tmp_path / "tokens.json").create("coach-a", Role.COACH, "coach")
    port = free_port()
    server = _serve(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/healthz", server)
        answered, stop = {"read_profile": [], "match_vacancies": []}, threading.Event()

        def reads(path: str, action: str) -> None:
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                while not stop.is_set():
                    try:
                        if client.get(f"{url}{path}").status_code == 200:
                            answered[action].append(1)
                    except httpx.TransportError:
                        return  # the server is gone
        workers = [threading.Thread(target=reads, args=("/clients/K-1", "read_profile")) for _ in range(2)]
        workers += [threading.Thread(target=reads, args=("/clients/K-1/vacancies", "match_vacancies"))
                    for _ in range(2)]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 60
        while min(map(len, answered.values())) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        # served as `atlas-match serve` serves: the Neo4j driver answers without pandas (api/serving.py)
        assert not [line for line in open(f"/proc/{server.pid}/maps") if "/pandas/" in line]
        server.send_signal(signal.SIGKILL)  # mid-stream: some reads are in flight
        server.wait(timeout=10)
        stop.set()
        for w in workers:
            w.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    entries = dict(clean_db.execute_query(
        "MATCH (a:AuditEntry {client_key: 'K-1'}) RETURN a.action AS action, count(a) AS n",
        database_=settings.neo4j_database).records)
    for action, done in answered.items():
        assert len(done) >= 20, action
        assert entries.get(action, 0) >= len(done), action  # never an answer without its entry


class _SlowFirstWrite:
    """The real driver; its first audit write waits, so that the writes of the threads behind it
    queue up for the next batch; with `refuse`, every write holding that client's row is refused."""

    def __init__(self, driver, refuse: str | None = None):
        self.driver, self.refuse, self.batches, self.first = driver, refuse, [], threading.Event()

    def __getattr__(self, name):  # the bookmark manager, anything else the writer asks for
        return getattr(self.driver, name)

    def session(self, **config):
        return _SlowSession(self, self.driver.session(**config))

    def before_write(self, rows: list[dict]) -> None:
        self.batches.append(len(rows))
        if len(self.batches) == 1:
            self.first.set()
            time.sleep(0.3)
        if any(r["client_key"] == self.refuse for r in rows):
            raise RuntimeError("audit write refused")


class _SlowSession:
    def __init__(self, owner: _SlowFirstWrite, session):
        self.owner, self.session = owner, session

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.session.close()

    def run(self, query, parameters):
        self.owner.before_write(parameters["rows"])
        return self.session.run(query, parameters)


def _entries(driver, database: str, subject: str) -> int:
    return driver.execute_query("MATCH (a:AuditEntry {subject: $s}) RETURN count(a) AS n", s=subject,
                                database_=database).records[0]["n"]


def test_concurrent_requests_share_audit_transactions_and_each_returns_after_its_commit(clean_db, settings):
    from api import audit
    from api.access import Principal

    slow, db = _SlowFirstWrite(clean_db), settings.neo4j_database
    seen_after_return, errors = [], []

    def request(i: int) -> None:
        try:
            who = Principal(f"coach-{i}", Role.COACH)
            audit.record_reads(slow, db, who, [f"K-{i}-{j}" for j in range(5)], "client_profile", "/clients/x")
            seen_after_return.append(_entries(clean_db, db, who.subject))  # committed before the call returned
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    first = threading.Thread(target=request, args=(0,))
    first.start()
    slow.first.wait(5)
    others = [threading.Thread(target=request, args=(i,)) for i in range(1, 16)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(30)
    assert not errors and seen_after_return == [5] * 16
    assert sum(slow.batches) == 80 and len(slow.batches) < 16  # the 15 behind the first went together


def test_a_refused_audit_row_fails_only_its_caller_and_the_writer_goes_on(clean_db, settings):
    from api import audit
    from api.access import Principal

    slow, db = _SlowFirstWrite(clean_db, refuse="K-3"), settings.neo4j_database
    outcome = {}

    def request(i: int) -> None:
        try:
            audit.record_reads(slow, db, Principal(f"coach-{i}", Role.COACH), [f"K-{i}"], "client_profile", "/x")
            outcome[i] = "written"
        except RuntimeError:
            outcome[i] = "refused"

    def run(ids) -> list[threading.Thread]:
        threads = [threading.Thread(target=request, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        return threads

    first = run([0])
    slow.first.wait(5)
    for t in first + run(range(1, 6)):  # queued behind the first: one batch, refused for K-3's row
        t.join(10)
    for t in run([6]):
        t.join(10)
    assert slow.batches[:2] == [1, 5] and sorted(slow.batches[2:7]) == [1] * 5 and slow.batches[7:] == [1]
    assert outcome == {**{i: "written" for i in range(7)}, 3: "refused"}
    assert [_entries(clean_db, db, f"coach-{i}") for i in range(7)] == [1, 1, 1, 0, 1, 1, 1]


def test_entries_recorded_while_the_answer_is_built_are_committed_before_the_block_is_left(clean_db, settings):
    from api import audit
    from api.access import Principal

    slow, db = _SlowFirstWrite(clean_db), settings.neo4j_database
    who = Principal("coach-overlap", Role.COACH)
    with audit.recording_reads(slow, db, who, ["K-1", "K-2"], "candidate_list", "/vacancies/x/candidates"):
        assert slow.first.wait(5)  # the writer took the rows while the answer was still being built
        assert _entries(clean_db, db, who.subject) == 0  # not committed yet: the writer is slow
    assert _entries(clean_db, db, who.subject) == 2  # committed by the time the block is left


def test_an_answer_whose_entries_could_not_be_committed_never_leaves(clean_db, settings):
    from api import audit
    from api.access import Principal

    refusing, db = _SlowFirstWrite(clean_db, refuse="K-9"), settings.neo4j_database
    built = []
    with pytest.raises(RuntimeError, match="refused"):  # the block is not left normally: no answer
        with audit.recording_reads(refusing, db, Principal("coach-x", Role.COACH), ["K-9"], "what_if", "/x"):
            built.append("answer")
    assert built == ["answer"] and _entries(clean_db, db, "coach-x") == 0


def test_a_block_that_fails_still_leaves_only_after_its_entries_are_written(clean_db, settings):
    # A refused what-if (unknown competency) raised out of the block while the writer was still
    # committing; the app then closed the driver under it (a BufferError at a test's teardown).
    from api import audit
    from api.access import Principal

    slow, db = _SlowFirstWrite(clean_db), settings.neo4j_database
    with pytest.raises(LookupError):
        with audit.recording_reads(slow, db, Principal("coach-fails", Role.COACH), ["K-1"], "what_if", "/x"):
            raise LookupError("unknown competency")
    assert _entries(clean_db, db, "coach-fails") == 1  # written before the error left the block
