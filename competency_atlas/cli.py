"""`atlas-match atlas build|stats`: load the competency atlas into Neo4j and report on it."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from competency_atlas.atlas_repository import AtlasRepository
from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.settings import settings

atlas_app = typer.Typer(help="The competency atlas: ESCO + O*NET occupations, competencies and requirements.",
                        no_args_is_help=True)


@atlas_app.command("build")
def build(
    data_dir: Path = typer.Option(None, help="Reference data folder (default: ATLAS_DATA_DIR / settings)."),
    embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings",
                                    help="Also write Label.embedding (cached under ATLAS_WORK_DIR)."),
    similar_k: int = typer.Option(10, min=1, help="SIMILAR_TO neighbours per occupation."),
    as_json: bool = typer.Option(False, "--json", help="Print the closing summary as one JSON object."),
) -> None:
    """Build (or rebuild) the full atlas; idempotent, replaces an atlas built from other sources."""
    from competency_atlas.build import build_atlas  # here: pandas only for the commands that read sources
    from competency_atlas.sources import SourceError

    cfg = settings()
    try:
        with connect(cfg) as driver:
            migrate(driver, cfg.neo4j_database)
            result = build_atlas(driver, data_dir or cfg.data_dir, database=cfg.neo4j_database,
                                 embeddings=embeddings, similar_k=similar_k, show_progress=not as_json)
    except SourceError as exc:
        typer.secho(f"atlas build failed: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2)
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(f"atlas {summary['atlas_version']} built in {summary['seconds']} s, "
               f"peak memory {summary['peak_memory_mb']} MB")
    for key in ("occupations", "occupations_with_dutch_label", "competencies", "esco_competencies",
                "onet_competencies", "skill_groups", "requirements", "esco_requirements", "onet_requirements",
                "similar_to", "crosswalk", "labels", "labels_with_embedding", "texts_encoded"):
        typer.echo(f"  {key:32} {summary.get(key)}")
    missing = result.report.get("occupations_without_dutch_label", [])
    typer.echo(f"  occupations without a Dutch label ({len(missing)}): "
               + "; ".join(m["label_en"] for m in missing))
    if summary["removed_from_previous_release"]:
        typer.echo(f"  removed from the previous release: {summary['removed_from_previous_release']}")


@atlas_app.command("tune-model")
def tune_model(
    output: Path = typer.Option(None, "--out", help="Model folder to write (default: <ATLAS_WORK_DIR>/models/atlas-tuned)."),
    steps: int = typer.Option(500, min=1, help="Training batches."),
    batch_size: int = typer.Option(32, min=2, help="Pairs per batch (the others in a batch are the negatives)."),
    seed: int = typer.Option(0),
    data_dir: Path = typer.Option(None, help="Reference data folder (default: ATLAS_DATA_DIR / settings)."),
) -> None:
    """Fine-tune the configured encoder on ESCO's own synonyms (see competency_atlas/tuning.py)."""
    from competency_atlas.embeddings import ModelNotFound
    from competency_atlas.sources import SourceError
    from competency_atlas.tuning import esco_pairs, require_training_extra, tune

    cfg = settings()
    output = output or cfg.work_dir / "models" / "atlas-tuned"
    try:
        require_training_extra()  # before reading ESCO: one line if the [train] extra is missing
        pairs = esco_pairs(data_dir or cfg.data_dir)
        report = tune(cfg.embedding_model, pairs, output, steps=steps, batch_size=batch_size, seed=seed,
                      progress=True)
    except (SourceError, ModelNotFound) as exc:
        typer.secho(f"tune-model failed: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2)
    typer.echo(json.dumps(report.__dict__))
    typer.echo(f"use it with ATLAS_EMBEDDING_MODEL={output}", err=True)


@atlas_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="One JSON object.")) -> None:
    """Counts of what the graph holds now (occupations, competencies, requirements, ...)."""
    cfg = settings()
    with connect(cfg) as driver:
        numbers = AtlasRepository(driver, cfg.neo4j_database).stats()
    if as_json:
        typer.echo(json.dumps(numbers, ensure_ascii=False))
    else:
        for key, value in numbers.items():
            typer.echo(f"{key:34} {value}")
