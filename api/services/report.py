"""The client report: reads what it needs through the existing services and repositories (client
profile, measurements, ranked vacancies and occupations, gaps, decisions), builds its content with
the pure api/report.py, and stores versions and acknowledgements (api/report_repository.py).
Access checks and audit are the caller's (the page adapter), as for the other services; a save
and an acknowledgement write the caller's audit entry (`entry`) in their own transaction, so that
neither is ever stored without the other.

`words(lang)` is the caller's: {"instruments": id -> short name, "reasons": code -> words,
"observation": instrument ids that are a coach's own observation}.
"""
from __future__ import annotations

from typing import Callable

from neo4j import Driver, ManagedTransaction

from api import client_repository
from api import report, sensitive
from api import report_repository as repo
from api.services import clients as client_service
from api.services import matching
from competency_atlas.names import labelled
from graph_schema.db import write_unit
from ingest.profile_builder import CERTIFICATE, WORK_HISTORY
from matcher.service import NotFound

VACANCIES = 5    # advised vacancies in the report (the best ranked)
OCCUPATIONS = 3  # advised occupations
GAP_VACANCIES, GAP_OCCUPATIONS = 3, 2  # the advice whose gaps make up "ontwikkelpunten"

Words = Callable[[str], dict]
Entry = Callable[[ManagedTransaction], None]  # the act's audit entry, in the act's transaction


def evidence_kind(c: dict, instrument_of: dict[str, str], observation: frozenset[str]) -> str:
    """measured | observed | inferred, as on the client page (the strongest kind among its sources)."""
    sources = c.get("sources") or []
    if c.get("inferred") or not sources:
        return "inferred"
    kinds = set()
    for s in sources:
        kinds.add("inferred" if s.startswith((WORK_HISTORY, CERTIFICATE)) else
                  "observed" if instrument_of.get(s) in observation else "measured")
    return next(k for k in ("measured", "observed", "inferred") if k in kinds)


def _gaps(driver: Driver, database: str, service, client: dict, vacancies: list[dict], occupations: list[dict],
          lang: str) -> list[dict]:
    targets = []  # the advice the report lists: none with nothing measured behind it
    vacancies, occupations = report.measured_advice(vacancies), report.measured_advice(occupations)
    for r in vacancies[:GAP_VACANCIES]:
        found = matching.vacancy_target(service, r["vacancy"]["id"])
        if found:
            targets.append((found, r["vacancy"].get("title")))
    for r in occupations[:GAP_OCCUPATIONS]:
        t = matching.occupation_target(driver, database, r["occupation"]["uri"], lang)
        if t:
            targets.append((t, r["occupation"].get("label")))
    out, hidden = [], sensitive.competencies()  # marked: the report leaves them out unless the coach includes them
    for target, title in targets:
        try:
            g = matching.gap(service, client, target, lang)
        except NotFound:
            continue
        out.append({"target": title or target.title or "", "reach_km": g["reach_km"],
                    "gaps": [{**item, "sensitive": item["competency"] in hidden} for item in g["gaps"]]})
    return out


def facts(driver: Driver, database: str, app_state, key: str, lang: str, words: dict) -> dict | None:
    """Everything the report is made of, read through the services; None when there is no client."""
    profile = client_service.client_profile(driver, database, key)
    client = matching.client_for_ranking(driver, database, key)
    if profile is None or client is None:
        return None
    _, read = client_repository.measurements(driver, database, key, 0, 500)
    measurements = [{**m, "sensitive_words": sensitive.items(m.get("instrument"), m.get("sensitive") or {}, lang)}
                    for m in read]
    instrument_of = {m["id"]: m.get("instrument") or "" for m in measurements}
    competencies = [{"uri": c["uri"], **labelled(c, lang, c["uri"]),
                     "level": float(c.get("level") or 0.0),
                     "evidence": evidence_kind(c, instrument_of, words["observation"]),
                     "sensitive": c["uri"] in sensitive.competencies()}
                    for c in profile["competencies"]]
    service = matching.matcher(app_state, driver, database)
    vacancies, _ = matching.vacancies_for_client(service, client, None, 0, VACANCIES, lang=lang)
    occupations, _ = matching.occupations_for_client(service, client, 0, OCCUPATIONS, lang=lang)
    return {"key": key, "measurements": measurements, "instrument_names": words["instruments"],
            "observation_instruments": words["observation"], "competencies": competencies,
            "vacancies": vacancies, "occupations": occupations,
            "gaps": _gaps(driver, database, service, client, vacancies, occupations, lang),
            "decisions": client["decisions"],
            "reason_words": words["reasons"],
            "availability": client_service.availability(driver, database, profile.get("attributes") or {}, lang),
            "gate": profile.get("gate"), "gate_measured": profile.get("gate_measured"), "gate_reasons": sensitive.gate_reasons(profile.get("gate_reasons") or [], lang)}


def build(driver: Driver, database: str, app_state, key: str, opts: dict, words: Words) -> dict | None:
    """The report content for these choices, and its hash."""
    f = facts(driver, database, app_state, key, opts["lang"], words(opts["lang"]))
    if f is None:
        return None
    content = report.report_content(f, opts)
    return {"content": content, "hash": report.content_hash(content)}


def current(driver: Driver, database: str, app_state, key: str, words: Words) -> dict | None:
    """The report as it is now (today's data with the choices of the newest saved version), its
    hash, and the acknowledgements measured against that hash."""
    saved = repo.latest_version(driver, database, key)
    opts = report.options_of(saved["content"] if saved else None)
    built = build(driver, database, app_state, key, opts, words)
    if built is None:
        return None
    acks = repo.acknowledgements(driver, database, key)
    state = report.acknowledgement_state(built["hash"], acks)
    if state["changed"]:  # say what changed since it was seen: often only the vacancies around the client
        seen = [repo.version(driver, database, key, digest) for digest in report.versions_seen_before(state)]
        state["changed_parts"] = report.changed_parts([v["content"] for v in seen if v], built["content"])
    return {**built, "options": opts, "saved": saved, "acknowledgements": acks, "state": state}


def stored(driver: Driver, database: str, key: str, digest: str) -> dict | None:
    """A stored version as it was acknowledged (read-only), its acknowledgements measured against
    its own hash, and whether its stored content still hashes to it."""
    found = repo.version(driver, database, key, digest)
    if found is None:
        return None
    acks = repo.acknowledgements(driver, database, key)
    return {"content": found["content"], "hash": digest, "saved": found, "acknowledgements": acks,
            "options": report.options_of(found["content"]),
            "state": {**report.acknowledgement_state(digest, acks), "changed": False},  # a stored version never changes
            "intact": report.content_hash(found["content"]) == digest}


def save(driver: Driver, database: str, app_state, key: str, opts: dict, by: str, words: Words,
         entry: Entry) -> str | None:
    """Stores the report with the coach's choices (agreements, sensitive blocks, language) as a
    version; returns its hash (None: no such client)."""
    built = build(driver, database, app_state, key, opts, words)
    if built is None:
        return None
    content = report.canonical_json(built["content"])
    stored = write_unit(driver, database, _with_entry(entry, lambda tx: repo.version_saved(tx, key, built["hash"],
                                                                                           content, by)))
    return built["hash"] if stored else None


def acknowledge(driver: Driver, database: str, app_state, key: str, role: str, seen_hash: str, coach: str,
                words: Words, entry: Entry) -> str:
    """"Gezien en besproken" by the coach or by the client (with the coach present), for the
    version that was on the screen: `changed` when the report is no longer that version (nothing is
    stored then), `not_found` without a client, else `ok`."""
    now = current(driver, database, app_state, key, words)
    if now is None:
        return "not_found"
    if now["hash"] != seen_hash:
        return "changed"
    by, present = (coach, None) if role == "coach" else ("client", coach)
    content = report.canonical_json(now["content"])
    stored = write_unit(driver, database, _with_entry(entry, lambda tx: repo.acknowledged(tx, key, now["hash"], content,
                                                                                          role, by, present)))
    return "ok" if stored else "not_found"


def _with_entry(entry: Entry, store: Callable[[ManagedTransaction], bool]) -> Callable[[ManagedTransaction], bool]:
    """One transaction: what the act stores and, if it stored anything (the client exists), its entry."""
    def unit(tx: ManagedTransaction) -> bool:
        stored = store(tx)
        if stored:
            entry(tx)
        return stored
    return unit
