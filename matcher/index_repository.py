"""Builds the MatchIndex from the graph: the only Cypher the hot path depends on.

Clients and vacancies are streamed one record each: a client's profile arrays as stored
(matcher/profile_store.py), a target's requirements collected into lists (far fewer, larger
records than one per relationship). Competencies are turned into column numbers inside Cypher
with a map parameter so that no URI string crosses the wire per entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
from neo4j import Driver

from graph_schema.db import read, read_session
from matcher.education import level_from_onet, level_from_text
from matcher.index import ClientEntries, ClientPatch, Clients, MatchIndex, RequirementEntries, Targets, unit_vectors
from matcher.profile import decay_many
from matcher.profile_repository import AS_OF_NUMBERS
from matcher.profile_store import native_date
from matcher.repository import VACANCY_FACT_NAMES, vacancy_fact_columns
from matcher.scoring import DEFAULT_IMPORTANCE, DEFAULT_REQUIRED_LEVEL

_COMPETENCIES = "MATCH (k:Competency) RETURN k.uri AS uri ORDER BY uri"
EVIDENCE_CHUNK = 1_000_000  # evidence entries read before they become arrays (see _Evidence)

# Pattern comprehensions keep each entry's fields together: `collect()` skips nulls, which would
# misalign parallel lists.
def _client_row(columns: str) -> str:
    return f"""
RETURN c.key AS key, coalesce(c.gate, 'matchable') = 'not_matchable' AS excluded,
       c.location.latitude AS lat, c.location.longitude AS lon,
       c.hours_available AS hours, c.education_level AS education, c.travel_radius_km AS radius,
       {columns} AS columns, c.profile_levels AS levels,
       c.profile_confidences AS confidences,
       {AS_OF_NUMBERS} AS as_of,
       [t IN coalesce(c.profile_traits, []) | t = 'stable'] AS stable,
       coalesce(c.profile_inferred, []) AS inferred
"""


# Every client: Neo4j turns the competencies into columns with the column map, sent once. A few
# clients (a live patch): their competencies come back as URIs and are mapped here, for sending the
# ~14,000-entry map with each patch cost ~7 ms of the service's CPU and ~12 ms of Neo4j's.
_CLIENTS = "MATCH (c:Client)" + _client_row("[u IN coalesce(c.profile_competencies, []) | $columns[u]]")
_SOME_CLIENTS = "UNWIND $keys AS key MATCH (c:Client {key: key})" + _client_row("coalesce(c.profile_competencies, [])")
# Dates travel as yyyymmdd numbers and traits as booleans: the driver turns every date value into
# a Python object one by one, and a million clients carry ~80 million of them.

_REQUIREMENTS = """[(t)-[r:REQUIRES]->(k:Competency) |
        [$columns[k.uri], coalesce(r.required_level, $default_level), coalesce(r.importance, $default_importance),
         coalesce(r.relation = 'essential', false)]] AS requirements"""

# With what a ranked row shows about each vacancy (its facts, kept in the index: no read per page)
_VACANCIES = """
MATCH (t:Vacancy)
RETURN t.id AS key, coalesce(t.status, 'open') = 'open' AS open, """ + vacancy_fact_columns("t") + """,
       t.education_requirements AS education_text,
       head([(t)-[:FOR_OCCUPATION]->(o:Occupation) | o.education_level]) AS occupation_education,
       """ + _REQUIREMENTS

_OCCUPATIONS = """
MATCH (t:Occupation)
RETURN t.uri AS key, true AS open, null AS lat, null AS lon, null AS hours, null AS education_text,
       t.education_level AS occupation_education,
       """ + _REQUIREMENTS


@dataclass
class _Rows:
    """Parallel lists filled while streaming, turned into arrays once (a client read's evidence
    columns row / col / a / b arrive as arrays already, see _Evidence)."""
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
    radius: list = field(default_factory=list)  # clients only: own travel radius
    inferred: list = field(default_factory=list)  # clients only: per evidence entry, not measured
    facts: list = field(default_factory=list)  # vacancies only: what a row shows (repository.vacancy_fact_columns)

    def xyz(self) -> np.ndarray:
        return unit_vectors(np.asarray(self.lat, dtype=float), np.asarray(self.lon, dtype=float))


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def _target_education(rec) -> float:
    """What the vacancy's own text asks, else what its occupation usually needs (O*NET RL)."""
    level = level_from_text(rec["education_text"])
    if level is None:
        level = level_from_onet(rec["occupation_education"])
    return _nan(level)


SPARE_SHARE, MIN_SPARE = 0.02, 256  # rows kept free for clients that arrive while an index runs


def load_index(driver: Driver, database: str, today: date | None = None) -> MatchIndex:
    today = today or datetime.now(timezone.utc).date()
    competencies = [r["uri"] for r in read(driver, _COMPETENCIES, database).records]
    columns = {uri: i for i, uri in enumerate(competencies)}
    n = len(competencies)
    c = _read_clients(driver, database, columns, today)
    clients = Clients(c.keys, ClientEntries(np.asarray(c.row, dtype=np.int32), np.asarray(c.col, dtype=np.int32),
                                            np.asarray(c.a, dtype=np.float32), np.asarray(c.b, dtype=np.float32),
                                            np.asarray(c.inferred, dtype=bool)),
                      np.asarray(c.flags, dtype=bool), c.xyz(), n, c.hours, c.education, c.radius,
                      spare=max(MIN_SPARE, int(SPARE_SHARE * len(c.keys))))
    return MatchIndex(competencies, clients, _read_targets(driver, database, _VACANCIES, columns, with_facts=True),
                      _read_targets(driver, database, _OCCUPATIONS, columns))


def client_patches(driver: Driver, database: str, index: MatchIndex, keys: list[str],
                   today: date | None = None) -> tuple[list[ClientPatch], list[str]]:
    """The rows of these clients as the graph holds them now, and the keys no longer in the graph."""
    today = today or datetime.now(timezone.utc).date()
    c = _read_clients(driver, database, index.column, today, keys)
    rows, cols = np.asarray(c.row, dtype=np.int64), np.asarray(c.col, dtype=np.int32)
    levels, confs, xyz = np.asarray(c.a, dtype=np.float32), np.asarray(c.b, dtype=np.float32), c.xyz()
    inferred = np.asarray(c.inferred, dtype=bool)
    patches = []
    for i, key in enumerate(c.keys):
        mine = np.flatnonzero(rows == i)
        order = mine[np.argsort(cols[mine], kind="stable")]
        patches.append(ClientPatch(key, cols[order], levels[order], confs[order], bool(c.flags[i]), xyz[i],
                                   c.hours[i], c.education[i], c.radius[i], inferred[order]))
    return patches, sorted(set(keys) - set(c.keys))


def _read_clients(driver: Driver, database: str, columns: dict, today: date, keys: list[str] | None = None) -> _Rows:
    out = _Rows()
    evidence = _Evidence(today)
    query, params = (_CLIENTS, {"columns": columns}) if keys is None else (_SOME_CLIENTS, {"keys": keys})
    with read_session(driver, database, fetch_size=5000) as session:
        for i, rec in enumerate(session.run(query, **params)):
            out.keys.append(rec["key"])
            out.flags.append(rec["excluded"])
            out.lat.append(_nan(rec["lat"]))
            out.lon.append(_nan(rec["lon"]))
            out.hours.append(_nan(rec["hours"]))
            out.education.append(_nan(level_from_text(rec["education"])))
            out.radius.append(_nan(rec["radius"]))
            found = rec["columns"] if keys is None else [columns.get(u) for u in rec["columns"]]
            entries = found, rec["levels"], rec["confidences"], rec["as_of"], rec["stable"], rec["inferred"]
            if not entries[0]:
                continue
            if None in entries[0]:  # a competency the current atlas no longer has: not evidence for it
                keep = [j for j, col in enumerate(entries[0]) if col is not None]
                entries = tuple([xs[j] for j in keep] for xs in entries)
            evidence.add(i, *entries)
    out.row, out.col, out.a, out.b, out.inferred = evidence.arrays()
    return out


class _Evidence:
    """Clients' evidence entries as they stream in, turned into arrays (confidences decayed to
    today) every EVIDENCE_CHUNK entries: a million clients hold ~77M entries, which as Python
    lists of numbers took ~10 GB and the process was killed for memory next to Neo4j."""

    def __init__(self, today: date):
        self.today = today
        self.parts: list[tuple[np.ndarray, ...]] = []
        self._empty()

    def _empty(self) -> None:
        self.row, self.col, self.level, self.conf = [], [], [], []
        self.as_of, self.stable, self.inferred = [], [], []  # yyyymmdd, stable trait, inferred

    def add(self, client_row: int, cols, levels, confidences, days, traits, inferences) -> None:
        self.row.extend([client_row] * len(cols))
        self.col.extend(cols)
        self.level.extend(levels)
        self.conf.extend(confidences)
        self.as_of.extend(days)
        self.stable.extend(traits)
        self.inferred.extend(inferences)
        if len(self.row) >= EVIDENCE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self.row:
            return
        conf = decay_many(np.asarray(self.conf, dtype=np.float64),
                          _ages(np.asarray(self.as_of, dtype=np.int64), self.today),
                          np.asarray(self.stable, dtype=bool), np.asarray(self.inferred, dtype=bool))
        self.parts.append((np.asarray(self.row, dtype=np.int32), np.asarray(self.col, dtype=np.int32),
                           np.asarray(self.level, dtype=np.float32), conf.astype(np.float32),
                           np.asarray(self.inferred, dtype=bool)))
        self._empty()

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Client row, competency column, level, decayed confidence and inferred of every entry."""
        self._flush()
        if not self.parts:
            return (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.float32),
                    np.zeros(0, bool))
        return tuple(np.concatenate(column) for column in zip(*self.parts))


def _ages(yyyymmdd: np.ndarray, today: date) -> np.ndarray:
    """Days from each date to today (a population has few distinct dates: each converted once)."""
    distinct, inverse = np.unique(yyyymmdd, return_inverse=True)
    days = np.array([(today - native_date(d)).days for d in distinct.tolist()],
                    dtype=np.float64)
    return days[inverse.reshape(-1)] if len(distinct) else np.zeros(0)


def _read_targets(driver: Driver, database: str, query: str, columns: dict, with_facts: bool = False) -> Targets:
    """Vacancies or occupations; `with_facts`: the query returns what a row shows (VACANCY_FACT_NAMES)."""
    out = _Rows()
    with read_session(driver, database, fetch_size=5000) as session:
        for i, rec in enumerate(session.run(query, columns=columns, default_importance=DEFAULT_IMPORTANCE,
                                              default_level=DEFAULT_REQUIRED_LEVEL)):
            out.keys.append(rec["key"])
            out.flags.append(rec["open"])
            out.lat.append(_nan(rec["lat"]))
            out.lon.append(_nan(rec["lon"]))
            out.hours.append(_nan(rec["hours"]))
            out.education.append(_target_education(rec))
            if with_facts:
                out.facts.append({name: rec[name] for name in VACANCY_FACT_NAMES})
            for col, required, importance, essential in rec["requirements"]:
                out.row.append(i)
                out.col.append(col)
                out.a.append(required)
                out.b.append(importance)
                out.essential.append(essential)
    entries = RequirementEntries(np.asarray(out.row, dtype=np.int32), np.asarray(out.col, dtype=np.int32),
                                 np.asarray(out.a, dtype=np.float32), np.asarray(out.b, dtype=np.float32),
                                 np.asarray(out.essential, dtype=bool))
    return Targets(out.keys, entries, np.asarray(out.flags, dtype=bool), out.xyz(), len(columns),
                   out.hours, out.education, out.facts or None)
