"""Generated clients and vacancies with a known truth, for the matching benchmarks.

The measurement ingest has its own, more realistic generator (instrument scores through the real
ingest path, `atlas-match demo population`); at a million clients that path takes its own
benchmark's time, so the matching benchmark writes derived profiles straight into the graph with
the same shapes the ingest produces: the profile arrays on (:Client) (matcher/profile_store.py),
(:Vacancy)-[:REQUIRES]->(:Competency).

Truth: each client is generated from one origin occupation — near its required levels on the
occupation's requirements that instruments measure, noise elsewhere, plus the occupation's
essential skills inferred from work history — and each vacancy from one occupation. A good
matcher ranks vacancies of the client's occupation (and its SIMILAR_TO neighbours) first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.index import Targets

MEASURED_CONFIDENCE = (0.5, 0.9)
MEASURED_SHARE = 0.45  # each client took instruments covering about this share of the measured competencies
INFERRED_CONFIDENCE = 0.3
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
    for occ in np.unique(origin):
        members = np.flatnonzero(origin == occ)
        s = occupations.span(int(occ))
        for c, r, ess in zip(occupations.competency[s], occupations.required[s], occupations.essential[s]):
            j = column_of.get(int(c))
            if j is not None:  # measured: near the required level
                level[members, j] = np.clip(r + rng.normal(0.05, 0.15, len(members)), 0, 1)
            elif ess:  # an essential skill of the occupation worked in: inferred
                rows.append(members)
                cols.append(np.full(len(members), c, dtype=np.int32))
                lv.append(np.full(len(members), r, dtype=np.float32))
                conf.append(np.full(len(members), INFERRED_CONFIDENCE, dtype=np.float32))
                inferred.append(np.ones(len(members), dtype=bool))
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
