"""Generated clients and vacancies with a known truth, for the matching benchmarks.

The measurement ingest has its own, more realistic generator (instrument scores through the real
ingest path, `atlas-match demo population`); at a million clients that path takes its own
benchmark's time, so the matching benchmark writes derived profiles straight into the graph with
the same shapes the ingest produces: the profile arrays on (:Client) (matcher/profile_store.py),
(:Vacancy)-[:REQUIRES]->(:Competency).

Truth: each client is generated from one origin occupation — near its required levels on the
occupation's requirements that instruments measure, noise elsewhere, and, for WORKED_SHARE of the
clients, a spell of 1-8 years in that occupation (its other requirements as work-history evidence,
by matcher/profile.py's experience rule) — and each vacancy from one occupation. The truth is the
origin, drawn before any score exists; no scoring formula makes it. A good matcher ranks
vacancies of the client's occupation (and its SIMILAR_TO neighbours) first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.index import Targets
from matcher.profile import experience_level, experience_strength

MEASURED_CONFIDENCE = (0.5, 0.9)
MEASURED_SHARE = 0.45  # each client took instruments covering about this share of the measured competencies
WORKED_SHARE = 0.6  # clients with a work history in their origin occupation; the rest only took tests
GATED_SHARE, SUPPORT_SHARE = 0.08, 0.20


@dataclass(frozen=True)
class Population:
    """Clients as flattened evidence rows; everything by integer row/column."""
    origin: np.ndarray  # occupation row per client (the truth)
    lat: np.ndarray
    lon: np.ndarray
    gate: np.ndarray  # 0 matchable, 1 needs support, 2 not matchable
    hours: np.ndarray
    client: np.ndarray  # evidence rows: client row
    competency: np.ndarray  # competency column
    level: np.ndarray
    confidence: np.ndarray
    inferred: np.ndarray


@dataclass(frozen=True)
class VacancySet:
    occupation: np.ndarray  # occupation row per vacancy (the truth)
    lat: np.ndarray
    lon: np.ndarray
    is_open: np.ndarray
    hours: np.ndarray


def generate_clients(n: int, occupations: Targets, measured: np.ndarray, places: np.ndarray,
                     rng: np.random.Generator) -> Population:
    """`measured`: the competency columns instruments report on; `places`: (lat, lon) rows."""
    with_reqs = np.flatnonzero(np.diff(occupations.indptr) > 0)
    origin = rng.choice(with_reqs, size=n)
    # Instrument evidence: every client has every measured competency, noisy around a base.
    m = len(measured)
    level = rng.uniform(0.15, 0.65, size=(n, m)).astype(np.float32)
    column_of = {int(c): j for j, c in enumerate(measured)}
    rows, cols, lv, conf, inferred = [], [], [], [], []
    worked = rng.random(n) < WORKED_SHARE
    years = np.round(rng.uniform(1.0, 8.0, n), 1)
    for occ in np.unique(origin):
        members = np.flatnonzero(origin == occ)
        s = occupations.span(int(occ))
        for c, r, ess in zip(occupations.competency[s], occupations.required[s], occupations.essential[s]):
            j = column_of.get(int(c))
            if j is not None:  # measured: near the required level
                level[members, j] = np.clip(r + rng.normal(0.05, 0.15, len(members)), 0, 1)
                continue
            w = members[worked[members]]  # a requirement of the occupation worked in: inferred
            rows.append(w)
            cols.append(np.full(len(w), c, dtype=np.int32))
            lv.append(np.array([experience_level(r, y) for y in years[w]], dtype=np.float32).reshape(-1))
            conf.append(np.array([experience_strength(ess, y) for y in years[w]], dtype=np.float32).reshape(-1))
            inferred.append(np.ones(len(w), dtype=bool))
    taken = rng.random((n, m)) < MEASURED_SHARE
    k = int(taken.sum())
    rows.insert(0, np.nonzero(taken)[0])
    cols.insert(0, np.broadcast_to(measured.astype(np.int32), (n, m))[taken])
    lv.insert(0, level[taken])
    conf.insert(0, rng.uniform(*MEASURED_CONFIDENCE, size=k).astype(np.float32))
    inferred.insert(0, np.zeros(k, dtype=bool))
    place = places[rng.integers(0, len(places), n)]
    gate = rng.choice(3, size=n, p=[1 - GATED_SHARE - SUPPORT_SHARE, SUPPORT_SHARE, GATED_SHARE])
    return Population(origin, place[:, 0], place[:, 1], gate, rng.choice([16, 24, 32, 36, 40], size=n).astype(float),
                      np.concatenate(rows).astype(np.int32), np.concatenate(cols), np.concatenate(lv),
                      np.concatenate(conf), np.concatenate(inferred))


def generate_vacancies(n: int, occupations: Targets, places: np.ndarray, rng: np.random.Generator,
                       popular: np.ndarray | None = None) -> VacancySet:
    with_reqs = np.flatnonzero(np.diff(occupations.indptr) > 0)
    pool = with_reqs if popular is None else popular
    occupation = rng.choice(pool, size=n)
    place = places[rng.integers(0, len(places), n)]
    return VacancySet(occupation, place[:, 0], place[:, 1], rng.random(n) < 0.9,
                      rng.choice([16, 24, 32, 36, 40], size=n).astype(float))
