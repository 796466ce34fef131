"""The profile combination rule (matcher/profile.py) over columns of evidence, for many clients
at once: pure NumPy, no I/O.

The measurement ingest derives ~5,000 profiles per batch from ~750,000 pieces of evidence; one
Python object per piece made derivation the slowest step of the ingest. Here a batch's evidence
is a handful of arrays, grouped per (client, competency) by one sort, and every sum, product and
maximum of the rule is a `reduceat` over the groups. `derive_profile` runs the single-client case
through the same function, so there is one implementation of the arithmetic.

Integer codes keep the arrays numeric: competencies and sources are numbered so that their
numeric order is their text order (the stored profile lists competencies and each entry's
sources sorted), clients by their position in the batch.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from matcher.profile import CONFIDENCE_CAP, CompetencyEstimate, Evidence, half_lives


@dataclass(frozen=True)
class EvidenceColumns:
    """One entry per piece of evidence (parallel arrays)."""
    client: np.ndarray       # int: client number in the batch
    competency: np.ndarray   # int: competency code (numeric order = URI order)
    level: np.ndarray        # float [0, 1]
    strength: np.ndarray     # float, before decay
    day: np.ndarray          # int: date ordinal of the evidence
    stable: np.ndarray       # bool: the competency is a stable trait (else trainable)
    inferred: np.ndarray     # bool: inferred from work history
    source: np.ndarray       # int: source code (numeric order = text order)


@dataclass(frozen=True)
class Combined:
    """One entry per (client, competency) with evidence, sorted by client, then competency.
    Entry i's sources are source_codes[source_ends[i-1]:source_ends[i]], ascending."""
    client: np.ndarray
    competency: np.ndarray
    level: np.ndarray
    confidence: np.ndarray
    day: np.ndarray          # newest evidence
    stable: np.ndarray       # trait: the kind with the most (decayed) strength, ties to stable
    inferred: np.ndarray     # every piece of evidence inferred
    source_codes: np.ndarray
    source_ends: np.ndarray

    def client_bounds(self, clients: int) -> np.ndarray:
        """Entry range per client: entries of client c are [bounds[c], bounds[c + 1])."""
        return np.searchsorted(self.client, np.arange(clients + 1))


def combine(ev: EvidenceColumns) -> Combined:
    """matcher/profile.py's rule: decay to the newest evidence of the same competency (the entry's
    as-of date, from which readers decay further to their day, so each day counts once),
    strength-weighted mean level, noisy-OR confidence times agreement, capped."""
    competency_span = int(ev.competency.max()) + 1 if len(ev.competency) else 1
    every_key = ev.client.astype(np.int64) * competency_span + ev.competency
    _, entry = np.unique(every_key, return_inverse=True)
    entry = entry.reshape(-1)
    reference = np.full(int(entry.max()) + 1 if len(entry) else 0, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(reference, entry, ev.day)
    age = np.maximum(reference[entry] - ev.day, 0)
    s = ev.strength * 0.5 ** (age / half_lives(ev.stable, ev.inferred))
    keep = s > 0.0
    key = every_key[keep]
    order = np.argsort(key, kind="stable")
    key, s = key[order], s[keep][order]
    level, day, stable, inferred, source = (x[keep][order] for x in (ev.level, ev.day, ev.stable, ev.inferred,
                                                                      ev.source))
    groups, starts = np.unique(key, return_index=True)
    if len(groups) == 0:
        empty = np.zeros(0)
        return Combined(empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty.astype(np.int64),
                        empty.astype(bool), empty.astype(bool), empty.astype(np.int64), empty.astype(np.int64))
    sw = np.add.reduceat(s, starts)
    mean = np.add.reduceat(s * level, starts) / sw
    spread = _measured_spread(s, level, inferred, starts)
    miss = np.multiply.reduceat(1.0 - np.minimum(s, 1.0), starts)
    confidence = np.minimum((1.0 - miss) * (1.0 - spread), CONFIDENCE_CAP)
    stable_sum = np.add.reduceat(np.where(stable, s, 0.0), starts)
    codes, ends = _distinct_sources(np.repeat(np.arange(len(groups)), np.diff(np.append(starts, len(key)))),
                                    source, len(groups))
    return Combined(
        client=groups // competency_span, competency=groups % competency_span,
        level=np.round(np.clip(mean, 0.0, 1.0), 6), confidence=np.round(confidence, 6),
        day=np.maximum.reduceat(day, starts), stable=(stable_sum > 0.0) & (stable_sum >= sw - stable_sum),
        inferred=np.logical_and.reduceat(inferred, starts), source_codes=codes, source_ends=ends)


def _measured_spread(s: np.ndarray, level: np.ndarray, inferred: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Strength-weighted standard deviation of the MEASURED levels per group: two tests that
    disagree make an uncertain estimate. Inferred levels (work history, certificates) say "at least
    what the job or document asks", so a higher test score does not contradict them."""
    m = np.where(inferred, 0.0, s)
    w = np.add.reduceat(m, starts)
    safe = np.where(w > 0.0, w, 1.0)
    mean = np.add.reduceat(m * level, starts) / safe
    var = np.add.reduceat(m * level * level, starts) / safe - mean * mean
    return np.where(w > 0.0, np.sqrt(np.where(var > 0.0, var, 0.0)), 0.0)


def _distinct_sources(group: np.ndarray, source: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    span = int(source.max()) + 1
    pairs = np.unique(group.astype(np.int64) * span + source)
    return pairs % span, np.cumsum(np.bincount(pairs // span, minlength=n_groups))


def derive_profile(evidence: Iterable[Evidence]) -> dict[str, CompetencyEstimate]:
    """Combine one client's evidence into one estimate per competency (absent = unknown)."""
    evidence = list(evidence)
    if not evidence:
        return {}
    uris = sorted({e.competency for e in evidence})
    sources = sorted({e.source for e in evidence})
    uri_code, source_code = {u: i for i, u in enumerate(uris)}, {s: i for i, s in enumerate(sources)}
    combined = combine(EvidenceColumns(
        client=np.zeros(len(evidence), dtype=np.int64),
        competency=np.array([uri_code[e.competency] for e in evidence], dtype=np.int64),
        level=np.array([e.level for e in evidence], dtype=float),
        strength=np.array([e.strength for e in evidence], dtype=float),
        day=np.array([e.measured_at.toordinal() for e in evidence], dtype=np.int64),
        stable=np.array([e.trait == "stable" for e in evidence]),
        inferred=np.array([e.inferred for e in evidence]),
        source=np.array([source_code[e.source] for e in evidence], dtype=np.int64)))
    out = {}
    start = 0
    for i, end in enumerate(combined.source_ends.tolist()):
        uri = uris[combined.competency[i]]
        out[uri] = CompetencyEstimate(
            uri, float(combined.level[i]), float(combined.confidence[i]), date.fromordinal(int(combined.day[i])),
            bool(combined.inferred[i]), tuple(sources[j] for j in combined.source_codes[start:end]),
            "stable" if combined.stable[i] else "trainable")
        start = end
    return out
