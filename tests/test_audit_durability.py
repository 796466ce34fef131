"""An audited read's entry is committed before its answer is sent: the API server is killed
(SIGKILL) in the middle of a stream of client reads, and every read that was answered has its
audit entry in the graph. The server is a real uvicorn process on a free loopback port."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx

from api.access import Role
from api.auth import TokenStore
from api.bench_api import free_port
from api_fixtures import seed_world



def _serve(tmp_path, port: int) -> subprocess.Popen:
    env = {**os.environ, "ATLAS_WORK_DIR": str(tmp_path), "ATLAS_API_TOKENS_FILE": str(tmp_path / "tokens.json"),
           "ATLAS_API_SEMANTIC": "0", "ATLAS_API_WARM_INDEX": "0", "ATLAS_PSEUDONYM_SECRET": "test-secret"}
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_every_answered_read_has_its_audit_entry_after_a_kill(clean_db, settings, tmp_path):
    seed_world(clean_db, settings.neo4j_database)
    token, _ = TokenStore(tmp_path / "tokens.json").create("coach-a", Role.COACH, "coach")
    port = free_port()
    server = _serve(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the API did not start"
            time.sleep(0.2)
        answered, stop = [], threading.Event()

        def reads() -> None:
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=5) as client:
                while not stop.is_set():
                    try:
                        if client.get(f"{url}/clients/K-1").status_code == 200:
                            answered.append(1)
                    except httpx.TransportError:
                        return  # the server is gone
        workers = [threading.Thread(target=reads) for _ in range(4)]
        for w in workers:
            w.start()
        while len(answered) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)  # mid-stream: some reads are in flight
        server.wait(timeout=10)
        stop.set()
        for w in workers:
            w.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    entries = clean_db.execute_query(
        "MATCH (a:AuditEntry {client_key: 'K-1', action: 'read_profile'}) RETURN count(a) AS n",
        database_=settings.neo4j_database).records[0]["n"]
    assert len(answered) >= 20
    assert entries >= len(answered)  # never an answer without its entry (an unanswered read may have one)
