"""Latency of the matching endpoints under a small concurrent load on loopback.

Seeds a synthetic population straight into the graph (N clients with evidence on a shared set
of competencies, V open vacancies), starts nothing itself: point it at a running API
(`atlas-match serve`) with an admin and a coach token. Prints one JSON object.
Usage: python -m api.latency --url http://127.0.0.1:8790 --admin-token ... --coach coach-bench --coach-token ...
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx

from graph_schema.access_state import bump_access_after_bulk
from graph_schema.db import connect
from graph_schema.settings import settings
from matcher.freshness import bump_generation
from matcher.profile import CompetencyEstimate
from matcher.profile_repository import set_profiles
from matcher.profile_store import encode

_SEED = """
UNWIND range(0, $k - 1) AS i MERGE (:Competency {uri: 'bench:c' + i});
"""
_CLIENTS = """
UNWIND $rows AS r
MERGE (c:Client {key: r.key}) SET c.gate = 'matchable', c.gate_reasons = [], c.region_code = 'WR99'
MERGE (co:Coach {id: $coach}) MERGE (co)-[:COACHES]->(c)
"""
_VACANCIES = """
UNWIND $rows AS r
MERGE (v:Vacancy {id: r.id}) SET v.title = 'bench ' + r.id, v.status = 'open', v.region_code = 'WR99'
WITH v, r UNWIND r.req AS q
MATCH (k:Competency {uri: q})
MERGE (v)-[e:REQUIRES]->(k) SET e.relation = 'essential', e.required_level = 0.6, e.importance = 1.0
"""


def seed(n_clients: int, n_vacancies: int, coach: str, k: int = 40, seed_: int = 1) -> None:
    rnd = random.Random(seed_)
    s = settings()
    with connect(s) as driver:
        driver.execute_query(_SEED, k=k, database_=s.neo4j_database)
        as_of = date(2024, 1, 1)
        rows = [{"key": f"B-{i:06d}", "props": encode({
                    f"bench:c{j}": CompetencyEstimate(f"bench:c{j}", round(rnd.random(), 3), 0.7, as_of, False, (),
                                                      "trainable") for j in rnd.sample(range(k), 8)})}
                for i in range(n_clients)]
        for i in range(0, len(rows), 1000):
            driver.execute_query(_CLIENTS, rows=rows[i:i + 1000], coach=coach, database_=s.neo4j_database)
            with driver.session(database=s.neo4j_database) as session:
                session.execute_write(set_profiles, rows[i:i + 1000])
        vrows = [{"id": f"BV-{i:04d}", "req": [f"bench:c{j}" for j in rnd.sample(range(k), 6)]}
                 for i in range(n_vacancies)]
        driver.execute_query(_VACANCIES, rows=vrows, database_=s.neo4j_database)
        bump_access_after_bulk(driver, s.neo4j_database)
        with driver.session(database=s.neo4j_database) as session:
            session.execute_write(bump_generation)  # a running API rebuilds its match index


def measure(url: str, token: str, paths: list[str], concurrency: int) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        client.get(paths[0])  # warm-up

        def one(path: str) -> tuple[float, int]:
            t = time.perf_counter()
            r = client.get(path)
            return (time.perf_counter() - t) * 1000, r.status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, paths))
        wall = time.perf_counter() - started
    ms = sorted(r[0] for r in results)
    return {"requests": len(ms), "concurrency": concurrency, "errors": sum(r[1] >= 400 for r in results),
            "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max_ms": round(ms[-1], 1), "throughput_rps": round(len(ms) / wall, 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--coach", default="coach-bench")
    p.add_argument("--coach-token", required=True)
    p.add_argument("--clients", type=int, default=2000)
    p.add_argument("--vacancies", type=int, default=100)
    p.add_argument("--requests", type=int, default=80)
    p.add_argument("--concurrency", type=int, default=8)
    a = p.parse_args()
    seed(a.clients, a.vacancies, a.coach)
    rnd = random.Random(2)
    out = {"clients": a.clients, "vacancies": a.vacancies}
    out["vacancy_candidates"] = measure(a.url, a.coach_token, [
        f"/vacancies/BV-{rnd.randrange(a.vacancies):04d}/candidates?limit=20" for _ in range(a.requests)], a.concurrency)
    out["client_vacancies"] = measure(a.url, a.coach_token, [
        f"/clients/B-{rnd.randrange(a.clients):06d}/vacancies?limit=20" for _ in range(a.requests)], a.concurrency)
    out["client_gap"] = measure(a.url, a.coach_token, [
        f"/clients/B-{rnd.randrange(a.clients):06d}/gap?vacancy_id=BV-{rnd.randrange(a.vacancies):04d}"
        for _ in range(a.requests)], a.concurrency)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
