"""Shared fixtures: the real Neo4j server, started (or reused) once per test run.

With NEO4J_URI set, the tests use that server; otherwise the project's own local server is
started and, if this run started it, stopped again at the end (also after Ctrl-C: pytest runs
session finalisers on KeyboardInterrupt, and a server left behind by a killed run is reused or
replaced by the next start). A server that cannot start fails the run loudly; nothing is skipped.
"""
from __future__ import annotations

import pytest

from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.server import LocalServer, ServerError
from graph_schema.settings import Settings


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
