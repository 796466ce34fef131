"""`atlas-match instruments ...`: list, validate and load the instrument profiles."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from graph_schema.db import connect
from graph_schema.settings import settings

instruments_app = typer.Typer(help="Instrument profiles (CTC, ABC, WCM, ...): the YAML contract files.",
                              no_args_is_help=True)

# the profiles' module (pydantic, ~0.1 s) loads in these commands, not in every `atlas-match` command
_FOLDER = typer.Argument(None, help="Folder with *.yaml profiles (default: the profiles shipped with the project).")
_NO_DATA = typer.Option(False, "--no-data", help="Skip the check of competency URIs against the reference data.")


def _load(folder: Optional[Path], check_uris: bool):
    from competency_atlas.instrument_profiles import ProfileValidationError, known_competency_uris, load_profiles

    known = known_competency_uris(settings().data_dir) if check_uris else None
    try:
        return load_profiles(folder, known_competencies=known)
    except ProfileValidationError as exc:
        for issue in exc.issues:
            typer.secho(str(issue), err=True, fg=typer.colors.RED)
        typer.secho(f"{len(exc.issues)} problem(s); nothing loaded.", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)


@instruments_app.command("list")
def list_(folder: Optional[Path] = _FOLDER, as_json: bool = typer.Option(False, "--json")) -> None:
    """The instruments, their versions and sizes."""
    rows = [{"id": p.id, "version": p.version, "name_en": p.name.en, "name_nl": p.name.nl, "scales": len(p.scales),
             "mappings": sum(len(s.maps_to) for s in p.scales), "blocks": len(p.blocks), "gates": len(p.gates),
             "reference_mapping": p.reference_mapping}
            for p in _load(folder, check_uris=False).values()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        ref = "  (reference mapping)" if r["reference_mapping"] else ""
        typer.echo(f"{r['id']:<18} v{r['version']:<8} {r['scales']:>3} scales {r['mappings']:>4} mappings "
                   f"{r['gates']:>2} gates  {r['name_en']}{ref}")


@instruments_app.command("validate")
def validate(folder: Optional[Path] = _FOLDER, no_data: bool = _NO_DATA) -> None:
    """Validates every profile; exit status 1 with one line per problem (file: yaml.path: reason)."""
    profiles = _load(folder, check_uris=not no_data)
    typer.echo(json.dumps({"valid": True, "instruments": sorted(profiles),
                           "uris_checked": not no_data}))


@instruments_app.command("load")
def load(folder: Optional[Path] = _FOLDER, no_data: bool = _NO_DATA) -> None:
    """Writes instruments, scales and MAPS_TO edges to Neo4j. Competencies must already be in the
    graph (`atlas-match atlas build`); missing ones are listed and make the exit status 2."""
    from competency_atlas.instrument_repository import write_instruments

    profiles = _load(folder, check_uris=not no_data)
    s = settings()
    started = time.perf_counter()
    with connect(s) as driver:
        summary = write_instruments(driver, profiles, s.neo4j_database)
    result = summary.as_dict() | {"seconds": round(time.perf_counter() - started, 3)}
    typer.echo(json.dumps(result, ensure_ascii=False))
    if summary.missing:
        typer.secho(f"{len(summary.missing)} mapping(s) point at competencies not in the graph: "
                    "build the atlas first (`atlas-match atlas build`).", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(code=2)
