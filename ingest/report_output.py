"""How the ingest commands show a report: one JSON object, or lines for a person; exit 0 or 2."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from ingest.report import IngestReport

MAX_WARNINGS_SHOWN = 50


def emit_report(report: IngestReport, rejects_dir: Path, as_json: bool) -> None:
    """Writes the rejects files, prints the report and exits with the report's status."""
    written = report.write_rejects(rejects_dir)
    warnings = getattr(report, "warnings", [])
    if as_json:
        typer.echo(json.dumps({**report.summary(), "problems": [p.as_dict() for p in report.problems],
                               "warnings": [p.as_dict() for p in warnings],
                               "rejects_files": [str(p) for p in written]}, ensure_ascii=False))
    else:
        typer.echo(", ".join(f"{k} {v}" for k, v in report.summary().items() if k != "kind"))
        for problem in report.problems:
            typer.secho(f"rejected: {problem}", fg=typer.colors.RED)
        for warning in warnings[:MAX_WARNINGS_SHOWN]:
            typer.echo(f"warning: {warning}")
        if len(warnings) > MAX_WARNINGS_SHOWN:
            typer.echo(f"... and {len(warnings) - MAX_WARNINGS_SHOWN} more warnings")
        for path in written:
            typer.echo(f"written: {path}")
    raise typer.Exit(code=report.exit_code)
