"""Shared fixtures: the real Neo4j server, started (or reused) once per test run.

With NEO4J_URI set, the tests use that server; otherwise the project's own local server is
started and, if this run started it, stopped again at the end (also after Ctrl-C: pytest runs
session finalisers on KeyboardInterrupt, and a server left behind by a killed run is reused or
replaced by the next start). A server that cannot start fails the run loudly; nothing is skipped.

The tests wipe the graph they run on, so by default they never run on the main job's: their
local server lives in `.neo4j-test` on ports 17688/17475 (1 GB heap and page cache), their work
dir is `.atlas-test` (also with NEO4J_URI), and the server's JARs are shared with `.neo4j/dist`.
Each can be set in the environment as for the main job (ATLAS_NEO4J_HOME, ATLAS_NEO4J_BOLT_PORT,
…); with NEO4J_URI the named server is used — and wiped — as it is.

`make test` runs two pytest-xdist workers, a whole test module at a time each (`--dist loadfile`).
Worker N > 0 gets a server and work dir of its own (`.neo4j-test-gwN`, ports +10·N,
`.atlas-test-gwN`): a module wipes only its own worker's graph. With NEO4J_URI there is one graph
for all, so the tests run in one process (`make test` passes `-n 0`; more workers are refused).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_SERVER = {"ATLAS_NEO4J_HOME": str(ROOT / ".neo4j-test"), "ATLAS_NEO4J_DIST": str(ROOT / ".neo4j" / "dist"),
               "ATLAS_NEO4J_BOLT_PORT": "17688", "ATLAS_NEO4J_HTTP_PORT": "17475", "ATLAS_NEO4J_HEAP": "1g",
               "ATLAS_NEO4J_PAGECACHE": "1g"}
# "gw1" under pytest-xdist; a plain run and the first worker both use the defaults above.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def pytest_configure(config: pytest.Config) -> None:
    """Refused before any worker starts, as one line: with NEO4J_URI every test shares one graph."""
    workers = getattr(config.option, "numprocesses", None)
    if "NEO4J_URI" in os.environ and workers and (not str(workers).isdigit() or int(workers) > 1):
        raise pytest.UsageError("With NEO4J_URI the tests share that one graph and wipe it: run them in one "
                                "process (pytest -n 0).")


def _for_worker(name: str, value: str) -> str:
    """The worker's own copy of a server or work-dir setting: another folder, other ports."""
    if not WORKER or name not in ("ATLAS_WORK_DIR", "ATLAS_NEO4J_HOME", "ATLAS_NEO4J_BOLT_PORT",
                                  "ATLAS_NEO4J_HTTP_PORT"):
        return value
    return str(int(value) + 10 * WORKER) if name.endswith("_PORT") else f"{value}-gw{WORKER}"


# before any Settings() is made, so also in the subprocesses the tests start. A worker inherits
# the environment of the pytest process that started it, so its own values are derived from it.
os.environ["ATLAS_WORK_DIR"] = _for_worker("ATLAS_WORK_DIR", os.environ.get("ATLAS_WORK_DIR",
                                                                            str(ROOT / ".atlas-test")))
if "NEO4J_URI" not in os.environ:
    for name, default in TEST_SERVER.items():
        os.environ[name] = _for_worker(name, os.environ.get(name, default))

from graph_schema.db import connect  # noqa: E402  (after the environment above)
from graph_schema.migrate import migrate  # noqa: E402
from graph_schema.server import LocalServer, ServerError  # noqa: E402
from graph_schema.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def neo4j_server(settings: Settings):
    if not settings.provisions_local_server:
        yield None
        return
    server = LocalServer(settings)
    try:
        result = server.start()
        if server.records_class_archive():
            # The first server on new JARs (a fresh clone) records the class archive as it serves and
            # writes it at its stop. The fault and life-cycle tests start throwaway servers on the same
            # JARs, which would each record too (~16 s a start against ~5 s mapping it): written now.
            server.stop()
            result = server.start()
    except ServerError as exc:
        pytest.exit(f"The test Neo4j server could not start: {exc}", returncode=3)
    yield server
    if not result.already_running:
        server.stop()


@pytest.fixture(scope="session")
def driver(neo4j_server, settings: Settings):
    with connect(settings) as drv:
        migrate(drv, settings.neo4j_database)
        yield drv


def wipe_data(driver, database: str) -> None:
    """Deletes every node except the schema's own bookkeeping, in batches.

    Relationships go first: a DETACH DELETE of a node with thousands of relationships (an atlas
    competency) in one batch can exceed the server's transaction memory pool.
    """
    # CALL ... IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
    with driver.session(database=database) as session:
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
        session.run("MATCH (n) WHERE NOT n:SchemaMigration "
                    "CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()


@pytest.fixture
def clean_db(driver, settings: Settings):
    wipe_data(driver, settings.neo4j_database)
    return driver
