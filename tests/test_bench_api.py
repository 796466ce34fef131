"""`atlas-match bench api` (api/bench_api.py): the pure figures, and every request kind of the load
mix answered by the real app on the API fixture world (signed in to the pages as the bench does)."""
from __future__ import annotations

import os
import random
import socket

import numpy as np
import pytest

from api.bench_api import (MIX, WRITE_SHARE, Load, LoadConnection, MemorySampler, Sample, build_request, extra_worker_mb,
                           figures, memory_growth, percentile, sign_in, soak_figures, summarise, waarneming_scales, worker_pids)
from api_fixtures import OCC, SKILLS, api, served  # noqa: F401  (fixture)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
def test_percentile_is_numpys_linear_interpolation(n):
    xs = np.random.default_rng(n).lognormal(3, 1, n).tolist()
    for q in (0, 50, 95, 99, 100):
        assert percentile(xs, q) == pytest.approx(float(np.percentile(xs, q)))
    assert percentile([], 95) is None


def test_summary_splits_reads_pages_and_writes_and_counts_errors():
    samples = ([Sample("client_vacancies", "read", float(ms), 200) for ms in range(1, 101)]
               + [Sample("vacancy_candidates", "read", 10.0, 200)] * 50 + [Sample("vacancy_candidates", "read", 30.0, 500)]
               + [Sample("page_client", "page", 200.0, 200), Sample("page_client", "page", 400.0, 0)]
               + [Sample("observation_post", "write", 5000.0, 200)])
    out = summarise(samples, wall_s=2.0)
    assert set(out["endpoints"]) == {"client_vacancies", "vacancy_candidates", "observation_post"}
    assert set(out["pages"]) == {"page_client"}
    assert out["endpoints"]["client_vacancies"]["p95_ms"] == pytest.approx(95.0, abs=0.1)
    assert out["read_p95_ms"] == out["endpoints"]["client_vacancies"]["p95_ms"]  # the slow write does not count
    assert out["pages_p95_ms"] == out["pages"]["page_client"]["p95_ms"] == pytest.approx(390.0)
    assert out["errors"] == 2 and out["errors_by_status"] == {"0": 1, "500": 1}
    assert out["endpoints"]["vacancy_candidates"]["errors"] == 1 and out["pages"]["page_client"]["errors"] == 1
    assert out["requests"] == len(samples) and out["throughput_rps"] == round(len(samples) / 2.0, 1)
    assert figures([], 0)["p95_ms"] is None


def test_extra_worker_memory_separates_private_from_shared():
    # two workers with private 2 GB indexes: each extra worker costs about a whole worker
    assert extra_worker_mb([2100.0, 2100.0], [2100.0, 2100.0]) == pytest.approx(2100.0)
    # one 2 GB index shared by three workers (PSS splits it), 150 MB private each
    shared = 2000.0 / 3 + 150.0
    assert extra_worker_mb([2150.0] * 3, [shared] * 3) == pytest.approx(150.0)
    assert extra_worker_mb([500.0], [400.0]) is None


def test_soak_memory_growth_counts_from_the_end_of_the_warm_up():
    samples = [{"t_s": 0.0, "api_rss_mb": 300.0, "neo4j_rss_mb": 900.0},
               {"t_s": 30.0, "api_rss_mb": 500.0, "neo4j_rss_mb": 1200.0},  # warming: index, caches, JVM heap
               {"t_s": 60.0, "api_rss_mb": 520.0, "neo4j_rss_mb": 1250.0},
               {"t_s": 600.0, "api_rss_mb": 546.0, "neo4j_rss_mb": 1500.0}]
    api_growth = memory_growth(samples, "api_rss_mb", warmup_s=60.0)
    assert api_growth == {"start": 300.0, "after_warmup": 520.0, "end": 546.0, "peak": 546.0, "growth_pct": 5.0}
    assert memory_growth(samples, "neo4j_rss_mb", 60.0)["growth_pct"] == 20.0
    assert memory_growth([{"t_s": 0.0, "neo4j_rss_mb": None}], "neo4j_rss_mb", 60.0) == {}
    result = {"seconds": 300.0, "memory_samples": samples, "errors": 0,
              "endpoints": {"client_gap": {"p95_ms": 12.0}}, "pages": {"page_client": {"p95_ms": 80.0}}}
    soak = soak_figures(result)
    assert soak["p95_ms"] == {"client_gap": 12.0, "page_client": 80.0} and soak["warmup_s"] == 60.0
    assert soak["goals_met"] == {"errors": True, "api_rss_mb_growth_le_10_pct": True,
                                 "neo4j_rss_mb_growth_le_10_pct": False}  # Neo4j grew 20 %; no anon samples


def test_the_memory_sampler_reads_this_process_and_a_given_pid():
    sampler = MemorySampler(os.getpid(), lambda: os.getpid(), every_s=60)
    sampler.sample(began=0.0)
    [sample] = sampler.samples
    assert sample["api_rss_mb"] > 10 and sample["neo4j_rss_mb"] == sample["api_rss_mb"]
    assert 0 < sample["api_anon_mb"] <= sample["api_rss_mb"]


def test_the_mix_is_five_percent_writes_and_names_the_worker_processes():
    weights = {kind: sum(w for k, w in MIX.values() if k == kind) for kind in ("read", "page", "write")}
    assert sum(weights.values()) == 100 and weights["write"] == round(100 * WRITE_SHARE)
    assert worker_pids(os.getpid()) == [os.getpid()]  # no uvicorn children: the process serves itself
    assert waarneming_scales()["onet:1.C.1.a"] == "prestatiegerichtheid"


def test_every_request_kind_of_the_mix_answers_through_the_load_connection(api):  # noqa: F811
    with served(api.app) as url:  # a real uvicorn, as the bench drives it
        c = LoadConnection(url, {"Authorization": f"Bearer {api.tokens['coach']}"}, timeout_s=30)
        sign_in(c, api.tokens["coach"])  # the pages' session cookie, CSRF and all
        assert c.cookies and c.get("/klanten").status_code == 200
        vacancies = [{"id": "V-1", "occupation": OCC, "requirements": SKILLS[:3]}]
        scale_ids = sorted(set(waarneming_scales().values()))
        rnd = random.Random(1)
        for name in MIX:
            method, path, body = build_request(rnd, ["K-1"], vacancies, scale_ids, name)
            r = c.request(method, path, json=body)
            assert r.status_code in (200, 201), (name, path, r.status_code, r.text[:300])
        c.conn.sock.shutdown(socket.SHUT_RD)  # as if the server had closed the kept-alive connection:
        assert c.get("/clients/K-1").status_code == 200  # no answer on it, so once more on a new one
        c.close()
        anonymous = LoadConnection(url, {}, timeout_s=30)
        assert anonymous.get("/clients/K-1").status_code == 401
        assert anonymous.get("/klanten").status_code == 303  # a redirect is the answer: not followed


def test_requests_of_the_warm_up_are_sent_but_not_counted(api):  # noqa: F811
    import time

    work = {"pools": {"coach-a": ["K-1"]}, "vacancies": [{"id": "V-1", "occupation": OCC, "requirements": SKILLS[:3]}]}
    with served(api.app) as url:
        def load(warm_s: float) -> tuple[Load, int]:
            audited = api.driver.execute_query("MATCH (a:AuditEntry) RETURN count(a) AS n", database_=api.db).records[0]["n"]
            now = time.perf_counter()
            run = Load(url, {"coach-a": api.tokens["coach"]}, work, 1.0, 10_000, 1, counted_from=now + warm_s)
            run.worker(0, now + 1.0)
            return run, api.driver.execute_query("MATCH (a:AuditEntry) RETURN count(a) AS n",
                                                 database_=api.db).records[0]["n"] - audited
        warm, sent = load(5.0)  # the whole second is warm-up: requests reach the service, none is counted
        assert sent > 0 and warm.samples == [] and warm.issued == 0
        timed, _ = load(0.0)
        assert len(timed.samples) == timed.issued > 0 and all(s.status in (200, 201, 303) for s in timed.samples)


def test_cleanup_removes_the_bench_population_and_what_the_load_wrote_on_it(clean_db, settings):
    from api.bench_api import clean_bench_writes

    db = settings.neo4j_database
    clean_db.execute_query("""
        CREATE (c:Client {key: 'bench-c0000001'})<-[:COACHES]-(:Coach {id: 'bench-coach-0'})
        CREATE (c)-[:HAS_MEASUREMENT]->(:Measurement {id: 'm1', client_key: 'bench-c0000001'})
        CREATE (:Decision {id: 'd1'})-[:ABOUT]->(c)
        CREATE (:Vacancy {id: 'bench-v0000001'})
        CREATE (k:Client {key: 'K-1'})-[:HAS_MEASUREMENT]->(:Measurement {id: 'm2', client_key: 'K-1'})
        CREATE (:Decision {id: 'd2'})-[:ABOUT]->(k)""", database_=db)
    from matcher.freshness import graph_state

    from api.client_repository import scope_keys

    before = graph_state(clean_db, db)[1]
    held, _ = scope_keys(clean_db, db, "coach", "bench-coach-0")
    clean_bench_writes(clean_db, db)
    left = clean_db.execute_query("MATCH (n) WHERE NOT (n:SchemaMigration OR n:IndexState OR n:IndexChange "
                                  "OR n:AccessState) RETURN coalesce(n.key, n.id) AS k", database_=db).records
    assert sorted(r["k"] for r in left) == ["K-1", "d2", "m2"]
    assert graph_state(clean_db, db)[1] > before  # running and saved indexes learn the population is gone
    after, keys = scope_keys(clean_db, db, "coach", "bench-coach-0", known=held)
    assert after != held and keys == []  # held caseloads learn that the population is gone too


def test_a_run_puts_back_the_clients_it_wrote_to(clean_db, settings):
    """An observation re-derives a bench client's profile from measurements the generated
    population never had: unrestored, each run would leave thinner profiles for the next."""
    from datetime import date

    from api.bench_api import restore_clients, snapshot_clients
    from matcher.freshness import graph_state

    db = settings.neo4j_database
    clean_db.execute_query("""
        CREATE (:Client {key: 'bench-c0000001', gate: 'matchable', profile_competencies: ['k1', 'k2'],
                         profile_levels: [0.4, 0.9], profile_as_of: [$day, $day],
                         location: point({latitude: 52.1, longitude: 5.1})})
        CREATE (:Client {key: 'bench-c0000002', gate: 'needs_support', profile_competencies: ['k3']})
        CREATE (k:Client {key: 'K-1'})-[:HAS_MEASUREMENT]->(:Measurement {id: 'm-other', client_key: 'K-1'})""",
                           day=date(2026, 1, 5), database_=db)
    keys = ["bench-c0000001", "bench-c0000002"]
    before = snapshot_clients(clean_db, db, keys)
    clean_db.execute_query("""
        MATCH (c:Client {key: 'bench-c0000001'})
        SET c.profile_competencies = ['k9'], c.profile_levels = [1.0], c.gate_measured = true
        CREATE (c)-[:HAS_MEASUREMENT]->(:Measurement {id: 'm-run', client_key: c.key})""", database_=db)
    generation = graph_state(clean_db, db)[1]
    restore_clients(clean_db, db, before)
    assert snapshot_clients(clean_db, db, keys) == before  # every property as it was, none added
    left = clean_db.execute_query("MATCH (m:Measurement) RETURN collect(m.id) AS ids", database_=db).records[0]
    assert left["ids"] == ["m-other"]  # what the run measured is gone, nobody else's
    assert graph_state(clean_db, db)[1] > generation  # running and saved indexes patch them back
