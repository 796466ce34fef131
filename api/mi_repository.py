"""Neo4j aggregates for management information. Counts only — never a key, never a name; the
minimum group size is applied by api/services/mi.py on what these queries return.

Nothing here groups by coach: management information describes the client base and the labour
market, it is not a tool to police coaches.
"""
from __future__ import annotations

from neo4j import Driver

from graph_schema.db import read

_CLIENT_BASE = """
MATCH (c:Client)
RETURN coalesce(c.gate, 'unknown') AS gate, coalesce(c.client_profile, 'unknown') AS profile,
       coalesce(c.region_code, 'unknown') AS region, count(*) AS clients
ORDER BY gate, profile, region
"""

_GROUP_SIZE = """
MATCH (c:Client) WHERE c.gate IN $gates AND ($region IS NULL OR c.region_code = $region)
RETURN count(c) AS clients
"""

_REGION_REQUIREMENTS = """
MATCH (v:Vacancy {status: 'open', region_code: $region})-[r:REQUIRES]->(k:Competency)
RETURN k.uri AS uri, coalesce(k.label_en, k.label_nl, k.uri) AS label,
       avg(coalesce(r.required_level, $default_level)) AS required_level, count(DISTINCT v) AS vacancies
"""

_OCCUPATION_REQUIREMENTS = """
MATCH (o:Occupation {uri: $uri})-[r:REQUIRES]->(k:Competency)
RETURN k.uri AS uri, coalesce(k.label_en, k.label_nl, k.uri) AS label,
       coalesce(r.required_level, $default_level) AS required_level,
       COUNT { (o)<-[:FOR_OCCUPATION]-(:Vacancy {status: 'open'}) } AS vacancies
"""

# Missing = the evidence shows less than the partly-met share of the required level (the same
# rule as matcher/scoring.py); no evidence is unknown, not missing.
_SHORTFALLS = """
MATCH (c:Client)
WHERE c.gate IN $gates AND ($region IS NULL OR c.region_code = $region)
UNWIND range(0, size(coalesce(c.profile_competencies, [])) - 1) AS i
WITH c.profile_competencies[i] AS uri, c.profile_levels[i] AS level
WHERE uri IN keys($missing_below)
RETURN uri, count(*) AS with_evidence, count(CASE WHEN level < $missing_below[uri] THEN 1 END) AS missing
"""


def client_base(driver: Driver, database: str) -> list[dict]:
    records, _, _ = read(driver, _CLIENT_BASE, database)
    return [dict(r) for r in records]


def group_size(driver: Driver, database: str, gates: list[str], region: str | None) -> int:
    records, _, _ = read(driver, _GROUP_SIZE, database, gates=gates, region=region)
    return records[0]["clients"]


def region_requirements(driver: Driver, database: str, region: str, default_level: float) -> list[dict]:
    records, _, _ = read(driver, _REGION_REQUIREMENTS, database, region=region, default_level=default_level)
    return [dict(r) for r in records]


def occupation_requirements(driver: Driver, database: str, uri: str, default_level: float) -> list[dict]:
    records, _, _ = read(driver, _OCCUPATION_REQUIREMENTS, database, uri=uri, default_level=default_level)
    return [dict(r) for r in records]


def shortfalls(driver: Driver, database: str, missing_below: dict[str, float], gates: list[str],
               region: str | None) -> dict[str, dict]:
    """Per requirement (uri -> the level below which it is "missing", matcher/scoring.py): clients
    with evidence, and those whose level is missing."""
    records, _, _ = read(driver, _SHORTFALLS, database, missing_below=missing_below, gates=gates, region=region)
    found = {r["uri"]: {"with_evidence": r["with_evidence"], "missing": r["missing"]} for r in records}
    return {uri: found.get(uri, {"with_evidence": 0, "missing": 0}) for uri in missing_below}
