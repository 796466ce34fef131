"""`atlas-match bench ...`: public benchmarks, each printing one JSON object.

Every benchmark command lives in this group; add yours as another `@bench_app.command`.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer

bench_app = typer.Typer(help="Public benchmarks (MELO, skill extraction): one JSON object per run.",
                        no_args_is_help=True)


@bench_app.command("melo")
def melo(dataset_dir: Path = typer.Argument(..., exists=True, file_okay=False,
                                            help="A MELO dataset folder (queries.tsv, corpus_elements.tsv, annotations.tsv)."),
         as_json: bool = typer.Option(False, "--json", help="Print only the JSON object."),
         lang: str | None = typer.Option(None, "--lang", help="Query language; default from the folder name (…_q_nl_c_nl)."),
         semantic: bool = typer.Option(True, "--semantic/--lexical-only",
                                       help="Fuse sentence-embedding similarity (default) or lexical only.")) -> None:
    """Job title -> ESCO occupation (MELO protocol): MRR, MAP, A@1/5/10 over the top 100."""
    from competency_atlas.bench_melo import DatasetError, run_configured
    from competency_atlas.sources import SourceError
    from graph_schema.settings import settings

    s = settings()
    try:
        result = run_configured(dataset_dir, lang, semantic=semantic)
    except (DatasetError, SourceError) as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)
    if not as_json:
        typer.echo(f"MELO {dataset_dir.name} (model {s.embedding_model if semantic else 'none: lexical only'})", err=True)
    typer.echo(json.dumps(result))


@bench_app.command("skills")
def skills(annotations: Path = typer.Argument(..., exists=True, dir_okay=False,
                                             help="Annotations CSV (sentence, span, sub_span, label), e.g. tech_test_annotations.csv."),
           labels: Path = typer.Option(..., "--labels", exists=True, dir_okay=False,
                                       help="The label space: one skill label per line (skills_en_label.txt)."),
           ranker: str = typer.Option("full", "--ranker",
                                      help="full: every label by the fused score; ingest: the vacancy ingest's ranking."),
           as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """Vacancy sentence -> ESCO skills (TECH/HOUSE protocol): MRR and RP@1/5/10 over the whole label space."""
    from matcher.bench_skills import RANKERS, run_command

    if ranker not in RANKERS:
        raise typer.BadParameter(f"expected one of {', '.join(RANKERS)}", param_hint="--ranker")
    run_command(annotations, labels, as_json, ranker)


@bench_app.command("vacancies")
def vacancies(count: int = typer.Option(1000, "--count", min=1, help="Generated vacancies to ingest."),
              seed: int = typer.Option(1, "--seed"),
              batch_size: int = typer.Option(100, "--batch-size", min=1, help="Vacancies per transaction."),
              extract: bool = typer.Option(True, "--extract/--no-extract", help="Include requirement extraction."),
              as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """Vacancy enrichment throughput (parse, normalise, extract, locate, write): vacancies/s and peak memory."""
    from ingest.vacancy_bench import bench_command

    bench_command(count, seed, batch_size, extract, as_json)


@bench_app.command("measurements")
def measurements(clients: int = typer.Option(100_000, "--clients", min=1, help="Synthetic clients to generate and ingest."),
                 seed: int = typer.Option(1, "--seed", help="Population seed."),
                 batch_size: int = typer.Option(2000, "--batch-size", min=1, help="Measurements per transaction."),
                 fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv (the long CSV format)."),
                 cleanup: bool = typer.Option(True, "--cleanup/--keep", help="Erase the bench clients afterwards."),
                 as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """Measurement ingest throughput: a generated population through the real ingest path (scores/s, elapsed, peak RSS)."""
    import sys

    from graph_schema.db import connect
    from graph_schema.migrate import migrate
    from graph_schema.server import LocalServer
    from graph_schema.settings import settings
    from ingest.measurement_bench import run

    s = settings()
    server_cpu = LocalServer(s).cpu_seconds if s.provisions_local_server else None
    with connect(s) as driver:
        migrate(driver, s.neo4j_database)
        result = run(driver, s.neo4j_database, s.data_dir, s.work_dir, clients=clients, seed=seed, batch_size=batch_size,
                     fmt=fmt, cleanup=cleanup, progress=not as_json and sys.stderr.isatty(), server_cpu=server_cpu)
    typer.echo(json.dumps(result))


@bench_app.command("match")
def match(clients: int = typer.Option(100_000, "--clients", min=100),
          vacancies: int = typer.Option(20_000, "--vacancies", min=10),
          queries: int = typer.Option(200, "--queries", min=10, help="Timed queries per kind."),
          cypher_queries: int = typer.Option(10, "--cypher-queries", min=1, help="Timed Cypher baseline queries."),
          quality_sample: int = typer.Option(500, "--quality-sample", min=0,
                                             help="Also run the quality benchmark on this many clients (0: skip)."),
          seed: int = typer.Option(7, "--seed"),
          keep: bool = typer.Option(False, "--keep", help="Leave the generated data in the graph."),
          reuse: bool = typer.Option(False, "--reuse", help="Reuse a population of the same size kept by --keep."),
          in_memory: bool = typer.Option(False, "--in-memory",
                                         help="Build the index from the generated arrays, skipping the graph "
                                              "writes and the Cypher baseline (for sizes whose writes do not fit)."),
          as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """Match latency (index vs Cypher vs NumPy floor) and, on the same data, ranking quality."""
    from graph_schema.db import connect
    from graph_schema.settings import settings
    from matcher.bench_match import clear_bench_data, prepare, run_quality, run_speed

    s = settings()
    with connect(s) as driver:
        data = prepare(driver, s.neo4j_database, s.data_dir, clients, vacancies, seed, reuse, in_memory)
        result = run_speed(driver, s.neo4j_database, data, queries, cypher_queries, seed)
        if quality_sample:
            result["quality"] = run_quality(driver, s.neo4j_database, data, quality_sample, seed)
        if not keep:
            clear_bench_data(driver, s.neo4j_database)
    if not as_json:
        typer.echo(f"bench match: {clients} clients, {vacancies} vacancies", err=True)
    typer.echo(json.dumps(result))


@bench_app.command("fit")
def fit(sample: int = typer.Option(0, "--sample", min=0, help="Occupations to sample (0: every occupation)."),
        clients: int = typer.Option(200, "--clients", min=0,
                                    help="Also the top-10 vacancy fits of this many stored clients (0: skip)."),
        seed: int = typer.Option(7, "--seed"),
        as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """Reach of the fit on the built atlas: ideal clients per occupation, CTC top vs ABC midpoint, reach per
    source; and on the stored clients (the demo) the spread of their top-10 fits and the Dutch label share."""
    import random

    from graph_schema.db import connect
    from graph_schema.settings import settings
    from matcher.bench_fit import caseload_figures, run
    from matcher.service import MatchService

    s = settings()
    with connect(s) as driver:
        service = MatchService(driver, s.neo4j_database)
        result = run(driver, s.neo4j_database, sample or None, seed, index=service.index)
        if clients:
            keys = [k for k, gated in zip(service.index.clients.keys, service.index.clients.excluded) if not gated]
            chosen = sorted(random.Random(seed).sample(keys, min(clients, len(keys))))
            result["caseload"] = caseload_figures(service, chosen)
    if not as_json:
        typer.echo("bench fit: synthetic clients through the ingest's profile code, scored as the index ranks", err=True)
    typer.echo(json.dumps(result))


@bench_app.command("related")
def related(tier: str = typer.Option("Primary-Short", "--tier",
                                     help="O*NET relatedness tier: Primary-Short, Primary-Long or Supplemental."),
            matches: str = typer.Option("exactMatch,closeMatch", "--matches",
                                        help="Crosswalk match types that map O*NET to ESCO (comma-separated)."),
            as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """SIMILAR_TO against O*NET's own Related Occupations (through the crosswalk): recall@10 and MRR,
    beside a plain Jaccard-over-ESCO-skills neighbour list on the same occupations."""
    from graph_schema.db import connect
    from graph_schema.settings import settings
    from matcher.bench_related import run
    from matcher.bench_validation import TIERS

    if tier not in TIERS:
        raise typer.BadParameter(f"expected one of {', '.join(TIERS)}", param_hint="--tier")
    chosen = tuple(m.strip() for m in matches.split(",") if m.strip())
    s = settings()
    with connect(s) as driver:
        result = run(driver, s.neo4j_database, s.data_dir, tier, chosen)
    if not as_json:
        typer.echo(f"bench related: SIMILAR_TO vs O*NET Related Occupations ({tier}, {'+'.join(chosen)})", err=True)
    typer.echo(json.dumps(result))


@bench_app.command("titles")
def titles(dataset_dir: Path = typer.Option(None, "--dataset", exists=True, file_okay=False,
                                            help="A MELO folder; default $ATLAS_BENCHMARKS_DIR/melo/bel_q_nl_c_nl."),
           resolver: str = typer.Option("ingest", "--resolver",
                                        help="ingest: the ingest's own title resolver (the figure); lookup / "
                                             "lookup-lexical: the top hit of `search occupation --lang nl`, "
                                             "for comparison only."),
           as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """A client whose only evidence is a Dutch job title (five years, until a year ago): recall@10 and
    MRR of the gold ESCO occupation in the occupations ranking, and how often the title resolved."""
    from graph_schema.db import connect
    from graph_schema.settings import settings
    from matcher.bench_titles import INGEST_RESOLVER, RESOLVERS, lookup_resolver, run

    if resolver not in RESOLVERS:
        raise typer.BadParameter(f"expected one of {', '.join(RESOLVERS)}", param_hint="--resolver")
    s = settings()
    folder = dataset_dir or s.benchmarks_dir / "melo" / "bel_q_nl_c_nl"
    with connect(s) as driver:
        resolve, name = None, INGEST_RESOLVER
        if resolver != "ingest":
            model = s.embedding_model if resolver == "lookup" else None
            resolve = lookup_resolver(driver, s.neo4j_database, model, s.work_dir)
            name = f"search occupation --lang nl, top hit ({'fused, ' + model if model else 'lexical only'}); " \
                   "NOT the ingest's resolver"
        result = run(driver, s.neo4j_database, folder, s.work_dir, resolver=resolve, resolver_name=name)
    if not as_json:
        typer.echo(f"bench titles: {folder.name} titles as five-year work histories, resolver {resolver}", err=True)
    typer.echo(json.dumps(result))


@bench_app.command("api")
def api(clients: int = typer.Option(100_000, "--clients", min=100, help="Generated clients (prefix bench-)."),
        vacancies: int = typer.Option(20_000, "--vacancies", min=10, help="Generated vacancies."),
        concurrency: int = typer.Option(16, "--concurrency", min=1, help="Concurrent coaches (threads)."),
        workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
        seconds: float = typer.Option(60.0, "--seconds", min=1.0, help="Length of the timed load."),
        warmup: float = typer.Option(30.0, "--warmup", min=0.0,
                                     help="Seconds of the same load before the timed part, not counted "
                                          "(Neo4j's JIT compiler and the service's caches warm up)."),
        max_requests: int = typer.Option(200_000, "--max-requests", min=1, help="Stop the load after this many."),
        caseload: int = typer.Option(0, "--caseload", min=0,
                                     help="Clients per bench coach (0: every bench client on one coach)."),
        seed: int = typer.Option(7, "--seed", help="Population seed (the same as `bench match`'s)."),
        keep: bool = typer.Option(False, "--keep", help="Leave the population (and what the load wrote) in the graph."),
        warm_timeout: float = typer.Option(900.0, "--warm-timeout", help="Seconds to wait for the index to warm."),
        visible_timeout: float = typer.Option(10.0, "--visible-timeout",
                                              help="Seconds a write may take to show in a ranking."),
        as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """The service over HTTP on loopback under a coach's in-session load: per endpoint and per page
    p50/p95/p99, throughput, errors, write-to-visible, RSS per worker (api/bench_api.py)."""
    from api.bench_api import command

    command(clients, vacancies, concurrency, workers, seconds, max_requests, caseload or None, seed, keep,
            warm_timeout, visible_timeout, as_json, warmup_s=warmup)


@bench_app.command("soak")
def soak(minutes: float = typer.Option(10.0, "--minutes", min=0.5, help="Length of the load."),
         clients: int = typer.Option(100_000, "--clients", min=100, help="Generated clients (prefix bench-)."),
         vacancies: int = typer.Option(20_000, "--vacancies", min=10, help="Generated vacancies."),
         concurrency: int = typer.Option(4, "--concurrency", min=1, help="Concurrent coaches (threads)."),
         workers: int = typer.Option(1, "--workers", min=1, help="uvicorn worker processes."),
         caseload: int = typer.Option(100, "--caseload", min=0, help="Clients per bench coach (0: all on one)."),
         keep: bool = typer.Option(False, "--keep", help="Leave the population in the graph."),
         as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """`bench api`'s in-session load for a long time: requests, errors, p95 per endpoint, and the RSS of the
    API and of Neo4j sampled through the run (growth after warm-up: goal <= 10 %)."""
    from api.bench_api import command

    command(clients, vacancies, concurrency, workers, minutes * 60, 10**9, caseload or None, 7, keep, 900.0, 10.0,
            as_json, soak=True)


@bench_app.command("fuzz")
def fuzz(requests: int = typer.Option(10_000, "--requests", min=1, help="At least this many generated requests."),
         seed: int = typer.Option(1, "--seed", help="Hypothesis seed (the same seed, graph and code: the same run)."),
         as_json: bool = typer.Option(False, "--json", help="Print only the JSON object.")) -> None:
    """schemathesis over the whole OpenAPI, in-process against the configured Neo4j (api/bench_fuzz.py): no
    5xx, every error problem+json, one token per role and none in turn. WRITES fuzzed data: a scratch graph."""
    from api.bench_fuzz import bench

    out = bench(requests, seed)
    if not as_json:
        typer.echo(f"bench fuzz: {out['requests']} requests over {out['operations']} operations, "
                   f"{out['failures']['count']} failure(s)", err=True)
    typer.echo(json.dumps(out))
    if out["failures"]["count"]:
        raise typer.Exit(code=1)
