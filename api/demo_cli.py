"""`atlas-match demo ...`: demo data through the real load paths."""
from __future__ import annotations

import typer

from graph_schema.cli import start as start_local_server
from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.settings import settings
from matcher.cli import vacancy as match_vacancy
from matcher.slice_loader import load_slice

demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)


@demo_app.command("slice")
def slice_command() -> None:
    """Load the hand-written foundation slice (examples/slice/slice.json)."""
    s = settings()
    with connect(s) as driver:
        migrate(driver, s.neo4j_database)
        counts = load_slice(driver, s.neo4j_database)
    typer.echo(f"slice loaded: {counts}")


@demo_app.command("run")
def run() -> None:
    """The main job on the local default: Neo4j up, schema migrated, demo loaded, a match shown."""
    if settings().provisions_local_server:
        start_local_server()
    slice_command()
    match_vacancy("V-0001", top=10, as_json=False)
