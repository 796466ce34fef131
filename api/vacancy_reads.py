"""Neo4j reads of vacancies for the API (the writes are ingest/vacancy_repository.py)."""
from __future__ import annotations

from neo4j import Driver

from api.access import DeskScope
from api.values import plain
from competency_atlas.names import labelled
from graph_schema.db import read

_FIELDS = """.id, .title, .status, .employer, .employment_type, .hours_per_week, .date_posted, .valid_through,
             .postcode, .municipality_code, .municipality_name, .region_code, .region_name, .lang,
             .occupation_confidence, .needs_review, .version, .updated_at"""

_LIST = f"""
MATCH (v:Vacancy)
WHERE ($status IS NULL OR v.status = $status) AND ($region IS NULL OR v.region_code = $region)
  AND ($municipality IS NULL OR v.municipality_code = $municipality)
  AND ($desk IS NULL OR v.region_code IN $desk_regions OR v.added_by = $desk)  // DeskScope.covers
  AND ($q IS NULL OR toLower(v.title) CONTAINS $q OR toLower(v.employer) CONTAINS $q OR toLower(v.id) STARTS WITH $q)
// newest first puts vacancies without a date last (a descending sort puts nulls first)
WITH v ORDER BY CASE WHEN $newest_first THEN coalesce(v.date_posted, date('0001-01-01')) END DESC, v.id
WITH collect(v) AS rows
RETURN size(rows) AS total, [v IN rows[$offset..$offset + $limit] |
       v {{{_FIELDS}, occupation: [(v)-[:FOR_OCCUPATION]->(o:Occupation) | o.uri][0]}}] AS items
"""

_ONE = f"""
MATCH (v:Vacancy {{id: $id}})
RETURN v {{{_FIELDS}, .description}} AS vacancy,
       [(v)-[:FOR_OCCUPATION]->(o:Occupation) | o {{.uri, .label_en, .label_nl}}][0] AS occupation,
       [(v)-[r:REQUIRES]->(k:Competency) | {{uri: k.uri, label_nl: k.label_nl, label_en: k.label_en,
         relation: r.relation, required_level: r.required_level, importance: r.importance, origin: r.origin}}]
         AS requirements
"""


def list_vacancies(driver: Driver, database: str, *, status: str | None, region: str | None,
                   municipality: str | None, offset: int, limit: int,
                   scope: DeskScope | None = None, q: str | None = None,
                   newest_first: bool = False) -> tuple[int, list[dict]]:
    """A page of vacancies by identifier, or the most recently posted first; `scope`: only those an
    employer desk works for (api/access.py); `q`: words in the title or the employer's name, or the
    identifier's start (a desk numbers its vacancies in series), in any case."""
    records, _, _ = read(driver, _LIST, database, status=status, region=region, municipality=municipality,
                         offset=offset, limit=limit, q=q.strip().lower() if q and q.strip() else None,
                         newest_first=newest_first,
                         desk=scope.subject if scope else None,
                         desk_regions=sorted(scope.regions) if scope else [])
    return records[0]["total"], [plain(i) for i in records[0]["items"]]


def get_vacancy(driver: Driver, database: str, vacancy_id: str) -> dict | None:
    records, _, _ = read(driver, _ONE, database, id=vacancy_id)
    if not records:
        return None
    r = records[0]
    return plain({**r["vacancy"], "occupation": r["occupation"],
                  "requirements": sorted((_named(q) for q in r["requirements"]), key=lambda x: x["uri"])})


def _named(requirement: dict) -> dict:
    """A requirement named in Dutch where the atlas can (competency_atlas/names.py), saying in which language."""
    rest = {k: v for k, v in requirement.items() if k not in ("label_nl", "label_en")}
    return {**rest, **labelled(requirement, "nl", requirement["uri"])}
