"""Cypher reads for matching. Parameterised queries only; the scoring happens in Python."""
from __future__ import annotations

from neo4j import Driver

_VACANCY_REQUIREMENTS = """
MATCH (v:Vacancy {id: $vacancy})-[:FOR_OCCUPATION]->(o:Occupation)-[r:REQUIRES]->(c:Competency)
RETURN v.title AS title, c.uri AS competency, coalesce(c.label_en, c.uri) AS label,
       r.required_level AS required_level, coalesce(r.importance, 1.0) AS importance,
       r.relation = 'essential' AS essential
ORDER BY competency
"""

# Per client and competency the newest scored measurement: the slice's evidence rule.
_EVIDENCE = """
MATCH (cl:Client)-[:HAS_MEASUREMENT]->(m:Measurement)-[s:SCORES]->(c:Competency)
WHERE c.uri IN $competencies
WITH cl, c, m, s ORDER BY m.measured_at DESC
WITH cl, c, head(collect({level: s.level, instrument: m.instrument, measured_at: m.measured_at})) AS e
RETURN cl.key AS client, c.uri AS competency, e.level AS level, e.instrument AS instrument,
       e.measured_at AS measured_at
"""


def vacancy_requirements(driver: Driver, database: str, vacancy_id: str) -> tuple[str | None, list[dict]]:
    records, _, _ = driver.execute_query(_VACANCY_REQUIREMENTS, vacancy=vacancy_id, database_=database)
    title = records[0]["title"] if records else None
    return title, [dict(r) for r in records]


def client_evidence(driver: Driver, database: str, competencies: list[str]) -> list[dict]:
    records, _, _ = driver.execute_query(_EVIDENCE, competencies=competencies, database_=database)
    return [dict(r) for r in records]
