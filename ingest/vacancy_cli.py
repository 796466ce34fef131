"""`atlas-match ingest vacancies PATH...`: the command body (registered in ingest/cli.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.settings import settings
from ingest.report_output import emit_report
from ingest import batch_sizes


def vacancies_command(
        paths: list[Path] = typer.Argument(..., help="JobPosting JSON-LD (.json/.jsonld), JSON Lines (.jsonl) or CSV files, or folders of them."),
        rejects_dir: Path | None = typer.Option(None, "--rejects-dir",
                                                help="Where rejected records are written (default: <work dir>/rejects)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
        batch_size: int = typer.Option(batch_sizes.VACANCIES, "--batch-size", min=1, help="Vacancies per transaction."),
        extract: bool = typer.Option(True, "--extract/--no-extract", help="Extract requirements from the texts."),
) -> None:
    """Ingest vacancies: valid ones land (upsert by identifier), invalid ones are reported; exit 2 if any was rejected."""
    from ingest.vacancy_ingest import build_enricher, ingest_paths  # loaded here: see ingest/batch_sizes.py

    s = settings()
    with connect(s) as driver:
        migrate(driver, s.neo4j_database)
        enricher = build_enricher(driver, s.neo4j_database, s.data_dir, s.work_dir, s.embedding_model, extract=extract)
        report = ingest_paths(paths, driver, s.neo4j_database, enricher, batch_size=batch_size,
                              progress=not as_json and sys.stderr.isatty())
    emit_report(report, rejects_dir or s.work_dir / "rejects", as_json)
