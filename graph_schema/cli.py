"""`atlas-match neo4j ...` and `atlas-match db ...`: the local server and the schema."""
from __future__ import annotations

import json

import typer

from graph_schema.db import connect
from graph_schema.migrate import MigrationError, current_version, migrate
from graph_schema.server import LocalServer, ServerError, Status
from graph_schema.settings import settings

neo4j_app = typer.Typer(help="The local Neo4j server the project provisions (skipped when NEO4J_URI is set).",
                        no_args_is_help=True)
db_app = typer.Typer(help="Schema migrations.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def _local_server() -> LocalServer:
    try:
        return LocalServer(settings())
    except ServerError as exc:
        raise _fail(str(exc))


@neo4j_app.command("start")
def start() -> None:
    """Start the server in the background; returns once a Cypher query succeeds."""
    server = _local_server()
    try:
        result = server.start()
    except ServerError as exc:
        raise _fail(str(exc))
    if result.already_running:
        typer.echo(f"Neo4j already running at {settings().uri} (nothing to do)")
    else:
        how = "downloaded and started" if result.downloaded else "started"
        typer.echo(f"Neo4j {settings().neo4j_version} {how} at {settings().uri} in {result.seconds:.1f} s")


@neo4j_app.command("stop")
def stop() -> None:
    """Shut the server down gracefully and wait for it."""
    if _local_server().stop():
        typer.echo("Neo4j stopped")
    else:
        typer.echo("Neo4j was not running")


@neo4j_app.command("status")
def status() -> None:
    """running / stopped / unhealthy (exit code 0 / 3 / 4)."""
    state = _local_server().status()
    typer.echo(state.value)
    raise typer.Exit(code={Status.RUNNING: 0, Status.STOPPED: 3, Status.UNHEALTHY: 4}[state])


@db_app.command("migrate")
def migrate_command() -> None:
    """Apply pending schema migrations (a second run is a no-op)."""
    s = settings()
    try:
        with connect(s) as driver:
            applied = migrate(driver, s.neo4j_database)
            version = current_version(driver, s.neo4j_database)
    except MigrationError as exc:
        raise _fail(str(exc))
    if applied:
        for m in applied:
            typer.echo(f"applied {m.version:04d}_{m.name} ({len(m.statements)} statements)")
    else:
        typer.echo("schema up to date")
    typer.echo(json.dumps({"schema_version": version}))
