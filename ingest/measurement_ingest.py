"""The measurement ingest: read → validate → de-duplicate → batch → write (one transaction per
batch) → report. Used by `atlas-match ingest measurements` and by the API.

Idempotent: a measurement's id is a hash of its content (client, instrument, version, date,
scores, blocks), so re-ingesting the same input finds every id already stored and reports it as
unchanged; nothing is written. A correction (same client, instrument and date, other scores)
hashes differently and lands as a NEW measurement next to the old one; raw scores are never
overwritten. Consecutive records of the same client stay in one batch so that the client's
profile is derived once per batch.
"""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from neo4j import Driver
from tqdm import tqdm

from competency_atlas.instrument_profiles import InstrumentProfile, load_profiles
from ingest import batch_sizes
from ingest.measurement_models import MeasurementRecord, ValidMeasurement
from ingest.measurement_readers import FileProblem, expand_paths, read_file
from ingest.measurement_repository import (Hook, finish_run, load_occupation_labels, load_occupation_requirements,
                                           rederive_profiles, start_run, write_batch)
from ingest.measurement_validation import Deduplicator, education_block, validate
from ingest.report import IngestReport, Problem, Rejection, Why
from ingest.profile_builder import ProfileBuilder


@dataclass
class MeasurementIngestReport(IngestReport):
    scores: int = 0  # scale scores in the measurements that landed
    warnings: list[Problem] = field(default_factory=list)

    def summary(self) -> dict:
        return {**super().summary(), "scores": self.scores, "warnings": len(self.warnings)}


# ---------------------------------------------------------------- rows for the graph

def measurement_row(v: ValidMeasurement, run_id: str, work_history: list[dict]) -> dict:
    plain = [s for s in v.scores if not s.sensitive]
    sensitive_scores = {s.scale_id: {"raw": s.raw, "level": s.level} for s in v.scores if s.sensitive}
    sensitive = {}
    if sensitive_scores:
        sensitive["scores"] = sensitive_scores
    if v.sensitive_blocks:
        sensitive["blocks"] = v.sensitive_blocks
    return {
        "id": v.id, "client_key": v.client_key, "instrument": v.instrument,
        "instrument_version": v.instrument_version, "measured_at": v.measured_at,
        "administered_by": v.administered_by, "external_id": v.external_id, "source_file": v.source,
        "source_location": v.location, "ingest_run": run_id,
        "scale_ids": [s.scale_id for s in plain], "raw_scores": [s.raw for s in plain],
        "levels": [s.level for s in plain],
        "blocks_json": json.dumps(v.blocks, ensure_ascii=False, sort_keys=True),
        "sensitive_json": json.dumps(sensitive, ensure_ascii=False, sort_keys=True),
        "gates_json": json.dumps([g.__dict__ for g in v.gates], ensure_ascii=False),
        "gate_block_given": v.gate_block_given,
        "work_history_json": json.dumps(work_history, ensure_ascii=False),
        "certificates": list(v.certificates),
    }


# ---------------------------------------------------------------- client attributes

@dataclass
class ClientContext:
    """Postcodes → location, job titles → occupations; both optional (None: left as given)."""
    locate: Callable[[str], tuple[dict, Why | None]] | None = None   # pc4 → (attrs, warning)
    titles: Callable[[str], str | None] | None = None                # title → occupation uri


def postcode_locator(data_dir: Path) -> Callable[[str], tuple[dict, Why | None]]:
    from ingest.geo import by_postcode, load_geography

    geo = load_geography(data_dir)

    def locate(pc4: str) -> tuple[dict, Why | None]:
        found = by_postcode(geo, pc4)
        if found is None:
            return {}, Why(f"postcode {pc4} is not in the postcode table: location left unknown",
                           f"postcode {pc4} staat niet in de postcodetabel: locatie onbekend gelaten")
        place = found.place
        attrs = {"municipality_code": place.municipality_code, "region_code": place.region_code,
                 "lat": place.latitude, "lon": place.longitude}
        return attrs, (found.warnings[0] if found.warnings else None)
    return locate


# Lexical look-up score (0-1) from which a title is taken as that occupation: spelling, spacing and
# word-order variants of a label score 0.71-0.76 here, unrelated titles below 0.4.
TITLE_MATCH_FLOOR = 0.7


def title_resolver(driver: Driver, database: str, work_dir: Path) -> Callable[[str], str | None]:
    """A job title as an occupation, loaded on first use: an exact (case- and space-insensitive)
    match on one occupation's labels; else the best hit of the look-up's lexical half (character
    n-grams and fuzzy ratio over every Dutch and English label: the index `atlas-match search`
    keeps per atlas release, competency_atlas/concept_search.py) when it scores at least
    TITLE_MATCH_FLOOR — "kok in een restaurant", "heftruckchauffeur", typos. An exact label several
    occupations share goes to the one whose preferred label it is. Otherwise the title stays
    unresolved (kept as text, with a warning), never guessed."""
    from competency_atlas.concept_search import current_index
    from competency_atlas.lookup import search

    table: dict[str, set[str]] | None = None
    preferred: dict[str, set[str]] = defaultdict(set)
    index = None

    def resolve(title: str) -> str | None:
        nonlocal table, index
        if table is None:
            table = defaultdict(set)
            for uri, main, other in load_occupation_labels(driver, database):
                for label in main + other:
                    table[" ".join(label.split()).casefold()].add(uri)
                for label in main:
                    preferred[" ".join(label.split()).casefold()].add(uri)
        text = " ".join(title.split()).casefold()
        hits = table.get(text, set())
        if hits:
            chosen = hits if len(hits) == 1 else hits & preferred.get(text, set())
            return next(iter(chosen)) if len(chosen) == 1 else None
        if not title.strip():
            return None
        if index is None:
            index = current_index(driver, database, "Occupation", work_dir, None) or False
        if not index:
            return None
        found = search(index, title, None, 1)
        return found[0].concept_id if found and found[0].score >= TITLE_MATCH_FLOOR else None
    return resolve


def client_context(driver: Driver, database: str, data_dir: Path, work_dir: Path) -> ClientContext:
    """The context every real ingest uses (CLI, API, demo): postcodes located with the Dutch
    geography (`data_dir`), job titles resolved on the atlas' occupation labels (the look-up index
    kept in `work_dir`)."""
    return ClientContext(postcode_locator(data_dir), title_resolver(driver, database, work_dir))


CLIENT_ATTRIBUTES = ("postcode", "hours_available", "education_level", "client_profile")


def _client_rows(batch: list[ValidMeasurement], context: ClientContext,
                 warnings: list[Problem]) -> tuple[list[dict], list[dict]]:
    """Client attributes and identities: each from the newest measurement that gives it."""
    clients: dict[str, dict] = {}
    identities: dict[str, dict] = {}
    for v in sorted(batch, key=lambda v: v.measured_at):  # stable: the later of equal dates wins
        row = clients.setdefault(v.client_key, {"key": v.client_key, "attrs": {}, "as_of": None,
                                                "lat": None, "lon": None, "relocated": False})
        given = {k: getattr(v, k) for k in CLIENT_ATTRIBUTES if getattr(v, k) is not None}
        if given:
            if v.postcode and context.locate is not None:
                place, warning = context.locate(v.postcode)
                if warning:
                    warnings.append(Problem(v.source, v.location, "postcode", warning))
                # A new postcode replaces the whole place: one the table does not know leaves the
                # old municipality, region and location unknown, not standing (None removes them)
                place = {"municipality_code": None, "region_code": None, **place}
                row["lat"], row["lon"], row["relocated"] = place.pop("lat", None), place.pop("lon", None), True
                given.update(place)
            row["attrs"].update(given)
            row["as_of"] = v.measured_at
        if v.identity:  # in date order: the newest in the batch wins here, in the graph if not older
            identities[v.client_key] = {"key": v.client_key, "props": v.identity, "as_of": v.measured_at}
    return list(clients.values()), list(identities.values())


def _work_rows(v: ValidMeasurement, context: ClientContext, warnings: list[Problem]) -> list[dict]:
    out = []
    for job in v.work_history:
        occupation = job.occupation
        if occupation is None and job.title and context.titles is not None:
            occupation = context.titles(job.title)
            if occupation is None:
                warnings.append(Problem(v.source, v.location, "work_history", Why(
                    f"job title {job.title!r} matches no single occupation: kept as text, no skills inferred",
                    f"functie {job.title!r} hoort niet bij precies één beroep: als tekst bewaard, "
                    f"geen vaardigheden afgeleid")))
        out.append({"occupation": occupation, "title": job.title, "years": job.years, "until": job.until.isoformat()})
    return out


# ---------------------------------------------------------------- the run

def read_all(paths: list[Path]) -> Iterator[MeasurementRecord | FileProblem]:
    for path in expand_paths(paths):
        yield from read_file(path)


def _batches(items: Iterable[ValidMeasurement], size: int) -> Iterator[list[ValidMeasurement]]:
    """Chunks of about `size`, never splitting consecutive records of one client."""
    chunk: list[ValidMeasurement] = []
    for item in items:
        if len(chunk) >= size and chunk[-1].client_key != item.client_key:
            yield chunk
            chunk = []
        chunk.append(item)
    if chunk:
        yield chunk


def ingest_records(items: Iterable[MeasurementRecord | FileProblem], driver: Driver, database: str, *,
                   profiles: dict[str, InstrumentProfile] | None = None, context: ClientContext | None = None,
                   run_id: str | None = None, batch_size: int = batch_sizes.MEASUREMENTS, today: date | None = None,
                   progress: bool = False, hook: Hook | None = None,
                   sources: list[str] | None = None) -> MeasurementIngestReport:
    profiles = profiles if profiles is not None else load_profiles()
    context = context or ClientContext()
    today = today or date.today()
    report = MeasurementIngestReport(kind="measurements", run_id=run_id or uuid.uuid4().hex[:12])
    education = education_block(profiles)
    builder = ProfileBuilder(profiles, lambda uris: load_occupation_requirements(driver, database, uris))
    dedupe = Deduplicator()
    seen_sources: set[str] = set(sources or [])
    bar = tqdm(unit=" measurements", disable=not progress, desc="measurements")
    start_run(driver, database, report.run_id, "measurements", sorted(seen_sources))

    def valid_stream() -> Iterator[ValidMeasurement]:
        for item in items:
            if isinstance(item, FileProblem):
                seen_sources.add(item.problem.source)
                report.rejections.append(Rejection((item.problem,), item.rejected, item.fmt))
                continue
            seen_sources.add(item.source)
            result = dedupe.check(validate(item, profiles, today, education))
            if result.measurement is None:
                report.rejections.append(Rejection(result.problems, item.raw, item.fmt))
                bar.update(1)
                continue
            yield result.measurement

    def prepare(batch: list[ValidMeasurement]) -> tuple:
        clients, identities = _client_rows(batch, context, report.warnings)
        rows = [measurement_row(v, report.run_id, _work_rows(v, context, report.warnings)) for v in batch]
        return rows, clients, identities, builder.derive_clients(rows)

    def landed(batch: list[ValidMeasurement], outcome) -> None:
        ids = set(outcome.landed)
        report.landed += len(outcome.landed)
        report.unchanged += len(outcome.unchanged)
        report.scores += sum(len(v.scores) for v in batch if v.id in ids)
        bar.update(len(batch))

    # Pipelined: while one batch's transaction runs on the writer thread, the next batch is read,
    # validated and its profiles precomputed here. Batches still commit one after the other.
    status = "failed"
    pending = None
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="measurement-writer") as writer:
            for batch in _batches(valid_stream(), batch_size):
                rows, clients, identities, precomputed = prepare(batch)
                if pending is not None:
                    landed(pending[0], pending[1].result())
                pending = (batch, writer.submit(write_batch, driver, database, rows, clients, identities,
                                                builder.derive, hook, precomputed))
            if pending is not None:
                landed(pending[0], pending[1].result())
        status = "finished"
    finally:
        bar.close()
        try:
            finish_run(driver, database, report.run_id, status, report.landed, report.unchanged, report.rejected,
                       sorted(seen_sources))
        except Exception:
            if status == "finished":
                raise
            # The run already failed (e.g. the connection is gone): report that error, not this one.
    return report


def ingest_paths(paths: list[Path], driver: Driver, database: str, **options) -> MeasurementIngestReport:
    files = expand_paths(paths)
    return ingest_records((r for f in files for r in read_file(f)), driver, database,
                          sources=[str(f) for f in files], **options)


def rederive(driver: Driver, database: str, profiles: dict[str, InstrumentProfile] | None = None) -> int:
    """Every stored client's profile derived again with the current rules and mappings."""
    builder = ProfileBuilder(profiles if profiles is not None else load_profiles(),
                             lambda uris: load_occupation_requirements(driver, database, uris))
    return rederive_profiles(driver, database, builder.derive_clients)
