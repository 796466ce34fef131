"""The vacancy ingest: read → validate → normalise → extract → locate → write, in batches.

Valid vacancies land, invalid ones are reported (file, row or pointer, field, reason) and written
to a rejects file; warnings (an unknown location, an unresolved skill) do not stop a vacancy.
Each batch of `batch_size` vacancies is written in one transaction. After the run, open vacancies
past their validThrough are closed.
"""
from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

from neo4j import Driver
from tqdm import tqdm

from ingest import batch_sizes
from ingest.geo import Geography, load_geography, locate
from ingest.normalise import OccupationCodes, OccupationNormaliser, undecorated
from ingest.report import IngestReport, Problem, Rejection, Why
from ingest.vacancy_models import EnrichedVacancy, Vacancy, VacancyRecord
from ingest.vacancy_readers import FileProblem, expand_paths, read_file
from ingest.vacancy_repository import (BatchOutcome, MayChange, close_expired, load_occupation_codes, load_profiles,
                                       record_run, stored_state, write_vacancies)
from ingest.vacancy_requirements import ExplicitSkill, ProfileRequirement, VacancyExtractor, merge_requirements, vacancy_sentences
from ingest.vacancy_validation import Validated, reject_duplicates, validate


@dataclass
class VacancyIngestReport(IngestReport):
    """The shared report plus what only vacancies have: warnings and the create/update/close split."""
    created: int = 0
    updated: int = 0
    closed: int = 0
    needs_review: int = 0
    warnings: list[Problem] = field(default_factory=list)
    unchanged_ids: set[str] = field(default_factory=set)  # stored as they are: the API answers per item
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # per stage

    def summary(self) -> dict:
        return {**super().summary(), "created": self.created, "updated": self.updated, "closed": self.closed,
                "needs_review": self.needs_review, "warnings": len(self.warnings)}


class Enricher:
    """Everything a batch of valid vacancies needs before it is written."""

    def __init__(self, codes: OccupationCodes, normaliser: OccupationNormaliser, geography: Geography,
                 extractor: VacancyExtractor | None, profiles: callable) -> None:
        self.codes, self.normaliser, self.geography, self.extractor = codes, normaliser, geography, extractor
        self._load_profiles = profiles
        self._profiles: dict[str, list[ProfileRequirement]] = {}
        self.seconds: dict[str, float] = defaultdict(float)  # per stage, for the benchmark

    def _profiles_for(self, uris: set[str]) -> dict[str, list[ProfileRequirement]]:
        missing = sorted(u for u in uris if u not in self._profiles)
        if missing:
            self._profiles.update(self._load_profiles(missing))
        return self._profiles

    def enrich(self, batch: list[Validated], today: date) -> tuple[list[EnrichedVacancy], list[Problem]]:
        vacancies: list[Vacancy] = [b.vacancy for b in batch]
        started = time.perf_counter()
        occupations = self.normaliser.normalise(vacancies)
        self.seconds["normalise"] += time.perf_counter() - started
        started = time.perf_counter()
        if self.extractor is not None:
            names = [(v.title, undecorated(v.title, v.lang), o.matched_label) for v, o in zip(vacancies, occupations)]
            extracted = self.extractor.extract([vacancy_sentences(v) for v in vacancies], names)
            explicit = self.extractor.resolve_skills([v.skills for v in vacancies])
        else:
            extracted = [[] for _ in vacancies]
            explicit = [[ExplicitSkill(s, s if s.startswith("http") else None) for s in v.skills] for v in vacancies]
        profiles = self._profiles_for({o.occupation_uri for o in occupations if o.occupation_uri})
        self.seconds["extract"] += time.perf_counter() - started
        started = time.perf_counter()
        places = [locate(self.geography, v.job_location) for v in vacancies]
        self.seconds["locate"] += time.perf_counter() - started
        out, warnings = [], []
        for item, occupation, found, named, located in zip(batch, occupations, extracted, explicit, places):
            v, record = item.vacancy, item.record
            warnings += [Problem(record.source, record.location, "jobLocation", w) for w in located.warnings]
            unresolved = [e.text for e in named if e.competency_uri is None]
            warnings += [Problem(record.source, record.location, "skills", Why(
                f"skill {s!r} not found among the atlas' competencies: kept as text",
                f"vaardigheid {s!r} niet gevonden onder de competenties van de atlas: als tekst bewaard"))
                for s in unresolved]
            inherited = profiles.get(occupation.occupation_uri, []) if occupation.occupation_uri else []
            status = "closed" if v.valid_through and v.valid_through < today else "open"
            out.append(EnrichedVacancy(vacancy=v, occupation=occupation, place=located.place,
                                       requirements=merge_requirements(named, found, inherited),
                                       unresolved_skills=unresolved, status=status, content_hash=v.content_hash()))
        return out, warnings


def build_enricher(driver: Driver, database: str, data_dir: Path, work_dir: Path, model: str,
                   extract: bool = True, semantic: bool = True) -> Enricher:
    """The production wiring: atlas codes and labels from the graph, ESCO skills and geography from data_dir."""
    from competency_atlas.concept_search import current_index, query_encoder

    encodes = extract or semantic
    if encodes:
        from competency_atlas.embeddings import set_threads
        from graph_schema.settings import settings

        # The label vectors (encoded on the first run only, then read from their cache) get every
        # core: nothing else runs yet, and on 2 quiet cores two threads encode 1.55x as fast as one.
        set_threads(os.cpu_count() or 1)
    codes = load_occupation_codes(driver, database)
    # the same look-up index as `atlas-match search` and the API's (kept on disk per atlas release)
    index = current_index(driver, database, "Occupation", work_dir, model if semantic else None)
    embed = query_encoder(index, model if semantic else None)
    extractor = None
    if extract:
        from ingest.extraction import SentenceEncoder
        from ingest.skill_index import build_index as build_skills, default_cache_dir, esco_skills

        # Label vectors only: the long skill texts cost minutes to encode and the ranking now
        # rests on labels and phrase windows (see ingest/extraction.py).
        skills = build_skills(esco_skills(data_dir), model, default_cache_dir(work_dir), with_texts=False)
        extractor = VacancyExtractor(skills, SentenceEncoder(model))
    if encodes:
        # The ingest then encodes vacancy texts while its batch writes run on another thread: on 2
        # shared cores one encoder thread was as fast in wall time as two, with a third less CPU.
        set_threads(settings().encoder_threads)
    return Enricher(codes, OccupationNormaliser(codes, index, embed), load_geography(data_dir), extractor,
                    partial(load_profiles, driver, database))


def _read_all(paths: list[Path]) -> Iterator[VacancyRecord | FileProblem]:
    for path in expand_paths(paths):
        yield from read_file(path)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ingest_records(items: Iterable[VacancyRecord | FileProblem], driver: Driver, database: str,
                   enricher: Enricher, *, run_id: str | None = None, batch_size: int = batch_sizes.VACANCIES,
                   today: date | None = None, progress: bool = False,
                   hook: Callable[[str], None] | None = None, added_by: str | None = None,
                   may_change: MayChange | None = None) -> VacancyIngestReport:
    """`added_by`: who adds new vacancies (an employer desk; kept on the vacancy from then on);
    `may_change`: whether the sender may change a stored vacancy (else its record is rejected)."""
    today = today or date.today()
    report = VacancyIngestReport(kind="vacancies", run_id=run_id or uuid.uuid4().hex[:12])
    known = enricher.codes.known()
    seen: dict[str, VacancyRecord] = {}
    sources: set[str] = set()
    bar = tqdm(unit=" vacancies", disable=not progress, desc="vacancies")

    def valid_stream() -> Iterator[Validated]:
        started = time.perf_counter()
        for item in items:
            if isinstance(item, FileProblem):
                sources.add(item.problem.source)
                report.rejections.append(Rejection((item.problem,), item.rejected, item.fmt))
                continue
            sources.add(item.source)
            result = validate(item, known)
            if result.vacancy is not None and result.vacancy.id in seen:
                result = reject_duplicates([Validated(seen[result.vacancy.id], result.vacancy), result])[1]
            report.warnings.extend(result.warnings)
            if result.vacancy is None:
                report.rejections.append(Rejection(result.problems, result.record.raw, result.record.fmt))
                continue
            seen[result.vacancy.id] = result.record
            report.seconds["read_validate"] += time.perf_counter() - started
            yield result
            started = time.perf_counter()
        report.seconds["read_validate"] += time.perf_counter() - started

    def refuse(vacancy_id: str) -> None:
        record = seen[vacancy_id]
        report.rejections.append(Rejection((Problem(record.source, record.location, "identifier", Why(
            f"vacancy {vacancy_id!r} exists outside your regions and was not added by you: not changed",
            f"vacature {vacancy_id!r} bestaat al buiten uw regio's en is niet door u toegevoegd: niet gewijzigd")),),
            record.raw, record.fmt))

    def changed_only(batch: list[Validated]) -> list[Validated]:
        # A daily feed republishes most vacancies unchanged: those are counted, not enriched again
        # (the write would find the same content hash and skip them anyway). Records for a stored
        # vacancy the sender may not change are refused here already (the write checks again).
        stored = stored_state(driver, database, [b.vacancy.id for b in batch])
        foreign = {i for i, s in stored.items() if may_change and not may_change(s.region, s.added_by)}
        for vacancy_id in sorted(foreign):
            refuse(vacancy_id)
        batch = [b for b in batch if b.vacancy.id not in foreign]
        changed = [b for b in batch if b.vacancy.id not in stored or stored[b.vacancy.id].hash != b.vacancy.content_hash()]
        report.unchanged += len(batch) - len(changed)
        report.unchanged_ids.update({b.vacancy.id for b in batch} - {b.vacancy.id for b in changed})
        bar.update(len(batch) - len(changed))
        return changed

    def write(enriched: list[EnrichedVacancy]) -> tuple[BatchOutcome, float]:
        started = time.perf_counter()
        outcome = write_vacancies(driver, database, enriched, report.run_id, hook, added_by, may_change)
        return outcome, time.perf_counter() - started

    def count(enriched: list[EnrichedVacancy], outcome: BatchOutcome, seconds: float) -> None:
        report.seconds["write"] += seconds
        report.created += len(outcome.created)
        report.updated += len(outcome.updated)
        report.unchanged += len(outcome.unchanged)
        report.unchanged_ids.update(outcome.unchanged)
        for vacancy_id in outcome.refused:
            refuse(vacancy_id)
        report.landed += len(outcome.created) + len(outcome.updated)
        report.needs_review += sum(e.occupation.needs_review for e in enriched)
        written = set(outcome.created) | set(outcome.updated)
        report.closed += sum(e.status == "closed" and e.vacancy.id in written for e in enriched)
        bar.update(len(enriched))

    # A batch is written (one transaction, mostly the server's work) while the next one is
    # enriched (mostly this process's): on two cores the two overlap instead of taking turns.
    # At most one write is in flight, so batches still land in order and a failed write stops
    # the run at the next batch.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: tuple[list[EnrichedVacancy], Future] | None = None
        for batch in _chunks(valid_stream(), batch_size):
            batch = changed_only(batch)
            if not batch:
                continue
            enriched, warnings = enricher.enrich(batch, today)
            report.warnings.extend(warnings)
            if pending:
                count(pending[0], *pending[1].result())
            pending = (enriched, writer.submit(write, enriched))
        if pending:
            count(pending[0], *pending[1].result())
    bar.close()
    for stage, seconds in enricher.seconds.items():
        report.seconds[stage] += seconds
    enricher.seconds.clear()
    report.closed += close_expired(driver, database, today)
    record_run(driver, database, report.run_id, report.landed, report.unchanged, report.rejected, sorted(sources))
    return report


def ingest_paths(paths: list[Path], driver: Driver, database: str, enricher: Enricher, **options) -> VacancyIngestReport:
    return ingest_records(_read_all(paths), driver, database, enricher, **options)
