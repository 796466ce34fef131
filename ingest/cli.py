"""`atlas-match ingest ...`: bringing outside data in (vacancies; measurements join this group).

Each command's body lives in its own module; this file only registers them.
"""
from __future__ import annotations

import typer

from ingest.measurement_cli import measurements_command
from ingest.vacancy_cli import vacancies_command

ingest_app = typer.Typer(help="Ingest vacancies (and measurements): valid records land, invalid ones are reported.",
                         no_args_is_help=True)
ingest_app.command("vacancies")(vacancies_command)
ingest_app.command("measurements")(measurements_command)
