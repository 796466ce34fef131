"""`atlas-match demo ...`: demo data through the real load paths."""
from __future__ import annotations

from pathlib import Path

import typer

from graph_schema.cli import start as start_local_server
from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.settings import settings
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
def run(clients: int = typer.Option(500, "--clients", min=1, help="Generated clients."),
        vacancies: int = typer.Option(300, "--vacancies", min=1, help="Generated vacancies."),
        seed: int = typer.Option(1, "--seed"),
        serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API when loaded.")) -> None:
    """The main job on the local default: Neo4j, atlas, demo population and vacancies, then the API."""
    import uvicorn

    from api.app import create_app
    from api.demo import DemoError, DemoSize, load_demo, print_welcome

    s = settings()
    if s.provisions_local_server:
        start_local_server()
    with connect(s) as driver:
        try:
            tokens = load_demo(driver, s, DemoSize(clients, vacancies, seed))
        except DemoError as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
            raise typer.Exit(code=1)
    print_welcome(s, tokens)
    if serve:
        uvicorn.run(create_app(s), host=s.api_host, port=s.api_port, log_level="warning")


@demo_app.command("vacancies")
def vacancies_command(count: int = typer.Option(200, "--count", min=1, help="How many vacancies."),
                      seed: int = typer.Option(1, "--seed", help="Same seed (and date) → same vacancies."),
                      out: Path = typer.Option(Path("out/vacancies"), "--out", help="Folder to write to."),
                      fmt: str = typer.Option("jsonl", "--format", help="jsonl (JSON Lines) or json (a JSON-LD list)."),
                      ingest: bool = typer.Option(False, "--ingest", help="Also ingest them (atlas-match ingest vacancies).")) -> None:
    """Generate realistic JobPosting JSON-LD (Dutch and English) from the atlas, with real Dutch postcodes."""
    from datetime import date

    from ingest.vacancy_generator import areas_from_csv, generate_postings, load_sources, write_postings

    s = settings()
    with connect(s) as driver:
        occupations = load_sources(driver, s.neo4j_database, s.data_dir)
    postings = generate_postings(count, seed, occupations, areas_from_csv(s.data_dir), date.today())
    path = write_postings(postings, out, f"vacancies-{seed}", "json" if fmt == "json" else "jsonl")
    typer.echo(f"{count} vacancies written to {path}")
    if ingest:
        from ingest.vacancy_cli import vacancies_command as ingest_vacancies

        ingest_vacancies([path], rejects_dir=None, as_json=False, batch_size=100, extract=True)


@demo_app.command("population")
def population_command(clients: int = typer.Option(1000, "--clients", min=1, help="Number of synthetic clients."),
                       seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same files."),
                       out: Path = typer.Option(Path("population"), "--out", help="Output folder."),
                       fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv (the long CSV format)."),
                       key_prefix: str = typer.Option("P", "--key-prefix", help="Client keys: <prefix><number>.")) -> None:
    """Write a synthetic client population as measurement export files (+ truth.csv), ready for `ingest measurements`."""
    import json as _json

    from ingest.population import generate

    counts = generate(clients, seed, out, fmt=fmt, key_prefix=key_prefix)
    typer.echo(_json.dumps({k: v for k, v in counts.items() if k != "files"} | {"folder": str(out / "measurements")}))
