"""`atlas-match match ...`: ranked, explained matches."""
from __future__ import annotations

import json

import typer

from graph_schema.db import connect
from graph_schema.settings import settings
from matcher.candidates import Candidate, NotFound, candidates_for_vacancy

match_app = typer.Typer(help="Ranked, explained matches.", no_args_is_help=True)


def candidate_as_dict(c: Candidate) -> dict:
    return {
        "rank": c.rank, "client": c.client, "score": round(c.match.score, 4),
        "score_range": [round(c.match.score, 4), round(c.match.upper, 4)],
        "coverage": round(c.match.coverage, 4),
        "requirements": [
            {"competency": r.requirement.competency, "label": r.requirement.label,
             "essential": r.requirement.essential, "status": r.status.value,
             "contribution": round(r.contribution, 4),
             "evidence": None if r.evidence is None else {
                 "level": round(r.evidence.level, 3), "source": r.evidence.source,
                 "measured_at": r.evidence.measured_at.isoformat() if r.evidence.measured_at else None}}
            for r in c.match.results],
    }


def _print_candidate(c: Candidate) -> None:
    m = c.match
    typer.echo(f"{c.rank:>3}. {c.client}  score {m.score:.2f} (range {m.score:.2f}-{m.upper:.2f}), "
               f"coverage {m.coverage:.0%}")
    for r in m.results:
        kind = "essential" if r.requirement.essential else "optional "
        where = "no measurement" if r.evidence is None else (
            f"level {r.evidence.level:.2f} vs {r.requirement.required_level:.2f}, {r.evidence.source}"
            + (f" {r.evidence.measured_at.isoformat()}" if r.evidence.measured_at else ""))
        typer.echo(f"       {r.status.value:<10} {kind} {r.requirement.label:<28} {where}")


@match_app.command("vacancy")
def vacancy(vacancy_id: str, top: int = typer.Option(50, min=1), as_json: bool = typer.Option(False, "--json")) -> None:
    """Top candidates for a vacancy, with met / partly met / missing / unknown per competency."""
    s = settings()
    with connect(s) as driver:
        try:
            title, candidates = candidates_for_vacancy(driver, s.neo4j_database, vacancy_id, top)
        except NotFound as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
            raise typer.Exit(code=1)
    if as_json:
        typer.echo(json.dumps({"vacancy": vacancy_id, "title": title,
                               "candidates": [candidate_as_dict(c) for c in candidates]}, indent=2))
        return
    typer.echo(f"Candidates for {vacancy_id} ({title}):")
    for c in candidates:
        _print_candidate(c)
