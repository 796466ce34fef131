"""`atlas-match bench match` and `bench quality`: speed and ranking quality on generated populations.

Speed, in one run on one graph: the index (vacancy -> top 50 candidates; client -> top 50 open
vacancies within 25 km), the Cypher a Neo4j user would write first, and a brute-force NumPy scan
over the same numbers (the floor). Quality: clients generated from a known occupation; how well
vacancies of that occupation and its SIMILAR_TO neighbours rank, beside a plain skill-overlap
(Jaccard) baseline.
"""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.special import ndtr
from neo4j import Driver, ManagedTransaction
from tqdm import tqdm

from graph_schema.access_state import bump_access_after_bulk
from matcher.freshness import bump_after_bulk, bump_generation
from matcher.bench_population import Population, VacancySet, generate_clients, generate_vacancies
from matcher.index import ClientEntries, Clients, MatchIndex, RequirementEntries, Targets, unit_vectors
from matcher.index_repository import load_index
from matcher.profile import CompetencyEstimate
from matcher.profile_repository import set_profiles
from matcher.profile_store import encode
from matcher.scoring import SHIFT, SPREAD, Constraints, DistancePolicy
from matcher.traits import competency_traits

BENCH_PREFIX = "bench-"  # generated keys; the bench removes only nodes it made
N_TOP = 50

Q_CLIENTS = """
UNWIND $clients AS c
CREATE (:Client {key: c.key, gate: c.gate, hours_available: c.hours,
                 location: point({latitude: c.lat, longitude: c.lon})})
"""

Q_VACANCIES = """
UNWIND $vacancies AS v
MATCH (o:Occupation {uri: v.occupation})
CREATE (vac:Vacancy {id: v.id, title: o.label_en, status: v.status, hours_per_week: v.hours,
                     location: point({latitude: v.lat, longitude: v.lon})})
CREATE (vac)-[:FOR_OCCUPATION {method: 'bench', confidence: 1.0}]->(o)
WITH vac, o
MATCH (o)-[r:REQUIRES]->(k:Competency)
CREATE (vac)-[:REQUIRES {origin: 'inherited', relation: r.relation, importance: r.importance,
                         required_level: r.required_level}]->(k)
"""

# The query a Neo4j user writes first, in two steps: the vacancy's requirements as a map from
# competency to [weight share, required level], then one pass over every client's profile arrays
# (matcher/profile_store.py) summing the same formula, sorted.
Q_CYPHER_REQUIREMENTS = """
MATCH (v:Vacancy {id: $id})-[r:REQUIRES]->(k:Competency)
RETURN k.uri AS uri, coalesce(r.importance, 3.0) * CASE r.relation WHEN 'essential' THEN 1.0 ELSE 0.5 END AS weight,
       r.required_level AS required
"""

Q_CYPHER_CANDIDATES = """
MATCH (c:Client) WHERE c.gate <> 'not_matchable'
WITH c, [i IN range(0, size(coalesce(c.profile_competencies, [])) - 1)
         WHERE $requirements[c.profile_competencies[i]] IS NOT NULL] AS hits
WHERE size(hits) > 0
WITH c, reduce(score = 0.0, i IN hits |
  score + $requirements[c.profile_competencies[i]][0] * c.profile_confidences[i]
        * CASE WHEN $requirements[c.profile_competencies[i]][1] <= 0
                 OR c.profile_levels[i] >= $requirements[c.profile_competencies[i]][1] THEN 1.0
               ELSE c.profile_levels[i] / $requirements[c.profile_competencies[i]][1] END) AS score
RETURN c.key AS client, score ORDER BY score DESC LIMIT $n
"""


def cypher_candidates(driver: Driver, database: str, vacancy: str, n: int = N_TOP) -> list[dict]:
    records, _, _ = driver.execute_query(Q_CYPHER_REQUIREMENTS, id=vacancy, database_=database)
    total = sum(r["weight"] for r in records) or 1.0
    requirements = {r["uri"]: [r["weight"] / total, r["required"] if r["required"] is not None else 0.5]
                    for r in records}
    found, _, _ = driver.execute_query(Q_CYPHER_CANDIDATES, requirements=requirements, n=n, database_=database)
    return [dict(r) for r in found]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _places(data_dir) -> np.ndarray:
    import pandas as pd
    pc4 = pd.read_csv(data_dir / "nl-geo" / "pc4_centroids.csv", usecols=["lat", "lon"]).dropna()
    return pc4[["lat", "lon"]].to_numpy()


def clear_bench_data(driver: Driver, database: str) -> None:
    try:
        with driver.session(database=database) as session:
            for label, key in (("Client", "key"), ("Vacancy", "id")):
                session.run(f"MATCH (n:{label}) WHERE n.{key} STARTS WITH $p "
                            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 2000 ROWS", p=BENCH_PREFIX).consume()
    finally:  # removed clients leave every held caseload, also when a batch failed half-way
        bump_after_bulk(driver, database)
        bump_access_after_bulk(driver, database)


def write_population(driver: Driver, database: str, pop: Population, competencies: list[str], batch: int = 2000) -> None:
    """Clients with their profiles, stored as the ingest stores them (matcher/profile_store.py)."""
    order = np.argsort(pop.client, kind="stable")
    starts = np.searchsorted(pop.client[order], np.arange(len(pop.origin) + 1))
    gates = np.array(["matchable", "needs_support", "not_matchable"])
    today = date.today()
    for lo in tqdm(range(0, len(pop.origin), batch), desc="clients", unit="batch", leave=False):
        hi = min(lo + batch, len(pop.origin))
        clients, profiles = [], []
        for i in range(lo, hi):
            key = f"{BENCH_PREFIX}c{i:07d}"
            clients.append({"key": key, "gate": str(gates[pop.gate[i]]), "hours": float(pop.hours[i]),
                            "lat": float(pop.lat[i]), "lon": float(pop.lon[i])})
            sel = order[starts[i]:starts[i + 1]]
            profiles.append({"key": key, "props": encode({
                competencies[col]: CompetencyEstimate(competencies[col], level, confidence, today, inferred,
                                                      ("work history" if inferred else "bench",), "trainable")
                for col, level, confidence, inferred in zip(pop.competency[sel].tolist(), pop.level[sel].tolist(),
                                                            pop.confidence[sel].tolist(), pop.inferred[sel].tolist())})})
        with driver.session(database=database) as session:
            session.execute_write(_write_clients, clients, profiles)


def _write_clients(tx: ManagedTransaction, clients: list[dict], profiles: list[dict]) -> None:
    tx.run(Q_CLIENTS, clients=clients).consume()
    set_profiles(tx, profiles)
    bump_generation(tx, [c["key"] for c in clients])  # a running index patches these rows (or rebuilds)


def write_vacancies(driver: Driver, database: str, vac: VacancySet, occupation_keys: list[str], batch: int = 500) -> None:
    for lo in tqdm(range(0, len(vac.occupation), batch), desc="vacancies", unit="batch", leave=False):
        rows = [{"id": f"{BENCH_PREFIX}v{i:07d}", "occupation": occupation_keys[vac.occupation[i]],
                 "status": "open" if vac.is_open[i] else "closed", "hours": float(vac.hours[i]),
                 "lat": float(vac.lat[i]), "lon": float(vac.lon[i])}
                for i in range(lo, min(lo + batch, len(vac.occupation)))]
        driver.execute_query(Q_VACANCIES, vacancies=rows, database_=database)
    bump_after_bulk(driver, database)  # an index saved or running before these vacancies must not serve


def numpy_floor(index: MatchIndex, vacancy: str, n: int = N_TOP) -> list[int]:
    """Brute force in plain NumPy over the index's own arrays: the same numbers, no compiled loop."""
    t = index.vacancies
    s = t.span(t.row[vacancy])
    c = index.clients.by_competency
    scores = np.full(len(index.clients.keys), t.base[t.row[vacancy]], dtype=np.float32)
    for col, req, share in zip(t.competency[s], t.required[s], t.share[s]):
        sl = c.column(int(col))
        credit = np.ones(sl.stop - sl.start) if req <= 0 else ndtr((c.a[sl] - req) / SPREAD + SHIFT)
        scores[c.rows[sl]] += share * (credit - index.prior[col]) * c.b[sl]
    scores[index.clients.excluded] = -np.inf
    top = np.argpartition(-scores, n)[:n]
    return top[np.argsort(-scores[top])].tolist()


def _percentiles(ms: list[float]) -> tuple[float, float]:
    return round(float(np.percentile(ms, 50)), 2), round(float(np.percentile(ms, 95)), 2)


def _timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


@dataclass(frozen=True)
class BenchData:
    index: MatchIndex
    population: Population
    vacancies: VacancySet
    setup: dict


Q_BENCH_COUNTS = """
CALL () { MATCH (c:Client) WHERE c.key STARTS WITH $p RETURN count(c) AS clients }
CALL () { MATCH (v:Vacancy) WHERE v.id STARTS WITH $p RETURN count(v) AS vacancies }
RETURN clients, vacancies
"""


def in_memory_index(atlas: MatchIndex, pop: Population, vac: VacancySet) -> MatchIndex:
    """The index built straight from the generated arrays, without the graph round trip: for
    sizes whose graph writes do not fit a run. Same numbers the graph would hand back."""
    n, m = len(pop.origin), len(vac.occupation)
    clients = Clients([f"{BENCH_PREFIX}c{i:07d}" for i in range(n)],
                      ClientEntries(pop.client, pop.competency, pop.level, pop.confidence), pop.gate == 2,
                      unit_vectors(pop.lat, pop.lon), len(atlas.competencies), hours=pop.hours)
    occ = atlas.occupations
    counts = np.diff(occ.indptr)[vac.occupation]
    starts = np.repeat(occ.indptr[vac.occupation], counts)
    entry = starts + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    requirements = RequirementEntries(np.repeat(np.arange(m), counts), occ.competency[entry], occ.required[entry],
                                      occ.importance[entry], occ.essential[entry])
    vacancies = Targets([f"{BENCH_PREFIX}v{i:07d}" for i in range(m)], requirements, vac.is_open,
                        unit_vectors(vac.lat, vac.lon), len(atlas.competencies), hours=vac.hours)
    return MatchIndex(atlas.competencies, clients, vacancies, occ)


def prepare(driver: Driver, database: str, data_dir, clients: int, vacancies: int, seed: int,
            reuse: bool = False, in_memory: bool = False) -> BenchData:
    """Generates and writes a population and vacancies (replacing an earlier bench run's).

    With `reuse`, a graph that already holds a bench population of the same size (left by `--keep`
    with the same seed) is not written again: generation is deterministic for the seed."""
    began = time.perf_counter()
    atlas = load_index(driver, database)  # the atlas alone: occupations and competencies
    if not atlas.occupations.keys:
        raise RuntimeError("the atlas is empty: run `atlas-match atlas build` first")
    rng = np.random.default_rng(seed)
    measured = np.array(sorted(atlas.column[u] for u in competency_traits() if u in atlas.column), dtype=np.int32)
    places = _places(data_dir)
    pop = generate_clients(clients, atlas.occupations, measured, places, rng)
    vac = generate_vacancies(vacancies, atlas.occupations, places, rng)
    if in_memory:
        t_index = time.perf_counter()
        index = in_memory_index(atlas, pop, vac)
        return BenchData(index, pop, vac, {"generate_s": round(t_index - began, 1), "write_s": None,
                                           "index_build_s": round(time.perf_counter() - t_index, 1),
                                           "index_source": "generated arrays (no graph round trip)",
                                           "evidence_rows": int(len(pop.client))})
    t_write = time.perf_counter()
    held = driver.execute_query(Q_BENCH_COUNTS, p=BENCH_PREFIX, database_=database).records[0]
    if not (reuse and (held["clients"], held["vacancies"]) == (clients, vacancies)):
        clear_bench_data(driver, database)
        write_population(driver, database, pop, atlas.competencies)
        write_vacancies(driver, database, vac, atlas.occupations.keys)
    t_index = time.perf_counter()
    index = load_index(driver, database)
    done = time.perf_counter()
    return BenchData(index, pop, vac, {"generate_s": round(t_write - began, 1), "write_s": round(t_index - t_write, 1),
                                       "index_build_s": round(done - t_index, 1), "index_source": "graph",
                                       "evidence_rows": int(len(pop.client))})


def run_speed(driver: Driver, database: str, data: BenchData, queries: int, cypher_queries: int, seed: int) -> dict:
    idx = data.index
    rng = np.random.default_rng(seed + 1)
    open_vac = [k for k, o in zip(idx.vacancies.keys, idx.vacancies.is_open) if o and k.startswith(BENCH_PREFIX)]
    bench_clients = [k for k in idx.clients.keys if k.startswith(BENCH_PREFIX)]
    vac_sample = [open_vac[i] for i in rng.integers(0, len(open_vac), queries)]
    client_sample = [bench_clients[i] for i in rng.integers(0, len(bench_clients), queries)]
    idx.candidates(vac_sample[0], N_TOP)  # compile and warm up the kernels once
    idx.vacancies_for(client_sample[0], N_TOP)
    # as the service ranks: each client's own travel radius (per row; none in a generated population: 25 km)
    cand = _timed(lambda v: idx.candidates(v, N_TOP, Constraints(DistancePolicy())), vac_sample)
    vacs = _timed(lambda c: idx.vacancies_for(c, N_TOP, Constraints(DistancePolicy(hard=True))), client_sample)
    floor = _timed(lambda v: numpy_floor(idx, v), vac_sample)
    cypher = _timed(lambda v: cypher_candidates(driver, database, v),
                    vac_sample[:cypher_queries]) if data.setup["index_source"] == "graph" else []
    c50, c95 = _percentiles(cand)
    v50, v95 = _percentiles(vacs)
    f50, f95 = _percentiles(floor)
    y50, y95 = _percentiles(cypher) if cypher else (None, None)
    return {"clients": len(bench_clients), "vacancies": len([k for k in idx.vacancies.keys if k.startswith(BENCH_PREFIX)]),
            "queries": queries, "candidates_p50_ms": c50, "candidates_p95_ms": c95,
            "vacancies_p50_ms": v50, "vacancies_p95_ms": v95,
            "cypher_baseline_p50_ms": y50, "cypher_baseline_p95_ms": y95, "cypher_queries": len(cypher),
            "numpy_floor_p50_ms": f50, "numpy_floor_p95_ms": f95,
            "speedup_vs_cypher_p95": round(y95 / c95, 1) if c95 and y95 else None,
            "ratio_to_numpy_floor_p95": round(c95 / f95, 2) if f95 else None,
            "peak_rss_mb": round(_rss_mb(), 1), **data.setup}


Q_SIMILAR = "MATCH (a:Occupation)-[:SIMILAR_TO]->(b:Occupation) RETURN a.uri AS a, collect(b.uri) AS similar"


def _jaccard_scores(idx: MatchIndex, client: str, threshold: float = 0.5) -> np.ndarray:
    """Plain skill overlap: |client skills (level >= threshold) ∩ required| / |union|."""
    cols, levels, _ = idx.clients.evidence(idx.clients.row[client])
    have = cols[levels >= threshold]
    t = idx.vacancies
    overlap = np.zeros(len(t.keys), dtype=np.float32)
    for c in have:
        overlap[t.by_competency.rows[t.by_competency.column(int(c))]] += 1
    size = np.diff(t.indptr).astype(np.float32)
    return overlap / np.maximum(len(have) + size - overlap, 1)


def _coverage_scores(idx: MatchIndex, client: str) -> np.ndarray:
    """Coverage only: the share of each vacancy's requirement weight the client has any evidence for."""
    cols, _, _ = idx.clients.evidence(idx.clients.row[client])
    t = idx.vacancies.by_competency
    out = np.zeros(len(idx.vacancies.keys), dtype=np.float32)
    for c in cols:
        s = t.column(int(c))
        out[t.rows[s]] += t.b[s]  # b: the requirement's share of the vacancy's total weight
    return out


def _rank_metrics(order: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    hits = relevant[order[:100]]
    first = np.flatnonzero(hits)
    rr = 1.0 / (first[0] + 1) if len(first) else 0.0
    return rr, float(hits[:10].sum()) / min(10, int(relevant.sum()))


def run_quality(driver: Driver, database: str, data: BenchData, sample: int, seed: int) -> dict:
    idx, pop, vac = data.index, data.population, data.vacancies
    similar = {r["a"]: set(r["similar"]) for r in driver.execute_query(Q_SIMILAR, database_=database).records}
    occ_keys = idx.occupations.keys
    vac_rows = np.array([idx.vacancies.row[f"{BENCH_PREFIX}v{i:07d}"] for i in range(len(vac.occupation))])
    vac_occ = np.full(len(idx.vacancies.keys), "", dtype=object)
    vac_occ[vac_rows] = [occ_keys[o] for o in vac.occupation]
    is_open = idx.vacancies.is_open
    rng = np.random.default_rng(seed + 2)
    ours, base, cover, used = [], [], [], 0
    for i in rng.permutation(len(pop.origin)):
        if used == sample:
            break
        truth = occ_keys[pop.origin[i]]
        relevant = np.isin(vac_occ, list({truth} | similar.get(truth, set()))) & is_open
        if pop.gate[i] == 2 or not relevant.any():
            continue
        key = f"{BENCH_PREFIX}c{i:07d}"
        scores = idx.target_scores(idx.vacancies, idx.clients.row[key])
        scores[~is_open] = -np.inf
        ours.append(_rank_metrics(np.argsort(-scores, kind="stable"), relevant))
        for baseline, out in ((_jaccard_scores, base), (_coverage_scores, cover)):
            other = baseline(idx, key)
            other[~is_open] = -np.inf
            out.append(_rank_metrics(np.argsort(-other, kind="stable"), relevant))
        used += 1
    o, b, c = np.array(ours), np.array(base), np.array(cover)
    return {"clients_evaluated": used, "vacancies": len(vac.occupation), "relevant": "same occupation or SIMILAR_TO",
            "truth": "the occupation each client was generated from (matcher/bench_population.py)",
            "mrr": round(float(o[:, 0].mean()), 4), "recall_at_10": round(float(o[:, 1].mean()), 4),
            "jaccard_mrr": round(float(b[:, 0].mean()), 4), "jaccard_recall_at_10": round(float(b[:, 1].mean()), 4),
            "coverage_mrr": round(float(c[:, 0].mean()), 4), "coverage_recall_at_10": round(float(c[:, 1].mean()), 4)}
