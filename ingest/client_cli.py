"""`atlas-match client ...`: per-client operations. `client erase KEY` removes every trace of a client."""
from __future__ import annotations

import json

import typer

from graph_schema.db import connect
from graph_schema.settings import settings
from ingest.measurement_repository import erase_client

client_app = typer.Typer(help="Client operations (erasure, re-derivation).", no_args_is_help=True)


@client_app.command("rederive")
def rederive_all() -> None:
    """Derive every client's profile again from the stored measurements (after a rule or mapping changed)."""
    from ingest.measurement_ingest import rederive

    s = settings()
    with connect(s) as driver:
        typer.echo(f"{rederive(driver, s.neo4j_database)} client profiles derived again")


@client_app.command("erase")
def erase(key: str = typer.Argument(..., help="The client's pseudonymous key."),
          as_json: bool = typer.Option(False, "--json", help="Print what was removed as one JSON object.")) -> None:
    """Remove a client with identity, measurements, profile and decisions; audit entries are kept without the key."""
    s = settings()
    with connect(s) as driver:
        counts = erase_client(driver, s.neo4j_database, key)
    if as_json:
        typer.echo(json.dumps({"key_erased": bool(counts["clients"] or counts["measurements"]), **counts}))
    else:
        typer.echo(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    if not any(counts.values()):
        typer.secho(f"no client {key!r} in the graph", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(code=1)
