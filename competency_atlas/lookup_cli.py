"""`atlas-match search ...`: occupation and competency look-up, occupation profiles (for CTC advisors)."""
from __future__ import annotations

import json
from enum import Enum

import typer

from competency_atlas.concept_search import current_index, ranked_concepts
from competency_atlas.lookup_repository import Target, occupation_profile
from graph_schema.db import connect
from graph_schema.settings import settings

search_app = typer.Typer(help="Look-ups in the atlas: occupations and competencies by text, occupation profiles.",
                         no_args_is_help=True)


class Lang(str, Enum):
    nl = "nl"
    en = "en"


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def _search(target: Target, text: str, lang: Lang | None, top: int, as_json: bool, semantic: bool) -> None:
    s = settings()
    model = s.embedding_model if semantic else None
    code = lang.value if lang else None
    with connect(s) as driver:
        # an occupation's description counts only for a query of known language (its weights)
        index = current_index(driver, s.neo4j_database, target, s.work_dir, model, descriptions=(code,) if code else ())
        if index is None:
            raise _fail(f"No {target} labels in the graph at {s.uri}: build the atlas first (`atlas-match atlas build`).")
        try:
            rows = ranked_concepts(driver, s.neo4j_database, index, text, code, top, model)
        except ValueError as exc:
            raise _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row['rank']:>3}  {row['score']:.3f}  {row['label']}  [{row['uri']}]  (matched: {row['matched']})")


@search_app.command("occupation")
def occupation(title: str = typer.Argument(..., help="A job title, Dutch or English."),
               lang: Lang | None = typer.Option(None, "--lang", help="Language of the title (weights and labels)."),
               top: int = typer.Option(10, "--top", min=1, max=100),
               as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
               semantic: bool = typer.Option(True, "--semantic/--lexical-only",
                                             help="Fuse sentence-embedding similarity (default) or lexical only.")) -> None:
    """Rank ESCO occupations for a job title (lexical + semantic, fused)."""
    _search("Occupation", title, lang, top, as_json, semantic)


@search_app.command("competency")
def competency(text: str = typer.Argument(..., help="A competency, skill or knowledge phrase."),
               lang: Lang | None = typer.Option(None, "--lang"),
               top: int = typer.Option(10, "--top", min=1, max=100),
               as_json: bool = typer.Option(False, "--json"),
               semantic: bool = typer.Option(True, "--semantic/--lexical-only")) -> None:
    """Rank atlas competencies (ESCO skills/knowledge, O*NET descriptors) for a phrase."""
    _search("Competency", text, lang, top, as_json, semantic)


@search_app.command("profile")
def profile(uri: str = typer.Argument(..., help="The occupation's ESCO URI."),
            lang: Lang = typer.Option(Lang.nl, "--lang", help="Language of the labels."),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """An occupation's requirements: essential/optional, O*NET importance (1-5) and level (0-7)."""
    s = settings()
    with connect(s) as driver:
        found = occupation_profile(driver, s.neo4j_database, uri)
    if found is None:
        raise _fail(f"No occupation with uri {uri!r} in the atlas (search one with `atlas-match search occupation`).")
    code = lang.value
    requirements = [{"uri": r.uri, "label": r.label(code), "kind": r.kind, "relation": r.relation,
                     "importance": r.importance, "level": r.level, "required_level": r.required_level,
                     "weight": r.weight, "sources": r.sources} for r in found.requirements]
    if as_json:
        typer.echo(json.dumps({"uri": found.uri, "label": found.label(code), "requirements": requirements},
                              ensure_ascii=False))
        return
    typer.echo(f"{found.label(code)}  [{found.uri}]  {len(requirements)} requirements")
    for r in requirements:
        detail = ", ".join(f"{k} {r[k]:g}" for k in ("importance", "level") if r[k] is not None)
        typer.echo(f"  {r['relation'] or '-':<9}  {r['label']}" + (f"  ({detail})" if detail else ""))
