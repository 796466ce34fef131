"""`atlas-match ingest measurements PATH...`: the command body (registered in ingest/cli.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.settings import settings
from ingest.report_output import emit_report
from ingest import batch_sizes


def measurements_command(
        paths: list[Path] = typer.Argument(..., help="Measurement files (.json, .jsonl/.ndjson, long .csv) or folders of them."),
        rejects_dir: Path | None = typer.Option(None, "--rejects-dir",
                                                help="Where rejected records are written (default: <work dir>/rejects)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
        batch_size: int = typer.Option(batch_sizes.MEASUREMENTS, "--batch-size", min=1, help="Measurements per transaction."),
) -> None:
    """Ingest client measurements (CTC, ABC, WCM, ...): valid ones land, invalid ones are reported; exit 2 if any was rejected."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        typer.secho(f"not found: {', '.join(missing)}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)
    from ingest.measurement_ingest import client_context, ingest_paths  # loaded here: see ingest/batch_sizes.py

    s = settings()
    with connect(s) as driver:
        migrate(driver, s.neo4j_database)
        context = client_context(driver, s.neo4j_database, s.data_dir, s.work_dir)
        report = ingest_paths(paths, driver, s.neo4j_database, context=context, batch_size=batch_size,
                              progress=not as_json and sys.stderr.isatty())
    emit_report(report, rejects_dir or s.work_dir / "rejects", as_json)
