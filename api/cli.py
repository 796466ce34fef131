"""`atlas-match`: the one command-line entry point. Each package contributes its own group."""
from __future__ import annotations

import typer

from api.demo_cli import demo_app
from api.serve_cli import desks_app, serve_app, tokens_app
from competency_atlas.cli import atlas_app
from competency_atlas.instruments_cli import instruments_app
from competency_atlas.lookup_cli import search_app
from graph_schema.cli import db_app, neo4j_app
from ingest.cli import ingest_app
from ingest.client_cli import client_app
from matcher.bench_cli import bench_app
from matcher.cli import match_app

app = typer.Typer(help="Competency atlas matcher: clients, occupations and vacancies in one competency language.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(db_app, name="db")
app.add_typer(search_app, name="search")
app.add_typer(bench_app, name="bench")
app.add_typer(match_app, name="match")
app.add_typer(demo_app, name="demo")
app.add_typer(instruments_app, name="instruments")
app.add_typer(ingest_app, name="ingest")
app.add_typer(client_app, name="client")
app.add_typer(atlas_app, name="atlas")
app.add_typer(serve_app, name="serve")
app.add_typer(tokens_app, name="tokens")
app.add_typer(desks_app, name="desks")


def main() -> None:
    from neo4j.exceptions import AuthError, ServiceUnavailable

    from graph_schema.settings import settings

    try:
        app()
    except ServiceUnavailable as exc:  # a plain message, not a driver trace: what is down and what to do
        typer.echo(f"Neo4j is not reachable at {settings().uri} ({exc}). Start it with `atlas-match neo4j start` "
                   "(or `make demo`), or set NEO4J_URI to a running server.", err=True)
        raise SystemExit(3) from None
    except AuthError as exc:
        typer.echo(f"Neo4j refused the credentials for {settings().uri}: {exc.message}", err=True)
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
