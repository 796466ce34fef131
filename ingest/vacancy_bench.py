"""Throughput of the whole vacancy enrichment: parse, validate, normalise, extract, locate, write.

Generated postings (ingest.vacancy_generator, from the atlas in the graph) are written to a JSON
Lines file and ingested through the real path into the configured Neo4j. Their identifiers are
unique to the run, so every vacancy is new (the full write path); they are removed afterwards.
Setup (loading the occupation look-up, the skill index and the model) is reported separately:
it is paid once per process, not per vacancy.
"""
from __future__ import annotations

import os
import resource
import time
import uuid
from datetime import date
from pathlib import Path

from neo4j import Driver

from ingest.vacancy_generator import areas_from_csv, generate_postings, load_sources, write_postings
from ingest.vacancy_ingest import build_enricher, ingest_paths
from ingest.vacancy_repository import delete_run_vacancies


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


def run_bench(driver: Driver, database: str, data_dir: Path, work_dir: Path, model: str, *, count: int = 1000,
              seed: int = 1, batch_size: int = 100, extract: bool = True, semantic: bool = True,
              keep: bool = False) -> dict:
    run_id = "bench-" + uuid.uuid4().hex[:8]
    started = time.perf_counter()
    occupations = load_sources(driver, database, data_dir)
    postings = generate_postings(count, seed, occupations, areas_from_csv(data_dir), date.today())
    for posting in postings:  # unique to this run: every vacancy takes the full (create) path
        posting["identifier"]["value"] = f"{run_id}-{posting['identifier']['value']}"
    path = write_postings(postings, work_dir / "bench", run_id)
    generate_seconds = time.perf_counter() - started

    started = time.perf_counter()
    enricher = build_enricher(driver, database, data_dir, work_dir, model, extract=extract, semantic=semantic)
    if enricher.extractor is not None:
        enricher.extractor.encoder.warm_up()
    setup_seconds = time.perf_counter() - started

    started, cpu_started = time.perf_counter(), time.process_time()
    report = ingest_paths([path], driver, database, enricher, run_id=run_id, batch_size=batch_size)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if not keep:
        delete_run_vacancies(driver, database, run_id)
        path.unlink()
    extractor = enricher.extractor
    return {
        "vacancies": count, "landed": report.landed, "rejected": report.rejected,
        "needs_review": report.needs_review, "warnings": len(report.warnings),
        "seconds": round(seconds, 2), "vacancies_per_second": round(count / seconds, 1) if seconds else None,
        # On a shared machine wall time depends on the others; this process's CPU time does not
        # (the Neo4j server's own CPU time is not included).
        "process_cpu_seconds": round(cpu_seconds, 2),
        "vacancies_per_process_cpu_second": round(count / cpu_seconds, 1) if cpu_seconds else None,
        "stage_seconds": {k: round(v, 2) for k, v in sorted(report.seconds.items())},
        "setup_seconds": round(setup_seconds, 1), "generate_seconds": round(generate_seconds, 1),
        "peak_rss_mb": _peak_rss_mb(), "batch_size": batch_size, "extract": extract, "semantic_titles": semantic,
        "sentences_scored": extractor.sentences_scored if extractor else 0,
        # Sentences the verbatim mentions did not decide: the encoder's share of the work.
        "sentences_encoded": extractor.sentences_encoded if extractor else 0,
        "sentence_cache_hits": extractor.cache_hits if extractor else 0,
        "occupations_in_source": len(occupations), "seed": seed,
        "cpu_count": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
    }


def bench_command(count: int, seed: int, batch_size: int, extract: bool, as_json: bool,
                  semantic: bool = True) -> None:
    """Body of `atlas-match bench vacancies`: one JSON object on stdout."""
    import json

    import typer

    from graph_schema.db import connect
    from graph_schema.migrate import migrate
    from graph_schema.settings import settings

    s = settings()
    with connect(s) as driver:
        migrate(driver, s.neo4j_database)
        result = run_bench(driver, s.neo4j_database, s.data_dir, s.work_dir, s.embedding_model, count=count,
                           seed=seed, batch_size=batch_size, extract=extract, semantic=semantic)
    if not as_json:
        typer.echo(f"vacancy enrichment: {result['vacancies_per_second']} vacancies/s over {count} "
                   f"(model {s.embedding_model}, Neo4j {s.uri})", err=True)
    typer.echo(json.dumps(result))
