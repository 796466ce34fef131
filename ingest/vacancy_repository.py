"""All Cypher of the vacancy ingest: atlas codes and profiles in, vacancies out.

Graph written:
  (:Vacancy {id, title, description, employer, employment_type, hours_per_week, date_posted,
             valid_through, status, location: point, postcode, municipality_code, municipality_name,
             region_code, region_name, location_method, lang, raw_json, occupation_method,
             occupation_confidence, needs_review, isco_group, unresolved_skills, content_hash,
             version, first_seen_at, updated_at, ingest_run})
  (:Vacancy)-[:FOR_OCCUPATION {method, confidence}]->(:Occupation)
  (:Vacancy)-[:FOR_ISCO_GROUP {method, confidence}]->(:IscoGroup)   (only a group was known)
  (:Vacancy)-[:REQUIRES {origin, origins, relation, required_level, importance, score, sentence,
                         text}]->(:Competency)
  (:Vacancy)-[:HAS_VERSION]->(:VacancyVersion {key, vacancy_id, version, superseded_at, ...the
             vacancy's properties then, occupation_uri, requirement_uris/origins/relations})
A batch is written in ONE transaction (read hashes, snapshot changed ones, upsert): it lands whole
or not at all. An unchanged content hash is not written again.
"""
from __future__ import annotations

from collections.abc import Callable

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone

from neo4j import Driver, ManagedTransaction

from graph_schema.db import Bulk, read, write_session
from ingest.normalise import OccupationCodes
from ingest.vacancy_models import EnrichedVacancy
from ingest.vacancy_requirements import ProfileRequirement
from matcher.freshness import bump_generation

# --- reads from the atlas ----------------------------------------------------------------------

_OCCUPATIONS = "MATCH (o:Occupation) RETURN o.uri AS uri, o.label_en AS label, o.isco_code AS isco"
_ISCO_MEMBERS = "MATCH (o:Occupation)-[:IN_ISCO_GROUP]->(g:IscoGroup) RETURN g.code AS code, collect(o.uri) AS uris"
_ISCO_GROUPS = "MATCH (g:IscoGroup) RETURN g.code AS code"
_CROSSWALK = """
MATCH (o:Occupation)-[c:CROSSWALK]->(n:OnetOccupation)
RETURN n.code AS code, o.uri AS uri, c.match_type AS match_type ORDER BY code, uri
"""
# One record per occupation with parallel lists: decoding ~90 records per occupation was most
# of the profile load's time in the driver (docs/vacancies.md).
_PROFILES = """
UNWIND $uris AS uri
MATCH (:Occupation {uri: uri})-[r:REQUIRES]->(c:Competency)
RETURN uri, collect(c.uri) AS competencies, collect(coalesce(r.relation, '')) AS relations,
       collect(coalesce(r.importance, -1.0)) AS importances, collect(coalesce(r.required_level, -1.0)) AS levels
"""


def load_occupation_codes(driver: Driver, database: str) -> OccupationCodes:
    occupations, _, _ = read(driver, _OCCUPATIONS, database)
    members: dict[str, set[str]] = {}
    for r in occupations:
        if r["isco"]:
            members.setdefault(str(r["isco"]), set()).add(r["uri"])
    for r in read(driver, _ISCO_MEMBERS, database).records:
        members.setdefault(str(r["code"]), set()).update(r["uris"])
    groups = {str(r["code"]) for r in read(driver, _ISCO_GROUPS, database).records}
    crosswalk: dict[str, list[tuple[str, str]]] = {}
    for r in read(driver, _CROSSWALK, database).records:
        crosswalk.setdefault(r["code"], []).append((r["uri"], r["match_type"]))
    return OccupationCodes(occupations={r["uri"]: r["label"] or r["uri"] for r in occupations},
                           isco_members={k: frozenset(v) for k, v in members.items()},
                           isco_groups=frozenset(groups),
                           crosswalk={k: tuple(v) for k, v in crosswalk.items()})


def load_profiles(driver: Driver, database: str, uris: list[str]) -> dict[str, list[ProfileRequirement]]:
    records, _, _ = read(driver, _PROFILES, database, uris=uris)
    out: dict[str, list[ProfileRequirement]] = {u: [] for u in uris}
    for r in records:
        # collect() drops nulls, which would misalign the lists: '' and -1 stand for "not given".
        out[r["uri"]] = [ProfileRequirement(c, rel or None, None if imp < 0 else imp, None if lvl < 0 else lvl)
                         for c, rel, imp, lvl in zip(r["competencies"], r["relations"], r["importances"], r["levels"])]
    return out


# --- writes --------------------------------------------------------------------------------------

_STORED = """
UNWIND $ids AS id MATCH (v:Vacancy {id: id})
RETURN v.id AS id, v.content_hash AS hash, v.region_code AS region, v.added_by AS added_by
"""
# Inside the write: each identifier merged first, so that two senders of one new identifier are
# serialised by the uniqueness constraint (the second finds the first's vacancy, not nothing) and
# whose it is is decided on what is committed. A node made here gets its content in the same
# transaction (`version` null until then).
_CLAIM = """
UNWIND $ids AS id
MERGE (v:Vacancy {id: id})
ON CREATE SET v.added_by = $added_by
RETURN v.id AS id, v.content_hash AS hash, v.version IS NULL AS new, v.region_code AS region, v.added_by AS added_by
"""

_SNAPSHOT = """
UNWIND $ids AS id
MATCH (v:Vacancy {id: id})
OPTIONAL MATCH (v)-[:FOR_OCCUPATION]->(o:Occupation)
OPTIONAL MATCH (v)-[r:REQUIRES]->(c:Competency)
WITH v, o, collect(c.uri) AS uris, collect(r.origin) AS origins, collect(r.relation) AS relations
CREATE (v)-[:HAS_VERSION]->(h:VacancyVersion)
SET h = properties(v)
SET h.key = v.id + '#' + toString(coalesce(v.version, 1)), h.vacancy_id = v.id,
    h.version = coalesce(v.version, 1), h.superseded_at = datetime($now), h.occupation_uri = o.uri,
    h.requirement_uris = uris, h.requirement_origins = origins, h.requirement_relations = relations
REMOVE h.id
"""

_UPSERT = """
UNWIND $rows AS row
MATCH (v:Vacancy {id: row.id})
SET v.version = coalesce(v.version, 0) + 1, v.first_seen_at = coalesce(v.first_seen_at, datetime($now))
SET v += row.props, v.updated_at = datetime($now),
    v.location = CASE WHEN row.lat IS NULL THEN null ELSE point({latitude: row.lat, longitude: row.lon}) END
WITH v, row
CALL (v) {
  MATCH (v)-[old:FOR_OCCUPATION|FOR_ISCO_GROUP|REQUIRES]->()
  DELETE old
}
CALL (v, row) {
  MATCH (o:Occupation {uri: row.occupation})
  CREATE (v)-[:FOR_OCCUPATION {method: row.method, confidence: row.confidence}]->(o)
}
CALL (v, row) {
  MATCH (g:IscoGroup {code: row.isco_group}) WHERE row.occupation IS NULL
  CREATE (v)-[:FOR_ISCO_GROUP {method: row.method, confidence: row.confidence}]->(g)
}
CALL (v, row) {
  UNWIND row.requirements AS req
  MATCH (c:Competency {uri: req.uri})
  CREATE (v)-[e:REQUIRES]->(c)
  SET e = req.props
}
"""

_CLOSE_EXPIRED = """
MATCH (v:Vacancy {status: 'open'}) WHERE v.valid_through < $today
SET v.status = 'closed', v.closed_at = datetime($now)
RETURN count(v) AS closed
"""

_RUN = """
MERGE (r:IngestRun {id: $id})
SET r.kind = 'vacancies', r.finished_at = datetime($now), r.landed = $landed, r.unchanged = $unchanged,
    r.rejected = $rejected, r.sources = $sources
"""


def _row(item: EnrichedVacancy, run_id: str) -> dict:
    v, occ, place = item.vacancy, item.occupation, item.place
    props = {
        "title": v.title, "description": v.description, "employer": v.employer,
        "employment_type": v.employment_type, "hours_per_week": v.hours_per_week,
        "date_posted": v.date_posted, "valid_through": v.valid_through, "status": item.status,
        "postcode": place.postcode, "municipality_code": place.municipality_code,
        "municipality_name": place.municipality_name, "region_code": place.region_code,
        "region_name": place.region_name, "location_method": place.method,
        "postal_code_given": v.job_location.postal_code, "locality_given": v.job_location.locality,
        "lang": v.lang, "raw_json": json.dumps(v.raw_extra, ensure_ascii=False, sort_keys=True),
        "occupational_category": v.occupational_category, "occupation_method": occ.method,
        "occupation_confidence": occ.confidence, "needs_review": occ.needs_review,
        "isco_group": occ.isco_group, "unresolved_skills": item.unresolved_skills,
        "content_hash": item.content_hash, "ingest_run": run_id,
    }
    requirements = [{"uri": r.competency_uri, "props": {
        "origin": r.origin, "origins": list(r.origins), "relation": r.relation,
        "required_level": r.required_level, "importance": r.importance, "score": r.score,
        "sentence": r.sentence, "text": r.text}} for r in item.requirements]
    return {"id": v.id, "props": props, "lat": place.latitude, "lon": place.longitude,
            "occupation": occ.occupation_uri, "isco_group": occ.isco_group, "method": occ.method,
            "confidence": occ.confidence, "requirements": requirements}


# May the sender change a stored vacancy, given its (region code, added by)? None: any.
MayChange = Callable[[str | None, str | None], bool]


@dataclass(frozen=True)
class BatchOutcome:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    refused: tuple[str, ...] = ()  # stored vacancies the sender may not change: left as they were


def _write_batch(tx: ManagedTransaction, items: list[EnrichedVacancy], run_id: str, now: str,
                 hook: Callable[[str], None] | None = None, added_by: str | None = None,
                 may_change: MayChange | None = None) -> BatchOutcome:
    claimed = list(tx.run(_CLAIM, ids=Bulk([i.vacancy.id for i in items]), added_by=added_by))
    if hook is not None:
        hook("hashes")  # tests inject faults after each statement
    refused = {r["id"] for r in claimed if not r["new"] and may_change and not may_change(r["region"], r["added_by"])}
    known = {r["id"]: r["hash"] for r in claimed if not r["new"]}
    items = [i for i in items if i.vacancy.id not in refused]
    unchanged = [i for i in items if known.get(i.vacancy.id) == i.content_hash]
    changed = [i for i in items if i.vacancy.id in known and known[i.vacancy.id] != i.content_hash]
    new = [i for i in items if i.vacancy.id not in known]
    if changed:
        tx.run(_SNAPSHOT, ids=[i.vacancy.id for i in changed], now=now).consume()
    if changed or new:
        tx.run(_UPSERT, rows=Bulk(_row(i, run_id) for i in changed + new), now=now).consume()
        if hook is not None:
            hook("upsert")
        bump_generation(tx)  # the matcher's indexes rebuild when they see it
    return BatchOutcome(tuple(i.vacancy.id for i in new), tuple(i.vacancy.id for i in changed),
                        tuple(i.vacancy.id for i in unchanged), tuple(sorted(refused)))


@dataclass(frozen=True)
class Stored:
    hash: str | None
    region: str | None
    added_by: str | None


def stored_state(driver: Driver, database: str, ids: list[str]) -> dict[str, Stored]:
    """Content hash and whose it is of each stored vacancy among `ids` (absent: not stored yet)."""
    records, _, _ = read(driver, _STORED, database, ids=Bulk(ids))
    return {r["id"]: Stored(r["hash"], r["region"], r["added_by"]) for r in records}


def write_vacancies(driver: Driver, database: str, items: list[EnrichedVacancy], run_id: str,
                    hook: Callable[[str], None] | None = None, added_by: str | None = None,
                    may_change: MayChange | None = None) -> BatchOutcome:
    """One transaction per call: callers pass one batch of N vacancies. `added_by` is kept on the
    new ones (the employer desk that added them); stored ones `may_change` refuses are left as
    they were and named in the outcome."""
    now = datetime.now(timezone.utc).isoformat()
    with write_session(driver, database) as session:
        outcome = session.execute_write(_write_batch, items, run_id, now, hook, added_by, may_change)
    if hook is not None:
        hook("committed")
    return outcome


def close_expired(driver: Driver, database: str, today: date) -> int:
    """Open vacancies past their validThrough become closed (never deleted)."""
    with write_session(driver, database) as session:
        return session.execute_write(_close_expired, today, datetime.now(timezone.utc).isoformat())


def _close_expired(tx: ManagedTransaction, today: date, now: str) -> int:
    closed = tx.run(_CLOSE_EXPIRED, today=today, now=now).single()["closed"]
    if closed:
        bump_generation(tx)  # in the same transaction, like every write the matcher ranks on
    return closed


def record_run(driver: Driver, database: str, run_id: str, landed: int, unchanged: int, rejected: int,
               sources: list[str]) -> None:
    driver.execute_query(_RUN, id=run_id, now=datetime.now(timezone.utc).isoformat(), landed=landed,
                         unchanged=unchanged, rejected=rejected, sources=sources, database_=database)


# --- the demo generator's source ---------------------------------------------------------------

_GENERATOR_OCCUPATIONS = """
MATCH (o:Occupation)-[r:REQUIRES]->(c:Competency)
WHERE o.label_en IS NOT NULL AND c.label_en IS NOT NULL AND c.uri STARTS WITH 'http://data.europa.eu/esco/skill/'
WITH o, collect(CASE WHEN r.relation = 'essential' THEN c.label_en END) AS essential,
     collect(CASE WHEN r.relation = 'optional' THEN c.label_en END) AS optional
WHERE size(essential) >= 3
RETURN o.uri AS uri, o.isco_code AS isco, o.label_en AS label_en, o.label_nl AS label_nl,
       essential, optional ORDER BY uri
"""


def load_generator_occupations(driver: Driver, database: str) -> list[dict]:
    records, _, _ = read(driver, _GENERATOR_OCCUPATIONS, database)
    return [{**r.data(), "isco": str(r["isco"]) if r["isco"] else None,
             "essential": tuple(sorted(r["essential"])), "optional": tuple(sorted(r["optional"]))} for r in records]


_DELETE_RUN = """
MATCH (v:Vacancy {ingest_run: $run_id})
OPTIONAL MATCH (v)-[:HAS_VERSION]->(h:VacancyVersion)
DETACH DELETE v, h
"""


def delete_run_vacancies(driver: Driver, database: str, run_id: str) -> None:
    """Only for the benchmark's own generated vacancies: real vacancies are closed, never deleted."""
    driver.execute_query(_DELETE_RUN, run_id=run_id, database_=database)
