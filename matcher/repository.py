"""Cypher reads for matching: the details shown next to an index-ranked result.

The ranking itself runs on the in-memory index; these queries fetch, for the few rows shown, what
the index does not hold: labels, evidence provenance, gates and places. Parameterised only.
"""
from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from competency_atlas.names import labelled, name_in
from graph_schema.db import read
from matcher.profile_repository import PROFILE
from matcher.profile_store import evidence_rows

_LABELS = "MATCH (k:Competency) WHERE k.uri IN $uris RETURN k.uri AS uri, k.label_nl AS label_nl, k.label_en AS label_en"

# A ranked row's client facts. Other reads add columns of `c` to it: the stored profile below, a
# coach's latest decisions (api/match_repository.py), so that a page costs one read for both.
FACTS = """
MATCH (c:Client) WHERE c.key IN $clients
RETURN c.key AS key, coalesce(c.gate, 'matchable') AS gate, coalesce(c.gate_reasons, []) AS gate_reasons,
       c.location.latitude AS lat, c.location.longitude AS lon, c.region_code AS region,
       coalesce(c.preferred_occupations, []) AS preferred_occupations, c.travel_radius_km AS travel_radius_km"""
# Facts and the stored profile in one read, when a ranked page shows both for the same clients.
_CLIENTS = f"{FACTS},\n       {PROFILE} AS profile\n"

# What a ranked row or a gap's target shows about a vacancy (`v`), name -> expression: the match
# index holds them from its build (matcher/index_repository.py), this module reads them for a
# vacancy newer than it. One table for both, so the two never differ.
_VACANCY_FACTS = {"id": "{v}.id", "title": "{v}.title", "status": "{v}.status", "employer": "{v}.employer",
                  "hours": "{v}.hours_per_week", "lat": "{v}.location.latitude", "lon": "{v}.location.longitude",
                  "municipality": "{v}.municipality_code",
                  "occupation": "head([({v})-[:FOR_OCCUPATION]->(o:Occupation) | o.uri])"}
VACANCY_FACT_NAMES = tuple(_VACANCY_FACTS)


def vacancy_fact_columns(v: str) -> str:
    """The RETURN columns of the facts of the vacancy bound to `v`."""
    return ", ".join(f"{expression.format(v=v)} AS {name}" for name, expression in _VACANCY_FACTS.items())


_VACANCIES = f"MATCH (v:Vacancy) WHERE v.id IN $ids\nRETURN {vacancy_fact_columns('v')}"

_OCCUPATIONS = """
MATCH (o:Occupation) WHERE o.uri IN $uris
OPTIONAL MATCH (o)-[:IN_ISCO_GROUP]->(g:IscoGroup)
RETURN o.uri AS uri, o.label_nl AS label_nl, o.label_en AS label_en, coalesce(o.isco_code, g.code) AS isco
"""

_WORK_HISTORY = """
MATCH (c:Client {key: $client})-[:WORKED_AS]->(o:Occupation)
OPTIONAL MATCH (o)-[s:SIMILAR_TO]->(alt:Occupation)
RETURN o.uri AS occupation, coalesce(o.isco_code, '') AS isco,
       collect({uri: alt.uri, score: s.score}) AS similar
"""


def competency_labels(driver: Driver, database: str, uris: list[str], lang: str = "nl") -> dict[str, tuple[str, str]]:
    """uri -> (label, the language it is in, None for the uri standing in): a Dutch request falls
    back to English where the atlas has no Dutch label, and says so (competency_atlas/names.py)."""
    records, _, _ = read(driver, _LABELS, database, uris=uris)
    return {r["uri"]: name_in(r, lang, r["uri"]) for r in records}


@dataclass(frozen=True)
class ClientDetails:
    facts: dict  # gate and its reasons, place, region, preferred occupations, travel radius
    profile: dict  # the stored profile properties, for the provenance of the evidence shown


def client_details(driver: Driver, database: str, clients: list[str],
                   provenance: bool = True) -> dict[str, ClientDetails]:
    """Facts, and with `provenance` the stored profile: reading and unpacking 20 profiles of ~100
    entries was a third of a ranked page, for evidence only the CLI shows."""
    records, _, _ = read(driver, _CLIENTS if provenance else FACTS, database, clients=clients)
    out = {}
    for r in records:
        facts = dict(r)
        out[r["key"]] = ClientDetails(facts, facts.pop("profile", {}))
    return out


def provenance(client: str, details: ClientDetails, uris) -> dict[str, dict]:
    """competency -> level, confidence, sources, date and inferred flag of one client's evidence
    for the competencies in `uris`. Pure."""
    return {e["competency"]: {"client": client, **e} for e in evidence_rows(details.profile, set(uris))}


def vacancy_facts(driver: Driver, database: str, ids: list[str]) -> dict[str, dict]:
    records, _, _ = read(driver, _VACANCIES, database, ids=ids)
    return {r["id"]: dict(r) for r in records}


def occupation_facts(driver: Driver, database: str, uris: list[str], lang: str = "nl") -> dict[str, dict]:
    """uri -> {uri, label, label_lang, isco}: the label in `lang` as competency_atlas/names.py picks it."""
    records, _, _ = read(driver, _OCCUPATIONS, database, uris=uris)
    return {r["uri"]: {"uri": r["uri"], **labelled(r, lang, None), "isco": r["isco"]}
            for r in records}


def work_history(driver: Driver, database: str, client: str) -> list[dict]:
    records, _, _ = read(driver, _WORK_HISTORY, database, client=client)
    return [dict(r) for r in records]
