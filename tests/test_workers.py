"""The suite's own two workers (`make test`: pytest-xdist, see tests/conftest.py): each has its own
Neo4j and work dir, and a test module runs whole on one of them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BARE = {k: v for k, v in os.environ.items() if not k.startswith(("ATLAS_", "PYTEST_XDIST")) and k != "NEO4J_URI"}


def test_each_worker_has_its_own_server_and_work_dir():
    code = ("import os, sys; sys.path.insert(0, 'tests'); import conftest; print(*(os.environ[k] for k in "
            "('ATLAS_NEO4J_HOME', 'ATLAS_NEO4J_BOLT_PORT', 'ATLAS_NEO4J_HTTP_PORT', 'ATLAS_WORK_DIR')))")
    seen = [subprocess.run([sys.executable, "-c", code], env={**BARE, "PYTEST_XDIST_WORKER": worker}, cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split() for worker in ("gw0", "gw1")]
    assert seen[0] == [str(ROOT / ".neo4j-test"), "17688", "17475", str(ROOT / ".atlas-test")]
    assert all(mine != theirs for mine, theirs in zip(*seen)), seen


def test_a_module_runs_whole_on_one_worker(tmp_path):
    """Module fixtures (a private server, a browser) are set up once, and a test may build on the
    one before it: so the workers take whole modules, never single tests (with make test's options)."""
    [dist] = re.findall(r"pytest -n \S+ --dist (\w+)", (ROOT / "Makefile").read_text())
    suite = tmp_path / "tests"
    suite.mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", suite / "conftest.py")
    for module in ("test_one", "test_two"):
        (suite / f"{module}.py").write_text(
            "import os, time\n\n"
            + "".join(f"def test_{i}():\n    time.sleep(0.2)\n    with open({str(tmp_path / module)!r}, 'a') as f:\n"
                      f"        f.write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n\n" for i in range(6)))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                          "--dist", dist, "-o", "addopts=", str(suite)],
                         env={**BARE, "ATLAS_WORK_DIR": str(tmp_path / "work")}, cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    for module in ("test_one", "test_two"):
        workers = (tmp_path / module).read_text().split()
        assert len(workers) == 6 and len(set(workers)) == 1, (module, workers)


def test_two_workers_on_one_named_server_are_refused_in_one_line(tmp_path):
    """With NEO4J_URI all tests share that graph and each module wipes it: two workers would wipe
    each other's data. Refused by the pytest process itself, before a worker starts."""
    suite = tmp_path / "tests"
    suite.mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", suite / "conftest.py")
    (suite / "test_one.py").write_text("def test_one():\n    pass\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                          "-o", "addopts=", str(suite)],
                         env={**BARE, "NEO4J_URI": "neo4j://127.0.0.1:1", "ATLAS_WORK_DIR": str(tmp_path / "work")},
                         cwd=tmp_path, capture_output=True, text=True)
    out = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, out
    assert "run them in one process (pytest -n 0)" in out and "Traceback" not in out, out
