"""Neo4j adapter for instrument profiles: the only module with Cypher about instruments.

Writes (:Instrument)-[:HAS_SCALE]->(:Scale)-[:MAPS_TO {weight, match}]->(:Competency).
Competencies are MATCHed, never created: the atlas owns them. A mapping whose competency is
not in the graph is reported as missing instead of silently dropped or invented.
Re-loading is idempotent; a changed profile replaces its scales and mappings cleanly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from competency_atlas.instrument_profiles import InstrumentProfile
from graph_schema.db import read, write_session


@dataclass(frozen=True)
class InstrumentLoadSummary:
    instruments: int
    scales: int
    maps_to: int
    missing: list[dict] = field(default_factory=list)  # {scale, competency} not found as :Competency

    def as_dict(self) -> dict:
        return {"instruments": self.instruments, "scales": self.scales, "maps_to": self.maps_to,
                "missing_competencies": len(self.missing), "missing": self.missing}


def instrument_rows(profiles: dict[str, InstrumentProfile]) -> tuple[list[dict], list[dict], list[dict]]:
    """Plain rows for the three UNWIND writes (pure, so it is tested without a database)."""
    instruments, scales, mappings = [], [], []
    for p in profiles.values():
        instruments.append({"id": p.id, "version": p.version, "name_nl": p.name.nl, "name_en": p.name.en,
                            "owner": p.owner, "reference_mapping": p.reference_mapping,
                            "scale_keys": [f"{p.id}:{s.id}" for s in p.scales]})
        for s in p.scales:
            key = f"{p.id}:{s.id}"
            scales.append({"instrument_id": p.id, "key": key, "scale_id": s.id, "label_nl": s.label_nl,
                           "label_en": s.label_en, "theme": s.theme, "min": s.range.min, "max": s.range.max,
                           "direction": s.direction, "trait": s.trait, "kind": s.kind, "sensitive": s.sensitive})
            mappings += [{"key": key, "uri": m.competency, "weight": m.weight, "match": m.match} for m in s.maps_to]
    return instruments, scales, mappings


_WRITE_INSTRUMENTS = """
UNWIND $rows AS row
MERGE (i:Instrument {id: row.id})
SET i.version = row.version, i.name_nl = row.name_nl, i.name_en = row.name_en,
    i.owner = row.owner, i.reference_mapping = row.reference_mapping
WITH i, row
// Scales that the new profile no longer has go, with their mappings.
OPTIONAL MATCH (i)-[:HAS_SCALE]->(old:Scale) WHERE NOT old.key IN row.scale_keys
DETACH DELETE old
"""

_WRITE_SCALES = """
UNWIND $rows AS row
MATCH (i:Instrument {id: row.instrument_id})
MERGE (s:Scale {key: row.key})
SET s.instrument_id = row.instrument_id, s.scale_id = row.scale_id, s.label_nl = row.label_nl,
    s.label_en = row.label_en, s.theme = row.theme, s.min = row.min, s.max = row.max,
    s.direction = row.direction, s.trait = row.trait, s.kind = row.kind, s.sensitive = row.sensitive
MERGE (i)-[:HAS_SCALE]->(s)
WITH s
// Mappings are rewritten from the file on every load, so a removed mapping disappears.
OPTIONAL MATCH (s)-[old:MAPS_TO]->()
DELETE old
"""

_WRITE_MAPPINGS = """
UNWIND $rows AS row
MATCH (s:Scale {key: row.key})
OPTIONAL MATCH (c:Competency {uri: row.uri})
FOREACH (_ IN CASE WHEN c IS NULL THEN [] ELSE [1] END |
  MERGE (s)-[m:MAPS_TO]->(c)
  SET m.weight = row.weight, m.match = row.match)
WITH row, c WHERE c IS NULL
RETURN row.key AS scale, row.uri AS competency
"""


def write_instruments(driver, profiles: dict[str, InstrumentProfile], database: str,
                      batch_size: int = 1000) -> InstrumentLoadSummary:
    """Writes all profiles in one transaction (a load never half-lands) and reports missing competencies."""
    instruments, scales, mappings = instrument_rows(profiles)
    missing: list[dict] = []
    with write_session(driver, database) as session:
        def work(tx):
            tx.run(_WRITE_INSTRUMENTS, rows=instruments).consume()
            for rows in _batches(scales, batch_size):
                tx.run(_WRITE_SCALES, rows=rows).consume()
            for rows in _batches(mappings, batch_size):
                missing.extend(record.data() for record in tx.run(_WRITE_MAPPINGS, rows=rows))
        session.execute_write(work)
    return InstrumentLoadSummary(len(instruments), len(scales), len(mappings) - len(missing), missing)


def count_instrument_graph(driver, database: str) -> dict:
    """Counts of what the load wrote, as read back from the graph."""
    query = """
    MATCH (i:Instrument) WITH count(i) AS instruments
    OPTIONAL MATCH (:Instrument)-[:HAS_SCALE]->(s:Scale) WITH instruments, count(s) AS scales
    OPTIONAL MATCH (:Scale)-[m:MAPS_TO]->(:Competency)
    RETURN instruments, scales, count(m) AS maps_to
    """
    return read(driver, query, database).records[0].data()


def _batches(rows: list[dict], size: int):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
