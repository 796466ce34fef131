"""`atlas-match serve --workers N`: the workers are forked from a supervisor that has imported the
service (api/serve_cli.py), so they share its imported modules instead of importing them again."""
from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
from pathlib import Path

import uvicorn._subprocess

from api.bench_api import cmdline, free_port, worker_pids
from api_fixtures import wait_until_answering

ROOT = Path(__file__).resolve().parents[1]


def test_uvicorn_still_starts_its_workers_through_the_context_we_replace():
    # if an upgrade moves it, serve would quietly spawn again: this fails instead
    assert "spawn.Process(" in inspect.getsource(uvicorn._subprocess.get_subprocess)
    assert hasattr(uvicorn._subprocess.spawn, "Process")


def test_two_workers_are_forked_from_the_supervisor_and_serve(neo4j_server, tmp_path):
    port = free_port()
    env = {**os.environ, "ATLAS_API_TOKENS_FILE": str(tmp_path / "tokens.json"), "ATLAS_API_WARM_INDEX": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "2"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/readyz", proc)
        workers = worker_pids(proc.pid)
        assert len(workers) == 2 and proc.pid not in workers
        # a forked worker runs its supervisor's command line; a spawned one multiprocessing's spawn_main
        assert all(cmdline(w) == cmdline(proc.pid) for w in workers), [cmdline(w) for w in workers]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
