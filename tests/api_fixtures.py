"""Shared set-up for the API tests: an app on the real Neo4j, a token per role, and a small seeded
world written directly with Cypher (competencies, an occupation, vacancies, clients with
measurements, identities and assignments)."""
from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from datetime import date
from types import SimpleNamespace

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.access import Role
from api.app import create_app
from api.bench_api import free_port
from graph_schema.access_state import bump_access
from matcher.freshness import bump_generation
from matcher.profile import CompetencyEstimate
from matcher.profile_repository import set_profiles
from matcher.profile_store import encode

SKILLS = ["onet:2.A.1.a", "onet:2.B.1.a", "onet:1.C.1.a", "onet:2.A.2.a"]
OCC = "http://data.europa.eu/esco/occupation/test-cook"
NAME_1, NAME_2 = "Anna de Vries", "Bram Jansen"

SEED = """
UNWIND $skills AS s CREATE (:Competency {uri: s, label_en: 'skill ' + s, label_nl: 'vaardigheid ' + s});
"""

SEED_WORLD = """
MATCH (a:Competency {uri: 'onet:2.A.1.a'}), (b:Competency {uri: 'onet:2.B.1.a'}),
      (c:Competency {uri: 'onet:1.C.1.a'}), (d:Competency {uri: 'onet:2.A.2.a'})
CREATE (o:Occupation {uri: $occ, label_en: 'cook', label_nl: 'kok'})
CREATE (o)-[:REQUIRES {relation: 'essential', required_level: 0.6, importance: 1.0}]->(a)
CREATE (o)-[:REQUIRES {relation: 'essential', required_level: 0.5, importance: 1.0}]->(b)
CREATE (o)-[:REQUIRES {relation: 'optional', required_level: 0.5, importance: 1.0}]->(c)
CREATE (v1:Vacancy {id: 'V-1', title: 'Kok', status: 'open', region_code: 'WR12', municipality_code: 'GM0344',
                    location: point({latitude: 52.09, longitude: 5.12})})
CREATE (v2:Vacancy {id: 'V-2', title: 'Zelfstandig kok', status: 'open', region_code: 'WR12'})
CREATE (v1)-[:FOR_OCCUPATION]->(o), (v2)-[:FOR_OCCUPATION]->(o)
CREATE (:Desk {subject: 'desk-1', regions: ['WR12']})  // the employer desk works for the vacancies' region
FOREACH (v IN [v1, v2] |
  CREATE (v)-[:REQUIRES {origin: 'profile', relation: 'essential', required_level: 0.6, importance: 1.0}]->(a)
  CREATE (v)-[:REQUIRES {origin: 'profile', relation: 'essential', required_level: 0.5, importance: 1.0}]->(b)
  CREATE (v)-[:REQUIRES {origin: 'text', relation: 'optional', required_level: 0.5, importance: 1.0}]->(c))
WITH a, b, c, d
UNWIND $clients AS row
CREATE (cl:Client {key: row.key, gate: row.gate, gate_measured: true, gate_reasons: row.reasons, gate_sources: [],
                   region_code: 'WR12', client_profile: 'A1', location: point({latitude: 52.1, longitude: 5.1})})
CREATE (m:Measurement {id: 'M-' + row.key, client_key: row.key, instrument: 'abc', measured_at: date('2024-04-12'),
                       scale_ids: ['samenwerken'], raw_scores: [7.0], levels: [0.7], blocks_json: '{}',
                       sensitive_json: '{"blocks": {"cluster": "G2", "stressors": {"dwang": 3}}, '
                                       + '"scores": {"stabiliteit": {"raw": 7.0, "level": 0.67}}}'})
CREATE (cl)-[:HAS_MEASUREMENT]->(m)
CREATE (:ClientIdentity {client_key: row.key, name: row.name, email: row.email})-[:IDENTIFIES]->(cl)
FOREACH (coach IN row.coaches | MERGE (co:Coach {id: coach}) CREATE (co)-[:COACHES]->(cl))
FOREACH (adv IN row.advisors | MERGE (ad:CtcAdvisor {id: adv}) CREATE (cl)-[:REFERRED_TO]->(ad))
"""

CLIENTS = [
    {"key": "K-1", "gate": "matchable", "reasons": [], "name": NAME_1, "email": "anna@example.nl", "a": 0.8, "b": 0.6,
     "coaches": ["coach-a"], "advisors": ["advisor-a"]},
    {"key": "K-2", "gate": "matchable", "reasons": [], "name": NAME_2, "email": "bram@example.nl", "a": 0.7, "b": 0.2,
     "coaches": ["coach-b"], "advisors": []},
    {"key": "K-3", "gate": "not_matchable", "reasons": ["ABC cluster G7"], "name": "Cor Bakker",
     "email": "cor@example.nl", "a": 0.9, "b": 0.9, "coaches": ["coach-a"], "advisors": []},
]

SUBJECTS = {"coach": "coach-a", "coach_b": "coach-b", "ctc_advisor": "advisor-a", "employer_desk": "desk-1",
            "admin": "admin-1"}


def seed_world(driver, database: str, clients=CLIENTS) -> None:
    driver.execute_query(SEED, skills=SKILLS, database_=database)
    driver.execute_query(SEED_WORLD, occ=OCC, clients=clients, database_=database)
    with driver.session(database=database) as session:
        session.execute_write(set_profiles, [{"key": c["key"], "props": encode(_profile(c))} for c in clients])
        session.execute_write(bump_generation)  # tell the matcher's index the graph changed
        session.execute_write(bump_access)  # and the API's held caseloads


def _profile(client: dict) -> dict[str, CompetencyEstimate]:
    """Evidence 'a' and 'b' (when given) on the first two skills, from the client's measurement."""
    return {uri: CompetencyEstimate(uri, client[field], 0.7, date(2024, 4, 12), False, ("M-" + client["key"],),
                                    "trainable")
            for field, uri in (("a", SKILLS[0]), ("b", SKILLS[1])) if client.get(field) is not None}


def api_settings(settings, tmp_path, **overrides):
    # The throttle's burst is raised: the access tests probe hundreds of foreign keys on purpose.
    return dataclasses.replace(settings, **{
        "work_dir": tmp_path, "api_tokens_file": tmp_path / "tokens.json", "api_semantic": False,
        "api_warm_index": False, "pseudonym_secret": "test-secret", "api_throttle_burst": 100_000, **overrides})


@pytest.fixture
def api(clean_db, settings, tmp_path):
    s = api_settings(settings, tmp_path, mi_min_group=2)
    app = create_app(s)
    seed_world(clean_db, s.neo4j_database)
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {}
        for label, subject in SUBJECTS.items():
            role = Role.COACH if label == "coach_b" else Role(label)
            tokens[label], _ = app.state.tokens.create(subject, role, label)
        yield SimpleNamespace(client=client, app=app, driver=clean_db, db=s.neo4j_database, tokens=tokens,
                              settings=s, h=lambda who: {"Authorization": f"Bearer {tokens[who]}"})


def audit_count(api, key: str | None = None) -> int:
    records, _, _ = api.driver.execute_query(
        "MATCH (a:AuditEntry) WHERE $key IS NULL OR a.client_key = $key RETURN count(a) AS n", key=key,
        database_=api.db)
    return records[0]["n"]


@contextlib.contextmanager
def served(app):
    """`app` served by uvicorn in a thread on a free loopback port: yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_until_answering(url: str, server, timeout_s: float = 60) -> None:
    """Until `url` answers 200, as long as the `server` process (a Popen) still runs."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and server.poll() is None, f"{url} did not come up"
        time.sleep(0.2)
