"""`atlas-match match ...`: ranked, explained matches, gaps and what-ifs."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from graph_schema.db import connect
from graph_schema.settings import settings
from matcher.presenters import fit_text, gap_as_dict, match_as_dict, print_match, what_if_as_dict
from matcher.scoring import Constraints, DistancePolicy

if TYPE_CHECKING:  # the service (the index, numba: ~0.2 s) loads in the commands that rank, not
    from matcher.service import MatchService  # in every `atlas-match` command

match_app = typer.Typer(help="Ranked, explained matches, gaps and what-ifs.", no_args_is_help=True)

TOP = typer.Option(50, "--top", min=1, help="how many results")
JSON = typer.Option(False, "--json", help="print JSON")
LANG = typer.Option("nl", "--lang", help="label language: nl (default) or en")
RADIUS = typer.Option(None, "--radius-km", help="default: the client's own travel radius, else 25")


def _service(driver) -> MatchService:
    from matcher.service import MatchService
    from matcher.traits import competency_traits
    s = settings()
    return MatchService(driver, s.neo4j_database, traits=competency_traits(), cache_dir=s.work_dir / "index")


def _run(fn):
    from matcher.service import NotFound

    with connect(settings()) as driver:
        try:
            return fn(_service(driver))
        except NotFound as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
            raise typer.Exit(code=1)


def _emit(payload: dict, matches, as_json: bool, heading: str) -> None:
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    typer.echo(heading)
    for m in matches:
        print_match(m)


@match_app.command("vacancy")
def vacancy(vacancy_id: str, top: int = TOP,
            radius_km: float | None = typer.Option(None, "--radius-km", help="default: each client's own travel "
                                                                               "radius, else 25"),
            filter_distance: bool = typer.Option(False, "--filter-distance", help="drop clients beyond the radius"),
            filter_hours: bool = typer.Option(False, "--filter-hours"),
            filter_education: bool = typer.Option(False, "--filter-education"),
            lang: str = LANG, as_json: bool = JSON) -> None:
    """Top candidates for a vacancy, with met / partly met / missing / unknown per requirement."""
    constraints = Constraints(DistancePolicy(radius_km=radius_km, hard=filter_distance), filter_hours, filter_education)
    matches = _run(lambda s: s.candidates(vacancy_id, top, constraints, lang))
    _emit({"vacancy": vacancy_id, "candidates": [match_as_dict(m) for m in matches]}, matches, as_json,
          f"Candidates for {vacancy_id}:")


@match_app.command("client")
def client(client_key: str, top: int = TOP,
           radius_km: float | None = typer.Option(None, "--radius-km", help="default: the client's travel radius, else 25"),
           lang: str = LANG, as_json: bool = JSON) -> None:
    """Top open vacancies within the radius of the client's postcode."""
    matches = _run(lambda s: s.vacancies(client_key, top, radius_km, lang=lang))
    shown = f"{radius_km:g} km" if radius_km else "the client's travel radius"
    _emit({"client": client_key, "radius_km": radius_km, "vacancies": [match_as_dict(m) for m in matches]},
          matches, as_json, f"Vacancies within {shown} for {client_key}:")


@match_app.command("occupations")
def occupations(client_key: str, top: int = typer.Option(20, "--top", min=1), lang: str = LANG,
                as_json: bool = JSON) -> None:
    """Top occupations for a client, including other sectors (SIMILAR_TO), with what the client lacks."""
    matches = _run(lambda s: s.occupations(client_key, top, lang))
    _emit({"client": client_key, "occupations": [match_as_dict(m) for m in matches]}, matches, as_json,
          f"Occupations for {client_key}:")


@match_app.command("gap")
def gap(client_key: str, target: str = typer.Argument(..., help="a vacancy id or an occupation URI"),
        radius_km: float | None = RADIUS, lang: str = LANG, as_json: bool = JSON,
        ranks: bool = typer.Option(False, "--ranks", help="also the client's place on the target's list once "
                                                          "each is reached (scores every client once)")) -> None:
    """Competencies to develop for a target, ranked by what they raise and unlock."""
    kind = _target_kind(target)
    items = _run(lambda s: s.gap(client_key, kind, target, radius_km, lang, ranks))
    if as_json:
        typer.echo(json.dumps({"client": client_key, "target": target, "gap": [gap_as_dict(g) for g in items]},
                              indent=2, ensure_ascii=False))
        return
    typer.echo(f"To develop for {target}:")
    for g in items:
        typer.echo(f"  {'essential' if g.requirement.essential else 'optional '} {g.requirement.label:<40} "
                   f"{g.status.value:<10} +{g.gain:.2f} fit, unlocks {g.unlocks} vacancies ({g.trait})"
                   + (f", rank {g.rank_now} -> {g.rank_after}" if g.rank_now is not None else ""))


def _fit(parts: dict) -> str:
    return fit_text(parts["fit"], parts["fit_low"], parts["fit_high"], parts["measured"], "en",
                    parts["coverage"] - parts["measured"])


@match_app.command("what-if")
def what_if(client_key: str, competency: str, level: float = typer.Argument(..., min=0.0, max=1.0),
            target: str = typer.Argument(..., help="a vacancy id or an occupation URI"),
            radius_km: float | None = RADIUS, lang: str = LANG, as_json: bool = JSON) -> None:
    """Raising a competency to a level: fit and rank for the target before/after, vacancies opened nearby."""
    kind = _target_kind(target)
    w = _run(lambda s: s.what_if(client_key, [(competency, level)], kind, target, radius_km, lang))
    if as_json:
        typer.echo(json.dumps(what_if_as_dict(w), indent=2, ensure_ascii=False))
        return
    shown = what_if_as_dict(w)  # the fits a ranked row shows (for a vacancy: distance, hours, education taken off)
    b, a = shown["before"], shown["after"]
    typer.echo(f"Raising {competency} to {level:.2f} moves {client_key} from rank {w.rank_before} to rank "
               f"{w.rank_after} for {target} (fit {_fit(b)} -> {_fit(a)}) and opens "
               f"{w.opens} more vacancies within {w.radius_km:g} km.")


def _target_kind(target: str) -> str:
    return "occupation" if target.startswith(("http://", "https://", "slice:")) else "vacancy"
