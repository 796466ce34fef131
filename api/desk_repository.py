"""Neo4j reads and writes of employer desks' regions and of whose vacancy is whose (api/access.py)."""
from __future__ import annotations

from neo4j import Driver

from graph_schema.db import read

_REGIONS = "MATCH (d:Desk {subject: $subject}) RETURN d.regions AS regions"

_SET_REGIONS = """
MERGE (d:Desk {subject: $subject})
SET d.regions = $regions, d.updated_at = datetime(), d.updated_by = $by
"""

_DESKS = "MATCH (d:Desk) RETURN d.subject AS subject, d.regions AS regions ORDER BY subject"

_BUSIEST = """
MATCH (v:Vacancy {status: 'open'}) WHERE v.region_code IS NOT NULL
RETURN v.region_code AS region, count(*) AS n ORDER BY n DESC, region LIMIT $top
"""

# A desk's regions and one vacancy's owner in one round trip (every desk request about a vacancy)
_REGIONS_AND_OWNER = """
OPTIONAL MATCH (d:Desk {subject: $subject})
OPTIONAL MATCH (v:Vacancy {id: $id})
RETURN d.regions AS regions, v IS NOT NULL AS found, v.region_code AS region, v.added_by AS added_by
"""


def regions(driver: Driver, database: str, subject: str) -> list[str]:
    """The labour-market region codes a desk serves ([] when no admin gave it any)."""
    records, _, _ = read(driver, _REGIONS, database, subject=subject)
    return list(records[0]["regions"] or []) if records else []


def set_regions(driver: Driver, database: str, subject: str, codes: list[str], by: str) -> None:
    driver.execute_query(_SET_REGIONS, subject=subject, regions=sorted(set(codes)), by=by, database_=database)


def desks(driver: Driver, database: str) -> list[dict]:
    records, _, _ = read(driver, _DESKS, database)
    return [{"subject": r["subject"], "regions": list(r["regions"] or [])} for r in records]


def regions_and_owner(driver: Driver, database: str, subject: str,
                      vacancy_id: str) -> tuple[list[str], tuple[str | None, str | None] | None]:
    """A desk's regions, and the vacancy's (region code, added by) or None when there is none."""
    r = read(driver, _REGIONS_AND_OWNER, database, subject=subject, id=vacancy_id).records[0]
    return list(r["regions"] or []), ((r["region"], r["added_by"]) if r["found"] else None)


def busiest_regions(driver: Driver, database: str, top: int) -> list[str]:
    """The regions with the most open vacancies (the demo's desk serves these)."""
    records, _, _ = read(driver, _BUSIEST, database, top=top)
    return [r["region"] for r in records]
