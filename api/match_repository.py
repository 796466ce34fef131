"""Neo4j reads for the API's matching endpoints. The scoring itself is matcher/scoring.py (pure).

Evidence is the client's derived profile, stored as arrays on the :Client node (read with
matcher/profile_store.py); requirements are (:Vacancy)-[:REQUIRES]->(:Competency) for a
vacancy and (:Occupation)-[:REQUIRES]->(:Competency) for an occupation (both {relation,
required_level, importance}).
"""
from __future__ import annotations

from neo4j import Driver

from api.access import Assignment
from api.client_repository import ASSIGNMENT_COLUMNS
from api.decision_repository import LATEST_DECISION_ON_REF, LATEST_DECISIONS, by_ref
from api.values import plain
from graph_schema.db import read
from matcher.repository import FACTS

_REQ = """{competency: k.uri, label: coalesce(k.label_en, k.label_nl, k.uri), label_nl: k.label_nl,
           required_level: r.required_level, importance: r.importance, essential: r.relation = 'essential'}"""

_VACANCY = """
MATCH (v:Vacancy {id: $id})
OPTIONAL MATCH (v)-[:FOR_OCCUPATION]->(o:Occupation)
RETURN v {.id, .title, .status, .employer, .municipality_code, .region_code, .location} AS vacancy,
       o.uri AS occupation"""

_OCCUPATION = """
MATCH (o:Occupation {uri: $uri})
RETURN o {.uri, .label_en, .label_nl} AS occupation"""

# Ranking and its explanations read requirements from the match index; these are for the rest
_VACANCY_REQUIREMENTS = f"{_VACANCY}, [(v)-[r:REQUIRES]->(k:Competency) | {_REQ}] AS requirements"
_OCCUPATION_REQUIREMENTS = f"{_OCCUPATION}, [(o)-[r:REQUIRES]->(k:Competency) | {_REQ}] AS requirements"

# With the assignment, so that whether the caller may see the client costs no read of its own, and
# the latest decisions, which a ranked page shows next to its advice.
_CLIENT = f"""
MATCH (c:Client {{key: $key}})
RETURN c.gate AS gate, c.gate_measured AS gate_measured, c.gate_reasons AS gate_reasons, c.location AS location,
       coalesce(c.preferred_occupations, []) AS preferred_occupations, c.travel_radius_km AS travel_radius_km,
       {ASSIGNMENT_COLUMNS}, {LATEST_DECISIONS} AS decisions
"""

# A coach's page of candidates: the rows' client facts and each client's latest decision on this
# shortlist in one read (two before).
_CANDIDATES = f"""{FACTS},
       {LATEST_DECISION_ON_REF} AS decisions
"""


def vacancy(driver: Driver, database: str, vacancy_id: str) -> dict | None:
    """The vacancy's fields, occupation and requirements (a ranked page or a gap's target reads
    a vacancy's facts through the match service, which keeps them)."""
    records, _, _ = read(driver, _VACANCY_REQUIREMENTS, database, id=vacancy_id)
    if not records:
        return None
    r = records[0]
    return {"vacancy": plain(r["vacancy"]), "occupation": r["occupation"],
            "requirements": list(r.get("requirements") or [])}


def occupation(driver: Driver, database: str, uri: str, requirements: bool = False) -> dict | None:
    records, _, _ = read(driver, _OCCUPATION_REQUIREMENTS if requirements else _OCCUPATION, database, uri=uri)
    if not records:
        return None
    r = records[0]
    return {"occupation": dict(r["occupation"]), "requirements": list(r.get("requirements") or [])}


def client(driver: Driver, database: str, key: str) -> dict | None:
    records, _, _ = read(driver, _CLIENT, database, key=key)
    if not records:
        return None
    r = records[0]
    return {"key": key, "gate": r["gate"], "gate_measured": r["gate_measured"], "gate_reasons": list(r["gate_reasons"] or []),
            "location": r["location"],
            "preferred_occupations": list(r["preferred_occupations"]), "travel_radius_km": r["travel_radius_km"],
            "assignment": Assignment(frozenset(r["coaches"]), frozenset(r["advisors"])),
            "decisions": by_ref(r["decisions"])}


def candidates_with_decisions(driver: Driver, database: str, keys: list[str],
                              ref: str) -> dict[str, tuple[dict, dict | None]]:
    """client key -> (its facts as a ranked row needs them, its latest decision on advice `ref` or None)."""
    records, _, _ = read(driver, _CANDIDATES, database, clients=keys, ref=ref)
    out = {}
    for r in records:
        facts = dict(r)
        out[r["key"]] = (facts, by_ref(facts.pop("decisions")).get(ref))
    return out
