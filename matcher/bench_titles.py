"""`atlas-match bench titles`: a client whose only evidence is a Dutch job title (issue 13, 6).

For every query of a MELO folder (bel_q_nl_c_nl: real Dutch job titles, each with its gold ESCO
occupation): a synthetic client with nothing but five years in a job of that title, until a year
ago. The title is resolved by the ingest's own resolver (ingest.measurement_ingest.title_resolver,
the one `client_context` builds); the profile is derived by the ingest's ProfileBuilder from the
measurement row the ingest would store; every occupation of the atlas is scored with the match
index's kernel and ranked as `MatchIndex.occupations_for` ranks (expected fit descending, URI
ascending). A title the resolver leaves unresolved gives no evidence, so every occupation scores
the prior and the order is the URI order: that is what `match occupations` shows such a client.

The benchmark folder is read here only, to make the queries and to score; nothing is built from it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
from neo4j import Driver

from competency_atlas.bench_melo import load_dataset
from competency_atlas.instrument_profiles import load_profiles
from ingest.measurement_ingest import title_resolver
from ingest.measurement_repository import load_occupation_requirements
from ingest.profile_builder import ProfileBuilder
from matcher.bench_fit import scoring_profile
from matcher.bench_validation import K, rank_of, title_client_row, title_metrics
from matcher.index import MatchIndex, evidence_scores
from matcher.index_repository import load_index

CARRIER = "wcm"  # the instrument whose measurement row carries the work history (no scales)
RESOLVERS = ("ingest", "lookup", "lookup-lexical")
INGEST_RESOLVER = ("ingest.measurement_ingest.title_resolver (exact label, preferred label first; else the "
                   "lexical look-up's best hit at score >= TITLE_MATCH_FLOOR)")


def lookup_resolver(driver: Driver, database: str, model_name: str | None, work_dir: Path,
                    lang: str = "nl") -> Callable[[str], str | None]:
    """For comparison only, NOT what the ingest does: the top hit of `atlas-match search occupation
    --lang nl` (the fused look-up over the atlas' occupation labels; lexical only without a model).
    The sentence model is loaded once, the label vectors come from the look-up's cache."""
    from competency_atlas.concept_search import current_index, query_encoder
    from competency_atlas.lookup import search

    index = current_index(driver, database, "Occupation", work_dir, model_name, descriptions=(lang,))
    if index is None:
        raise ValueError("no occupation labels in the graph: build the atlas first (`atlas-match atlas build`)")
    embed = query_encoder(index, model_name)

    def resolve(title: str) -> str | None:
        hits = search(index, title, lang, 1, embed)
        return hits[0].concept_id if hits else None
    return resolve


def occupation_scores(index: MatchIndex, props: dict, today: date) -> np.ndarray:
    """Every occupation's expected fit for one derived profile, as `index.target_scores` computes
    it for a stored client (the same kernel, confidences decayed to `today`)."""
    evidence = [(index.column[uri], e.level, e.confidence) for uri, e in scoring_profile(props, today).items()
                if uri in index.column]
    evidence.sort()
    cols = np.array([c for c, _, _ in evidence], dtype=np.int32)
    levels = np.array([lv for _, lv, _ in evidence], dtype=np.float32)
    confs = np.array([k for _, _, k in evidence], dtype=np.float32)
    return evidence_scores(index.occupations, cols, levels, confs, index.prior)


def run(driver: Driver, database: str, folder: Path, work_dir: Path, today: date | None = None,
        index: MatchIndex | None = None, k: int = K, resolver: Callable[[str], str | None] | None = None,
        resolver_name: str = INGEST_RESOLVER) -> dict:
    started = time.perf_counter()
    today = today or date.today()
    data = load_dataset(folder)
    gold = {qid: {data.concept_of[c] for c in cids} for qid, cids in data.relevant.items()}
    queries = [(qid, title) for qid, title in data.queries if gold.get(qid)]
    resolve = resolver or title_resolver(driver, database, work_dir)
    resolved = {qid: resolve(title) for qid, title in queries}
    idx = index or load_index(driver, database, today)
    builder = ProfileBuilder(load_profiles(), lambda uris: load_occupation_requirements(driver, database, uris))
    rows = [title_client_row(f"title|{qid}", resolved[qid], title, today, CARRIER) for qid, title in queries]
    derived = builder.derive_clients(rows)
    keys = np.array(idx.occupations.keys)
    ranks: dict[str, int | None] = {}
    for qid, _ in queries:
        scores = occupation_scores(idx, derived[f"title|{qid}"][0]["props"], today)
        ranks[qid] = rank_of(scores, keys, gold[qid], idx.occupations.row)
    recall, mrr = title_metrics([ranks[q] for q, _ in queries], k)
    groups = {"resolved_to_gold": [q for q, _ in queries if resolved[q] in gold[q]],
              "resolved_elsewhere": [q for q, _ in queries if resolved[q] is not None and resolved[q] not in gold[q]],
              "unresolved": [q for q, _ in queries if resolved[q] is None]}
    by_group = {}
    for name, qids in groups.items():
        if qids:
            r, m = title_metrics([ranks[q] for q in qids], k)
            gold_ranks = sorted(ranks[q] or len(keys) + 1 for q in qids)
            by_group[name] = {"queries": len(qids), "recall_at_10": round(r, 4), "mrr": round(m, 4),
                              "median_gold_rank": gold_ranks[len(gold_ranks) // 2]}
    n = len(queries)
    return {
        "queries": n,
        "resolved": round(sum(v is not None for v in resolved.values()) / n, 4),
        "resolved_to_gold": round(len(groups["resolved_to_gold"]) / n, 4),
        "recall_at_10": round(recall, 4), "mrr": round(mrr, 4),
        "gold_not_in_atlas": sum(1 for q, _ in queries if ranks[q] is None),
        "occupations_ranked": len(keys),
        "by_resolution": by_group,
        "resolver": resolver_name,
        "seconds": round(time.perf_counter() - started, 1),
    }
