"""Loads the foundation slice (examples/slice/slice.json) into the graph.

A hand-written miniature of the whole path: atlas, measurements, a vacancy. The full atlas,
ingest and matcher issues replace these internals; the graph shapes are the real ones.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from neo4j import Driver, ManagedTransaction

from graph_schema.settings import PROJECT_ROOT
from matcher.profile import CompetencyEstimate
from matcher.profile_repository import set_profiles
from matcher.profile_store import encode

SLICE_FILE = PROJECT_ROOT / "examples" / "slice" / "slice.json"
SCALE_MIN, SCALE_MAX = 1, 5

_LOAD = """
UNWIND $competencies AS c
MERGE (n:Competency {uri: c.uri}) SET n.label_en = c.label_en, n.label_nl = c.label_nl, n.kind = 'slice'
WITH count(*) AS _
UNWIND $occupations AS o
MERGE (occ:Occupation {uri: o.uri}) SET occ.label_en = o.label_en, occ.label_nl = o.label_nl
WITH occ, o
UNWIND o.requirements AS r
MATCH (c:Competency {uri: r.competency})
MERGE (occ)-[req:REQUIRES]->(c)
SET req.relation = r.relation, req.importance = r.importance, req.required_level = r.required_level,
    req.sources = ['slice']
WITH count(*) AS _
UNWIND $measurements AS m
MERGE (cl:Client {key: m.client})
MERGE (ms:Measurement {id: m.id})
SET ms.instrument = m.instrument, ms.measured_at = date(m.measured_at), ms.client_key = m.client
MERGE (cl)-[:HAS_MEASUREMENT]->(ms)
WITH cl, ms, m
UNWIND m.scores AS s
MATCH (c:Competency {uri: s.competency})
MERGE (ms)-[sc:SCORES]->(c)
SET sc.raw = s.raw, sc.level = s.level
WITH count(*) AS _
UNWIND $vacancies AS v
MATCH (occ:Occupation {uri: v.occupation})
MERGE (vac:Vacancy {id: v.id}) SET vac.title = v.title, vac.status = 'open'
MERGE (vac)-[:FOR_OCCUPATION]->(occ)
WITH vac, occ
MATCH (occ)-[r:REQUIRES]->(c:Competency)
MERGE (vac)-[vr:REQUIRES]->(c)
SET vr.origin = 'inherited', vr.relation = r.relation, vr.importance = r.importance,
    vr.required_level = r.required_level
"""


def level_from_score(raw: float) -> float:
    """A 1-5 instrument score as a level in [0, 1]."""
    return (raw - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)


def slice_parameters(data: dict) -> dict:
    measurements = [
        {"client": client["key"], "id": m["id"], "instrument": m["instrument"],
         "measured_at": m["measured_at"],
         "scores": [{"competency": uri, "raw": raw, "level": level_from_score(raw)}
                    for uri, raw in m["scores"].items()]}
        for client in data["clients"] for m in client["measurements"]
    ]
    return {"competencies": data["competencies"], "occupations": data["occupations"],
            "measurements": measurements, "vacancies": data["vacancies"]}


def slice_profiles(measurements: list[dict]) -> list[dict]:
    """The slice's profile rule: the newest score per competency, at full confidence."""
    newest: dict[str, dict[str, CompetencyEstimate]] = {}
    for m in sorted(measurements, key=lambda m: (m["measured_at"], m["id"])):
        profile = newest.setdefault(m["client"], {})
        for s in m["scores"]:
            profile[s["competency"]] = CompetencyEstimate(s["competency"], s["level"], 1.0,
                                                          date.fromisoformat(m["measured_at"]), False,
                                                          (m["id"],), "trainable")
    return [{"key": key, "props": encode(profile)} for key, profile in sorted(newest.items())]


def _write(tx: ManagedTransaction, parameters: dict) -> None:
    tx.run(_LOAD, parameters).consume()
    set_profiles(tx, slice_profiles(parameters["measurements"]))


def load_slice(driver: Driver, database: str, path: Path = SLICE_FILE) -> dict:
    data = json.loads(path.read_text())
    parameters = slice_parameters(data)
    with driver.session(database=database) as session:
        session.execute_write(_write, parameters)
    return {"clients": len(data["clients"]), "occupations": len(data["occupations"]),
            "vacancies": len(data["vacancies"])}
