"""Shared set-up for the measurement graph tests: the few atlas nodes a profile needs."""
from __future__ import annotations

from competency_atlas.instrument_profiles import load_profiles
from matcher.profile import CompetencyEstimate
from matcher.profile_repository import PROFILE
from matcher.profile_store import decode

WAREHOUSE = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
CALL_CENTRE = "http://data.europa.eu/esco/occupation/0ededdc2-050a-4ec3-8e70-6295105fcd19"
FORKLIFT = "http://data.europa.eu/esco/skill/test-operate-forklift"
STOCK = "http://data.europa.eu/esco/skill/test-stock"
OPTIONAL = "http://data.europa.eu/esco/skill/test-optional"


def seed_atlas(driver, database: str = "neo4j") -> set[str]:
    """Competency stubs for every mapped URI of the shipped instruments and certificates, two
    occupations with essential and optional skills and an O*NET requirement, and a Dutch label for
    title look-up. Returns the competency URIs."""
    from competency_atlas.certificates import load_certificates

    uris = {m.competency for p in load_profiles().values() for s in p.scales for m in s.maps_to}
    uris |= {m.competency for c in load_certificates() for m in c.maps_to}
    uris |= {FORKLIFT, STOCK, OPTIONAL}
    driver.execute_query("UNWIND $uris AS u MERGE (:Competency {uri: u})", uris=sorted(uris), database_=database)
    driver.execute_query("""
        UNWIND $occ AS o MERGE (x:Occupation {uri: o.uri}) SET x.label_en = o.en, x.label_nl = o.nl
        """, occ=[{"uri": WAREHOUSE, "en": "warehouse worker", "nl": "magazijnmedewerker"},
                  {"uri": CALL_CENTRE, "en": "call centre agent", "nl": "callcentermedewerker"}], database_=database)
    driver.execute_query("""
        UNWIND $rows AS r MATCH (o:Occupation {uri: r.o}), (c:Competency {uri: r.c})
        MERGE (o)-[:REQUIRES {relation: r.rel}]->(c)
        """, rows=[{"o": WAREHOUSE, "c": FORKLIFT, "rel": "essential"}, {"o": WAREHOUSE, "c": STOCK, "rel": "essential"},
                   {"o": WAREHOUSE, "c": OPTIONAL, "rel": "optional"}, {"o": WAREHOUSE, "c": "onet:2.A.1.d", "rel": "essential"},
                   {"o": CALL_CENTRE, "c": STOCK, "rel": "essential"}], database_=database)
    return uris


def counts(driver, database: str = "neo4j") -> dict:
    """Every label and relationship type with its count, plus a content fingerprint of the
    profile relationships: what 'nothing changed' is checked against."""
    nodes = driver.execute_query("MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS n", database_=database)[0]
    rels = driver.execute_query("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS n", database_=database)[0]
    out = {f"node:{r['l']}": r["n"] for r in nodes if r["l"] not in ("IngestRun",)}
    out.update({f"rel:{r['t']}": r["n"] for r in rels})
    out["profile"] = sorted((key, tuple(map(str, e))) for key in client_keys(driver, database)
                            for e in profile_of(driver, key, database).values())
    return out


def client_keys(driver, database: str = "neo4j") -> list[str]:
    return [r["k"] for r in driver.execute_query("MATCH (c:Client) RETURN c.key AS k ORDER BY k", database_=database)[0]]


def profile_of(driver, key: str, database: str = "neo4j") -> dict[str, CompetencyEstimate]:
    """The client's stored profile, decoded as the matcher reads it."""
    records = driver.execute_query(f"MATCH (c:Client {{key: $key}}) RETURN {PROFILE} AS p", key=key,
                                   database_=database)[0]
    return decode(records[0]["p"]) if records else {}
