"""Builds the MatchIndex from the graph: the only Cypher the hot path depends on.

Clients and vacancies are streamed one record each, with their competency entries collected into
lists (far fewer, larger records than one per relationship), and competencies are turned into
column numbers inside Cypher with a map parameter so that no URI string crosses the wire per entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
from neo4j import Driver

from matcher.education import level_from_onet, level_from_text
from matcher.index import ClientEntries, Clients, MatchIndex, RequirementEntries, Targets, unit_vectors
from matcher.profile import decay

_COMPETENCIES = "MATCH (k:Competency) RETURN k.uri AS uri ORDER BY uri"

_CLIENTS = """
MATCH (c:Client)
OPTIONAL MATCH (c)-[h:HAS_COMPETENCY]->(k:Competency)
WITH c, collect($columns[k.uri]) AS cols, collect(h.level) AS levels, collect(h.confidence) AS confs,
     collect(h.as_of) AS as_of, collect(coalesce(h.trait, 'trainable')) AS traits
RETURN c.key AS key, coalesce(c.gate, 'matchable') = 'not_matchable' AS excluded,
       c.location.latitude AS lat, c.location.longitude AS lon, cols, levels, confs, as_of, traits,
       c.hours_available AS hours, c.education_level AS education
"""

# Requirements without an O*NET importance (ESCO-only) count as the middle of its 1-5 scale.
_DEFAULT_IMPORTANCE = 3.0

_VACANCIES = """
MATCH (v:Vacancy)
OPTIONAL MATCH (v)-[:FOR_OCCUPATION]->(o:Occupation)
WITH v, head(collect(o.education_level)) AS occupation_education
OPTIONAL MATCH (v)-[r:REQUIRES]->(k:Competency)
WITH v, occupation_education, collect($columns[k.uri]) AS cols, collect(coalesce(r.required_level, 0.5)) AS required,
     collect(coalesce(r.importance, $default_importance)) AS importance, collect(r.relation = 'essential') AS essential
RETURN v.id AS key, coalesce(v.status, 'open') = 'open' AS open,
       v.location.latitude AS lat, v.location.longitude AS lon, cols, required, importance, essential,
       v.hours_per_week AS hours, v.education_requirements AS education_text, occupation_education
"""

_OCCUPATIONS = """
MATCH (o:Occupation)
OPTIONAL MATCH (o)-[r:REQUIRES]->(k:Competency)
WITH o, collect($columns[k.uri]) AS cols, collect(coalesce(r.required_level, 0.5)) AS required,
     collect(coalesce(r.importance, $default_importance)) AS importance, collect(r.relation = 'essential') AS essential
RETURN o.uri AS key, true AS open, null AS lat, null AS lon, cols, required, importance, essential,
       null AS hours, null AS education_text, o.education_level AS occupation_education
"""


@dataclass
class _Rows:
    """Parallel lists filled while streaming, turned into arrays once."""
    keys: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    lat: list = field(default_factory=list)
    lon: list = field(default_factory=list)
    row: list = field(default_factory=list)
    col: list = field(default_factory=list)
    a: list = field(default_factory=list)
    b: list = field(default_factory=list)
    essential: list = field(default_factory=list)
    hours: list = field(default_factory=list)
    education: list = field(default_factory=list)

    def xyz(self) -> np.ndarray:
        return unit_vectors(np.asarray(self.lat, dtype=float), np.asarray(self.lon, dtype=float))


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def _to_date(value) -> date | None:
    if value is None:
        return None
    return value.to_native() if hasattr(value, "to_native") else value


def _current(confidence: float, as_of: date | None, trait: str, today: date) -> float:
    """The stored confidence, decayed further from its as-of date to today (older evidence counts less)."""
    return confidence if as_of is None else decay(confidence, (today - as_of).days, trait)


def _target_education(rec) -> float:
    """What the vacancy's own text asks, else what its occupation usually needs (O*NET RL)."""
    level = level_from_text(rec["education_text"])
    if level is None:
        level = level_from_onet(rec["occupation_education"])
    return _nan(level)


def load_index(driver: Driver, database: str, today: date | None = None) -> MatchIndex:
    today = today or datetime.now(timezone.utc).date()
    competencies = [r["uri"] for r in driver.execute_query(_COMPETENCIES, database_=database).records]
    columns = {uri: i for i, uri in enumerate(competencies)}
    n = len(competencies)
    c = _read_clients(driver, database, columns, today)
    clients = Clients(c.keys, ClientEntries(np.asarray(c.row, dtype=np.int32), np.asarray(c.col, dtype=np.int32),
                                            np.asarray(c.a, dtype=np.float32), np.asarray(c.b, dtype=np.float32)),
                      np.asarray(c.flags, dtype=bool), c.xyz(), n, c.hours, c.education)
    return MatchIndex(competencies, clients, _read_targets(driver, database, _VACANCIES, columns),
                      _read_targets(driver, database, _OCCUPATIONS, columns))


def _read_clients(driver: Driver, database: str, columns: dict, today: date) -> _Rows:
    out = _Rows()
    with driver.session(database=database, fetch_size=5000) as session:
        for i, rec in enumerate(session.run(_CLIENTS, columns=columns)):
            out.keys.append(rec["key"])
            out.flags.append(rec["excluded"])
            out.lat.append(_nan(rec["lat"]))
            out.lon.append(_nan(rec["lon"]))
            out.hours.append(_nan(rec["hours"]))
            out.education.append(_nan(level_from_text(rec["education"])))
            out.row.extend([i] * len(rec["cols"]))
            out.col.extend(rec["cols"])
            out.a.extend(rec["levels"])
            out.b.extend(_current(k, _to_date(d), t, today)
                         for k, d, t in zip(rec["confs"], rec["as_of"], rec["traits"]))
    return out


def _read_targets(driver: Driver, database: str, query: str, columns: dict) -> Targets:
    out = _Rows()
    with driver.session(database=database, fetch_size=5000) as session:
        for i, rec in enumerate(session.run(query, columns=columns, default_importance=_DEFAULT_IMPORTANCE)):
            out.keys.append(rec["key"])
            out.flags.append(rec["open"])
            out.lat.append(_nan(rec["lat"]))
            out.lon.append(_nan(rec["lon"]))
            out.hours.append(_nan(rec["hours"]))
            out.education.append(_target_education(rec))
            out.row.extend([i] * len(rec["cols"]))
            out.col.extend(rec["cols"])
            out.a.extend(rec["required"])
            out.b.extend(rec["importance"])
            out.essential.extend(rec["essential"])
    entries = RequirementEntries(np.asarray(out.row, dtype=np.int32), np.asarray(out.col, dtype=np.int32),
                                 np.asarray(out.a, dtype=np.float32), np.asarray(out.b, dtype=np.float32),
                                 np.asarray(out.essential, dtype=bool))
    return Targets(out.keys, entries, np.asarray(out.flags, dtype=bool), out.xyz(), len(columns),
                   out.hours, out.education)
