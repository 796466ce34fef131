"""The main job on the local default: what `make demo` runs.

Neo4j up (provisioned unless NEO4J_URI is set), schema migrated, the full atlas built from the
reference data, the instrument profiles loaded, a generated client population and generated
vacancies ingested through the real ingest paths, a token per role with a caseload, and the API
served. Every step is idempotent: a second run reuses what is there.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from neo4j import Driver, RoutingControl

from api import desk_repository
from api.access import Role
from api.auth import TokenStore, tokens_file
from api.client_repository import assign
from graph_schema.migrate import migrate
from graph_schema.settings import Settings

DEMO_COACH, DEMO_ADVISOR, DEMO_DESK, DEMO_ADMIN = "coach-demo", "ctc-demo", "desk-demo", "admin-demo"
DEMO_DESK_REGIONS = 3
DEMO_NAMES = {Role.COACH: "coach", Role.CTC_ADVISOR: "ctc-adviseur", Role.EMPLOYER_DESK: "werkgeversservicepunt",
              Role.ADMIN: "beheerder"}


@dataclass(frozen=True)
class DemoSize:
    clients: int = 500
    vacancies: int = 300
    seed: int = 1


def _step(name: str, fn):
    began = time.perf_counter()
    print(f"- {name} ...", flush=True)
    result = fn()
    print(f"  done in {time.perf_counter() - began:.1f} s", flush=True)
    return result


def load_demo(driver: Driver, s: Settings, size: DemoSize) -> dict[str, str]:
    """Loads everything; returns a fresh token per role."""
    from competency_atlas.build import build_atlas, is_current
    from competency_atlas.instrument_profiles import load_profiles
    from competency_atlas.instrument_repository import write_instruments
    from ingest.vacancy_generator import areas_from_csv, generate_postings, load_sources, write_postings
    from ingest.vacancy_ingest import build_enricher, ingest_paths as ingest_vacancies
    from api.services.desks import described, give_regions, named
    from ingest.measurement_ingest import rederive
    from matcher.freshness import bump_generation
    from matcher.service import MatchService

    db = s.neo4j_database
    demo_dir = s.work_dir / "demo"
    _step("schema migrations", lambda: migrate(driver, db))
    if not is_current(driver, s.data_dir, db):
        _step("atlas build (ESCO + O*NET, a few minutes)",
              lambda: build_atlas(driver, s.data_dir, database=db, embeddings=False, show_progress=False))
    _step("instrument profiles", lambda: write_instruments(driver, load_profiles(), db))
    counts = load_population(driver, s, size)
    postings = generate_postings(size.vacancies, size.seed, load_sources(driver, db, s.data_dir),
                                 areas_from_csv(s.data_dir), date.today())
    path = write_postings(postings, demo_dir / "vacancies", f"vacancies-{size.seed}")
    enricher = _step("load the vacancy enrichment (skill extraction model)", lambda: build_enricher(
        driver, db, s.data_dir, s.work_dir, s.embedding_model))
    report = _step(f"ingest {size.vacancies} vacancies", lambda: ingest_vacancies([path], driver, db, enricher))
    print(f"  {report.summary()}")
    # the demo's own clients (the generator's key prefix), not a benchmark population beside them
    keys = [r["key"] for r in driver.execute_query(
        "MATCH (c:Client) WHERE c.key STARTS WITH $prefix RETURN c.key AS key ORDER BY key", prefix=DEMO_KEY_PREFIX,
        routing_=RoutingControl.READ, database_=db).records]
    for i, key in enumerate(keys):
        assign(driver, db, key, "coach", DEMO_COACH)
        if i % 3 == 0:
            assign(driver, db, key, "ctc_advisor", DEMO_ADVISOR)
    # the demo's desk works for the three regions with the most vacancies (api/access.py), unless
    # it was given others since
    regions = desk_repository.regions(driver, db, DEMO_DESK)
    if not regions:
        regions = desk_repository.busiest_regions(driver, db, DEMO_DESK_REGIONS)
        give_regions(driver, db, s.data_dir, DEMO_DESK, regions, "demo")
    print(f"  {DEMO_DESK} works for the vacancies of {described(named(regions, s.data_dir))}")
    _step("derive every profile with the current rules", lambda: rederive(driver, db))
    with driver.session(database=db) as session:
        session.execute_write(bump_generation)
    print(f"  {counts.get('clients', len(keys))} clients assigned to {DEMO_COACH}; every third referred to {DEMO_ADVISOR}")
    # compiled and saved now, so that the service maps it at start and the first page answers at once
    _step("compile the match index", lambda: MatchService(driver, db, cache_dir=s.work_dir / "index").refresh())
    return demo_tokens(s)


def load_population(driver: Driver, s: Settings, size: DemoSize) -> dict:
    """Generated clients written as export files and ingested like a real export (postcodes
    located, job titles resolved); returns the generator's counts."""
    from ingest.measurement_ingest import client_context, ingest_paths
    from ingest.population import generate

    db = s.neo4j_database
    population = s.work_dir / "demo" / "population"
    reference = pinned_reference(s.work_dir / "demo" / "reference-date", legacy=population.exists())
    counts = _step(f"generate {size.clients} clients", lambda: generate(
        size.clients, size.seed, population, data_dir=s.data_dir, reference=reference, key_prefix=DEMO_KEY_PREFIX))
    report = _step("ingest measurements", lambda: ingest_paths(
        sorted((population / "measurements").glob("*")), driver, db, context=client_context(driver, db, s.data_dir, s.work_dir)))
    print(f"  {report.summary()}")
    return counts


DEMO_KEY_PREFIX = "P"  # ingest/population.generate's default


class DemoError(RuntimeError):
    """A demo set-up problem the user can fix (the message says how)."""


LEGACY_REFERENCE = date(2025, 6, 30)  # the generator's default, used by demos made before the pin


def pinned_reference(path: Path, legacy: bool) -> date:
    """The demo population's "today": the day of the first run, kept in `path`, so measurements
    are as recent as a live caseload's (confidence decays with age) and later runs regenerate
    the same files (nothing lands twice). A demo made before the pin keeps the old date."""
    if path.exists():
        text = path.read_text().strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise DemoError(f"{path}: {text!r} is not a date (YYYY-MM-DD); correct it, or delete the file "
                            f"to date the demo from today") from None
    reference = LEGACY_REFERENCE if legacy else date.today()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(reference.isoformat() + "\n")
    return reference


def demo_tokens(s: Settings) -> dict[str, str]:
    store = TokenStore(tokens_file(s))
    wanted = {Role.COACH: DEMO_COACH, Role.CTC_ADVISOR: DEMO_ADVISOR, Role.EMPLOYER_DESK: DEMO_DESK,
              Role.ADMIN: DEMO_ADMIN}
    # the name is what the pages' header says: "Aangemeld als demo-werkgeversservicepunt"
    return {role.value: store.create(subject, role, f"demo-{DEMO_NAMES[role]}", created_by="demo")[0]
            for role, subject in wanted.items()}


def print_welcome(s: Settings, tokens: dict[str, str]) -> None:
    url = f"http://{s.api_host}:{s.api_port}"
    print(f"\nThe pages: open {url}/ and sign in (aanmelden) with a token below; "
          f"the coach's caseload is at {url}/klanten")
    print(f"The JSON API is at {url}  (OpenAPI: {url}/docs)")
    for role, token in tokens.items():
        print(f"  {role:<14} {token}")
    print(f"Try: curl -H 'Authorization: Bearer {tokens['coach']}' {url}/clients\n")

