"""Validation against data nobody here wrote (issue 13, item 6): the pure core. No I/O but reading
the public files; the runners (matcher/bench_related.py, matcher/bench_titles.py) read the graph.

1. SIMILAR_TO against O*NET's own Related Occupations. O*NET lists, per O*NET occupation, related
   O*NET occupations in tiers (Primary-Short: the closest five or so, then Primary-Long,
   Supplemental). Through the ESCO <-> O*NET crosswalk (only the match types chosen, by default
   exactMatch and closeMatch) each ESCO occupation E gets a truth: the ESCO occupations crosswalked
   from the related O*NET occupations of E's own O*NET occupations, E itself excluded. A neighbour
   list is scored by recall@k = |truth & top k| / min(|truth|, k) and by the reciprocal rank of the
   first hit within the top k (0 without one), averaged over the occupations with a non-empty truth.
2. A client whose only evidence is a Dutch job title (MELO bel_q_nl_c_nl): the gold ESCO
   occupation's rank among all occupations, ranked as the match index ranks them (expected fit
   descending, then URI ascending).
"""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from scipy import sparse

DEFAULT_TIER = "Primary-Short"
DEFAULT_MATCHES = ("exactMatch", "closeMatch")
TIERS = ("Primary-Short", "Primary-Long", "Supplemental")
K = 10


# ---- metrics ----------------------------------------------------------------------------------

def recall_at_k(predicted: Sequence[str], truth: set[str], k: int = K) -> float:
    """|truth & top k| / min(|truth|, k): 1.0 when the top k holds as much of the truth as fits."""
    if not truth:
        raise ValueError("recall is undefined for an empty truth")
    return len(set(predicted[:k]) & truth) / min(len(truth), k)


def first_hit_rr(predicted: Sequence[str], truth: set[str], k: int = K) -> float:
    """1 / rank of the first predicted item in the truth, within the top k; 0 without a hit."""
    for i, item in enumerate(predicted[:k], start=1):
        if item in truth:
            return 1.0 / i
    return 0.0


def neighbour_metrics(predictions: Mapping[str, Sequence[str]], truth: Mapping[str, set[str]],
                      k: int = K) -> tuple[float, float]:
    """(mean recall@k, mean first-hit reciprocal rank) over every occupation of `truth`; an
    occupation without predictions scores 0 on both."""
    keys = [o for o in truth if truth[o]]
    if not keys:
        raise ValueError("no occupation has a truth")
    recall = [recall_at_k(predictions.get(o, []), truth[o], k) for o in keys]
    rr = [first_hit_rr(predictions.get(o, []), truth[o], k) for o in keys]
    return float(np.mean(recall)), float(np.mean(rr))


# ---- 1. related occupations -------------------------------------------------------------------

def read_related(path: Path) -> list[tuple[str, str, str]]:
    """(O*NET code, related O*NET code, tier) from O*NET's 'Related Occupations.txt' (tab-separated,
    a header line)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        need = {"O*NET-SOC Code", "Related O*NET-SOC Code", "Relatedness Tier"}
        if not need <= set(reader.fieldnames or []):
            raise ValueError(f"{path}: expected the columns {sorted(need)}, got {reader.fieldnames}")
        return [(r["O*NET-SOC Code"].strip(), r["Related O*NET-SOC Code"].strip(), r["Relatedness Tier"].strip())
                for r in reader]


@dataclass
class RelatedTruth:
    truth: dict[str, set[str]]  # ESCO occupation -> related ESCO occupations
    counts: dict[str, int] = field(default_factory=dict)  # what the mapping kept and lost


def related_truth(related: Iterable[tuple[str, str, str]], crosswalk: Iterable[tuple[str, str, str]],
                  tier: str = DEFAULT_TIER, matches: Sequence[str] = DEFAULT_MATCHES) -> RelatedTruth:
    """The truth per ESCO occupation from O*NET's related pairs of `tier`, through the crosswalk
    rows (ESCO URI, O*NET code, match type) whose type is in `matches`.

    counts: `onet_pairs` (related pairs of the tier), `pairs_mapped` (both ends crosswalked),
    `pairs_lost_source` (the occupation itself has no ESCO counterpart), `pairs_lost_related`
    (it has, the related one has not), `esco_pairs` (truth pairs after mapping, self excluded),
    `self_pairs_dropped` (an ESCO occupation crosswalked from both ends of a related pair)."""
    esco_of: dict[str, set[str]] = defaultdict(set)
    for esco, onet, match in crosswalk:
        if match in matches:
            esco_of[onet].add(esco)
    pairs = {(a, b) for a, b, t in related if t == tier and a != b}
    counts = {"onet_pairs": len(pairs), "pairs_mapped": 0, "pairs_lost_source": 0, "pairs_lost_related": 0,
              "self_pairs_dropped": 0}
    truth: dict[str, set[str]] = defaultdict(set)
    for a, b in sorted(pairs):
        if not esco_of.get(a):
            counts["pairs_lost_source"] += 1
            continue
        if not esco_of.get(b):
            counts["pairs_lost_related"] += 1
            continue
        counts["pairs_mapped"] += 1
        for e in esco_of[a]:
            for r in esco_of[b]:
                if r == e:
                    counts["self_pairs_dropped"] += 1
                else:
                    truth[e].add(r)
    out = {e: rs for e, rs in truth.items() if rs}
    counts["esco_pairs"] = sum(len(rs) for rs in out.values())
    return RelatedTruth(out, counts)


def similar_top_k(rows: Iterable[tuple[str, str, float, int]], k: int = K) -> dict[str, list[str]]:
    """SIMILAR_TO rows (from, to, score, rank) -> each occupation's top k by rank (then score, URI)."""
    by: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
    for a, b, score, rank in rows:
        by[a].append((rank, -score, b))
    return {a: [b for _, _, b in sorted(v)[:k]] for a, v in by.items()}


def jaccard_top_k(occupations: Sequence[str], members: Iterable[tuple[str, str]], k: int = K,
                  only: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Each occupation's k nearest by Jaccard of their competency sets (pairs (occupation,
    competency)); itself and zero overlap excluded; ties by URI, as SIMILAR_TO breaks them.
    `only`: compute the lists for these occupations alone (all are candidates)."""
    row_of = {o: i for i, o in enumerate(occupations)}
    col_of: dict[str, int] = {}
    rows, cols = [], []
    for o, c in set(members):
        if o in row_of:
            rows.append(row_of[o])
            cols.append(col_of.setdefault(c, len(col_of)))
    m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(occupations), max(len(col_of), 1)))
    size = np.asarray(m.sum(axis=1)).ravel()
    uri_rank = np.empty(len(occupations), dtype=np.int64)
    uri_rank[np.argsort(np.asarray(occupations, dtype=object))] = np.arange(len(occupations))
    wanted = [o for o in (only if only is not None else occupations) if o in row_of]
    out: dict[str, list[str]] = {}
    for start in range(0, len(wanted), 512):
        block = [row_of[o] for o in wanted[start:start + 512]]
        inter = (m[block] @ m.T).toarray()
        union = size[block][:, None] + size[None, :] - inter
        jac = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        for r, i in enumerate(block):
            jac[r, i] = 0.0
            cand = np.flatnonzero(jac[r] > 0)
            best = cand[np.lexsort((uri_rank[cand], -jac[r, cand]))][:k]
            out[occupations[i]] = [occupations[j] for j in best]
    return out


# ---- 2. a Dutch job title as the only evidence ------------------------------------------------

WORK_YEARS = 5.0


def title_client_row(client: str, occupation: str | None, title: str, today: date, instrument: str,
                     years: float = WORK_YEARS) -> dict:
    """A stored measurement row (ingest/measurement_ingest.py's shape) that carries nothing but one
    work-history entry: `years` in the job titled `title`, until a year before `today`, with the
    occupation the ingest's resolver gave it (None: unresolved, no skills inferred)."""
    until = (today - timedelta(days=365)).isoformat()
    job = {"occupation": occupation, "title": title, "years": years, "until": until}
    return {"id": f"{client}:{instrument}", "client_key": client, "instrument": instrument,
            "measured_at": today - timedelta(days=30), "scale_ids": [], "levels": [], "sensitive_json": "{}",
            "gates_json": "[]", "gate_block_given": False, "work_history_json": json.dumps([job])}


def rank_of(scores: np.ndarray, keys: np.ndarray, wanted: set[str], row: Mapping[str, int]) -> int | None:
    """Best 1-based rank of any `wanted` key when rows are ordered by score descending, then key
    ascending (the match index's order); None when no wanted key is ranked."""
    best = None
    for key in wanted:
        i = row.get(key)
        if i is None:
            continue
        s = scores[i]
        rank = 1 + int((scores > s).sum()) + int(((scores == s) & (keys < key)).sum())
        best = rank if best is None else min(best, rank)
    return best


def title_metrics(ranks: Sequence[int | None], k: int = K) -> tuple[float, float]:
    """(recall@k, MRR) of the gold ranks; a gold occupation that is not ranked counts as a miss."""
    if not ranks:
        raise ValueError("no queries")
    hits = [r is not None and r <= k for r in ranks]
    rr = [1.0 / r if r else 0.0 for r in ranks]
    return float(np.mean(hits)), float(np.mean(rr))
