"""`atlas-match bench related`: SIMILAR_TO against O*NET's own Related Occupations (issue 13, 6).

Reads the built atlas (read-only): the crosswalk edges (:Occupation)-[:CROSSWALK {match_type}]->
(:OnetOccupation), the SIMILAR_TO neighbours and the ESCO requirements (REQUIRES whose sources
include 'esco': essential and optional ESCO skills and knowledge, the input SIMILAR_TO is built
from); O*NET's 'Related Occupations.txt' from the data folder. The truth and the metrics are in
matcher/bench_validation.py.
"""
from __future__ import annotations

import time
from pathlib import Path

from neo4j import Driver, RoutingControl

from matcher.bench_validation import (DEFAULT_MATCHES, DEFAULT_TIER, K, jaccard_top_k, neighbour_metrics,
                                      read_related, related_truth, similar_top_k)

RELATED_FILE = Path("onet-29.2") / "Related Occupations.txt"

Q_OCCUPATIONS = "MATCH (o:Occupation) RETURN o.uri AS uri ORDER BY uri"
Q_CROSSWALK = """
MATCH (o:Occupation)-[r:CROSSWALK]->(x:OnetOccupation)
RETURN o.uri AS esco, x.code AS onet, r.match_type AS match
"""
Q_SIMILAR = """
MATCH (a:Occupation)-[r:SIMILAR_TO]->(b:Occupation)
RETURN a.uri AS a, b.uri AS b, r.score AS score, r.rank AS rank
"""
Q_ESCO_REQUIREMENTS = """
MATCH (o:Occupation)-[r:REQUIRES]->(c:Competency)
WHERE 'esco' IN r.sources AND r.relation IN ['essential', 'optional']
RETURN o.uri AS o, c.uri AS c
"""


def _read(driver: Driver, database: str, query: str) -> list:
    return driver.execute_query(query, database_=database, routing_=RoutingControl.READ).records


def run(driver: Driver, database: str, data_dir: Path, tier: str = DEFAULT_TIER,
        matches: tuple[str, ...] = DEFAULT_MATCHES, k: int = K) -> dict:
    started = time.perf_counter()
    occupations = [r["uri"] for r in _read(driver, database, Q_OCCUPATIONS)]
    crosswalk = [(r["esco"], r["onet"], r["match"]) for r in _read(driver, database, Q_CROSSWALK)]
    built = related_truth(read_related(data_dir / RELATED_FILE), crosswalk, tier, matches)
    known = set(occupations)
    truth = {o: t & known for o, t in built.truth.items() if o in known and t & known}
    similar = similar_top_k(((r["a"], r["b"], r["score"], r["rank"]) for r in _read(driver, database, Q_SIMILAR)), k)
    members = [(r["o"], r["c"]) for r in _read(driver, database, Q_ESCO_REQUIREMENTS)]
    jaccard = jaccard_top_k(occupations, members, k, only=truth)
    s_recall, s_mrr = neighbour_metrics(similar, truth, k)
    j_recall, j_mrr = neighbour_metrics(jaccard, truth, k)
    sizes = sorted(len(t) for t in truth.values())
    return {
        "occupations": len(truth),
        "similar_to_recall_at_10": round(s_recall, 4), "jaccard_recall_at_10": round(j_recall, 4),
        "similar_to_mrr": round(s_mrr, 4), "jaccard_mrr": round(j_mrr, 4),
        "tier": tier, "crosswalk_matches": list(matches), "k": k,
        "truth_size_median": sizes[len(sizes) // 2] if sizes else 0,
        "occupations_without_similar_to": sum(1 for o in truth if not similar.get(o)),
        "mapping": {**built.counts, "esco_pairs_not_in_atlas": built.counts["esco_pairs"]
                    - sum(len(t) for t in truth.values())},
        "seconds": round(time.perf_counter() - started, 1),
    }
