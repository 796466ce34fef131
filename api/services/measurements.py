"""Measurement ingest through the API: the CLI's own pipeline (ingest.measurement_ingest) on the
request body, with an answer per item.

Items whose client is not assigned to the caller (a coach's caseload, an advisor's referrals) are
rejected before the pipeline, with the same reason whether the client exists or not; an admin
may ingest for any client (bulk exports). Per item: landed (new measurement), unchanged (the same
measurement was already stored: ids are content hashes), or rejected with every problem.
"""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any

from neo4j import Driver

from api import client_repository
from api.access import Principal, Role, may_see_client
from api.services.matching import catch_up
from competency_atlas.instrument_profiles import shipped_profiles
from competency_atlas.lookup_repository import release_tag
from ingest.measurement_ingest import ClientContext, client_context, ingest_records
from ingest.measurement_readers import read_json_text
from ingest.measurement_validation import education_block, validate
from ingest.source_files import FileProblem
from graph_schema.db import read
from graph_schema.settings import Settings

SOURCE = "request"
NOT_ASSIGNED = "client_key is not a client assigned to you (ask an admin to assign it)"
_EXISTING = "MATCH (m:Measurement) WHERE m.id IN $ids RETURN collect(m.id) AS ids"


def _context(cache: dict, driver: Driver, database: str, settings: Settings) -> ClientContext:
    """The ingest's context, made again when the atlas changed (its job titles are that release's
    occupations): one small read a request."""
    tag = release_tag(driver, database)
    held = cache.get("measurement_context")
    if held is None or held[0] != tag:
        # the profiles first: a concurrent request that sees the context must find them too
        cache["instrument_profiles"] = shipped_profiles()
        cache["measurement_context"] = held = (tag, client_context(driver, database, settings.data_dir,
                                                                   settings.work_dir))
    return held[1]


def _denied_keys(driver: Driver, database: str, principal: Principal, keys: set[str]) -> set[str]:
    if principal.role is Role.ADMIN:
        return set()
    found = client_repository.assignments(driver, database, sorted(keys))
    return {k for k in keys if not may_see_client(principal, found.get(k))}


def ingest_measurement_batch(app_state: Any, driver: Driver, database: str, settings: Settings,
                             principal: Principal, items: list, today: date | None = None) -> dict:
    cache = app_state.cache
    context = _context(cache, driver, database, settings)
    profiles = cache["instrument_profiles"]
    today = today or date.today()
    records = list(read_json_text(json.dumps(items), SOURCE))
    keys = {str(r.data.get("client_key") or "").strip() for r in records if not isinstance(r, FileProblem)} - {""}
    denied = _denied_keys(driver, database, principal, keys)
    results: dict[int, dict] = {}
    allowed = []
    ids: dict[int, str] = {}
    education = education_block(profiles)
    for i, record in enumerate(records):
        if isinstance(record, FileProblem):  # a value no input may hold: the pipeline rejects it
            allowed.append(record)
            continue
        key = str(record.data.get("client_key") or "").strip()
        if key in denied:
            results[i] = {"index": i, "status": "rejected", "id": None,
                          "problems": [{"location": record.location, "field": "client_key", "reason": NOT_ASSIGNED}]}
            continue
        allowed.append(record)
        checked = validate(record, profiles, today, education)  # pure: only to name each item's id
        if checked.measurement is not None:
            ids[i] = checked.measurement.id
    existing, _, _ = read(driver, _EXISTING, database, ids=list(ids.values()))
    stored_before = set(existing[0]["ids"])
    report = ingest_records(iter(allowed), driver, database, profiles=profiles, context=context, today=today,
                            sources=[SOURCE])
    rejected_at = {}
    for rejection in report.rejections:
        for p in rejection.problems:
            rejected_at.setdefault(p.location, []).append(p.as_answer())
    for i, record in enumerate(records):
        if i in results:
            continue
        if record.location in rejected_at:
            results[i] = {"index": i, "status": "rejected", "id": None, "problems": rejected_at[record.location]}
        else:
            mid = ids.get(i)
            results[i] = {"index": i, "status": "unchanged" if mid in stored_before else "landed", "id": mid,
                          "problems": []}
    ordered = [results[i] for i in range(len(records))]
    counts = {status: sum(r["status"] == status for r in ordered) for status in ("landed", "unchanged", "rejected")}
    if counts["landed"]:
        catch_up(app_state)  # this process's index has them before the answer: the next page waits for nothing
    # The summary counts the same answer: items refused before the pipeline (not your client) included.
    return {"run_id": report.run_id, **counts, "items": ordered, "warnings": [w.as_answer() for w in report.warnings],
            "summary": {**report.summary(), **counts}}


OBSERVATION_INSTRUMENT = "waarneming"


def observation_item(client_key: str, scale: str, score: float | str, coach: str, observed_on: date) -> dict:
    """A coach observation as a measurement of the `waarneming` instrument (one scale), dated and
    attributed, so it is validated, stored and derived exactly like a test score."""
    return {"client_key": client_key, "instrument": OBSERVATION_INSTRUMENT, "measured_at": observed_on.isoformat(),
            "administered_by": coach, "scores": {scale: score}}


@lru_cache(maxsize=2)
def observation_scales(lang: str = "nl") -> list[tuple[str, str]]:
    """(scale id, label) of what a coach can record, in the page's language (read once)."""
    profile = shipped_profiles()[OBSERVATION_INSTRUMENT]
    return [(s.id, s.label_nl if lang == "nl" else s.label_en) for s in profile.scales]


def record_observation(app_state: Any, driver: Driver, database: str, settings: Settings, principal: Principal,
                       client_key: str, scale: str, score: float | str, observed_on: date | None = None) -> dict:
    """One coach observation through the measurement ingest; the same answer as POST /measurements."""
    today = date.today()
    item = observation_item(client_key, scale, score, f"{principal.role.value}:{principal.subject}",
                            observed_on or today)
    return ingest_measurement_batch(app_state, driver, database, settings, principal, [item], today)
