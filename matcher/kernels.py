"""Compiled inner loops of the match index (numba). Same formula as matcher/scoring.py, the
expected fit, written as what each piece of evidence moves away from the prior:

    fit = base + sum over evidenced requirements of (w / W) * confidence * (credit - prior[c])

with base = sum over all requirements of (w / W) * prior[c] (per target, computed once), so
requirements without evidence cost nothing to walk. The callers fill `out` with the base first;
`prior` is indexed by competency column.
Both kernels walk compressed columns (one column per competency) and accumulate into a dense
score vector. The client-side matrix is cut into row blocks so that each thread owns a block of
the output and keeps it in cache while it walks every required column.
"""
from __future__ import annotations

import math
import os

# numba's parallel kernels run on OpenMP (libgomp) here, whose worker threads spin ~10 ms after
# every kernel, waiting for the next one: CPU taken from Neo4j and the other workers between
# rankings (a coach's candidate list: 36.6 ms of CPU a request, 26.2 passive, the same wall time;
# docs/bench-api.md). Set before numba first loads libgomp; OMP_WAIT_POLICY from the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402  after the wait policy
from numba import njit, prange  # noqa: E402

from matcher.scoring import credit

# Credit depends on level - required alone (both in [0, 1]), so it is tabulated once from
# matcher/scoring.credit itself: linear interpolation between 2,049 points stays within 1e-6 of
# it, and an erf per entry made ranking ~15x slower. The table is an argument, not a global, so a
# cached compiled kernel never holds an old one.
_STEPS = 1024
CREDIT_TABLE = np.array([credit(1.0 + d, 1.0) for d in np.linspace(-1.0, 1.0, 2 * _STEPS + 1)], dtype=np.float64)


@njit(cache=True, inline="always")
def _credit(level, required, table):
    if required <= 0.0:
        return 1.0
    x = (level - required + 1.0) * _STEPS
    j = min(max(int(x), 0), 2 * _STEPS - 1)
    return table[j] + (table[j + 1] - table[j]) * (x - j)


# The long kernels (milliseconds: every client, or every vacancy) release the GIL (`nogil`): while one
# runs, the worker's event loop and its other requests' threads go on. The short ones keep it, since
# taking it back can wait a whole switch interval (5 ms) behind a busy thread.
@njit(parallel=True, cache=True, fastmath=True, nogil=True)
def score_clients(blockptr, rows, level, conf, cols, required, share, prior, table, out):
    """out[client] += share[j] * conf * (credit(level, required[j]) - prior[cols[j]]) over every column cols[j].

    blockptr[c, b] is the offset of the first entry of column c in row block b (rows ascending
    within a column), so thread b only ever touches its own rows of `out`.
    """
    n_blocks = blockptr.shape[1] - 1
    for b in prange(n_blocks):
        for j in range(cols.shape[0]):
            c = cols[j]
            r = required[j]
            a = share[j]
            q = prior[c]
            for p in range(blockptr[c, b], blockptr[c, b + 1]):
                out[rows[p]] += a * (_credit(level[p], r, table) - q) * conf[p]


@njit(cache=True, fastmath=True, nogil=True)
def score_vacancies(indptr, rows, required, share, cols, level, conf, prior, table, out):
    """out[vacancy] += share * conf[j] * (credit(level[j], required) - prior[cols[j]]) for the client's competencies."""
    for j in range(cols.shape[0]):
        c = cols[j]
        lv = level[j]
        k = conf[j]
        q = prior[c]
        for p in range(indptr[c], indptr[c + 1]):
            out[rows[p]] += share[p] * (_credit(lv, required[p], table) - q) * k


@njit(cache=True)
def score_one(base, req_cols, required, share, cols, level, conf, prior, table):
    """One client's expected fit for one target: both column lists ascending, merged in one pass."""
    total = base
    i = j = 0
    while i < req_cols.shape[0] and j < cols.shape[0]:
        if req_cols[i] == cols[j]:
            total += share[i] * (_credit(level[j], required[i], table) - prior[cols[j]]) * conf[j]
            i += 1
            j += 1
        elif req_cols[i] < cols[j]:
            i += 1
        else:
            j += 1
    return total


@njit(cache=True)
def score_spans(which, start, stop, base, req_cols, required, share, cols, level, conf, prior, table, out):
    """out[which[k]] = score_one over the evidence entries start[k]..stop[k] only: a caseload of a
    hundred clients costs a hundred short merges, not a pass over every client's evidence for the
    vacancy's competencies; the live-updated clients, however many, one call."""
    for k in range(which.shape[0]):
        s, e = start[k], stop[k]
        out[which[k]] = score_one(base, req_cols, required, share, cols[s:e], level[s:e], conf[s:e], prior, table)


@njit(cache=True)
def score_rows(req_start, req_stop, req_cols, required, weight, prior, margin,
               ev_start, ev_stop, ev_cols, level, conf, inferred, spread, shift, no_weight, code_at, sums, codes):
    """matcher/scoring.score_requirements for many (target, client) pairs at once, without an object
    per requirement: pair p is the requirements req_start[p]:req_stop[p] (columns ascending) against
    the evidence ev_start[p]:ev_stop[p] (columns ascending). Per pair, sums[p] = fit, fit_low,
    fit_high, coverage, measured; per requirement, codes[code_at[p] + i - req_start[p]] = 0 unknown,
    1 met, 2 partly met, 3 missing (-1 for a target whose weights add up to nothing: none named). The same
    operations in the same order as score_requirements, in double precision, without fastmath:
    the same numbers to the last bit (tests/test_rows.py), so a ranked row, a gap and the CLI agree."""
    root2 = math.sqrt(2.0)
    for p in range(req_start.shape[0]):
        r0, r1 = req_start[p], req_stop[p]
        total = 0.0
        for i in range(r0, r1):
            total += weight[i]
        if total <= 0.0:
            sums[p, 0], sums[p, 1], sums[p, 2], sums[p, 3], sums[p, 4] = no_weight, 0.0, 1.0, 0.0, 0.0
            codes[code_at[p]:code_at[p] + r1 - r0] = -1
            continue
        fit = low = proven = covered = measured = 0.0
        j, e1 = ev_start[p], ev_stop[p]
        at = code_at[p] - r0
        for i in range(r0, r1):
            share = weight[i] / total
            c = req_cols[i]
            while j < e1 and ev_cols[j] < c:
                j += 1
            if j < e1 and ev_cols[j] == c:  # j stays: a competency listed twice meets the same evidence
                lv, k, r = np.float64(level[j]), np.float64(conf[j]), required[i]
                cr = 1.0 if r <= 0.0 else 0.5 * (1.0 + math.erf(((lv - r) / spread + shift) / root2))
                fit += share * (k * cr + (1.0 - k) * prior[i])
                low += share * k * cr
                proven += share * k
                covered += share
                if not inferred[j]:
                    measured += share
                codes[at + i] = 1 if lv >= r else (2 if lv >= r - margin[i] else 3)
            else:
                fit += share * prior[i]
                codes[at + i] = 0
        sums[p, 0], sums[p, 1], sums[p, 2], sums[p, 3], sums[p, 4] = fit, low, min(1.0, low + 1.0 - proven), covered, measured


@njit(cache=True)
def reached_changes(n_items, item_of, change_of, prior, old_level, old_conf, new_level, new_conf, counted, indptr,
                    competency, required, share, table, scores, threshold):
    """Per item, how many more of the `counted` targets reach `threshold` when its competencies'
    evidence changes (old -> new). Change j belongs to item item_of[j] (of n_items); change_of[c]
    is the change on competency column c (-1: none; a column is changed once at most). Walks the
    counted targets' own requirements (a client's vacancies nearby: ~1,000 of them, ~100
    requirements each), not every target requiring a changed competency (~1 million entries for a
    gap's ~100), and copies no score: a gap asks this for each of its requirements at once, a
    what-if for all its changes as one item."""
    out = np.zeros(n_items, dtype=np.int64)
    delta = np.zeros(n_items, dtype=np.float64)
    seen = np.zeros(n_items, dtype=np.bool_)
    touched = np.empty(n_items, dtype=np.int64)
    for k in range(counted.shape[0]):
        v = counted[k]
        m = 0
        for p in range(indptr[v], indptr[v + 1]):
            j = change_of[competency[p]]
            if j < 0:
                continue
            old = old_conf[j] * (_credit(old_level[j], required[p], table) - prior[j])
            new = new_conf[j] * (_credit(new_level[j], required[p], table) - prior[j])
            i = item_of[j]
            delta[i] += share[p] * (new - old)
            if not seen[i]:
                seen[i] = True
                touched[m] = i
                m += 1
        for t in range(m):
            i = touched[t]
            after = np.float32(scores[v] + delta[i])  # as a what-if's float32 scores
            out[i] += (after >= threshold) - (scores[v] >= threshold)
            delta[i] = 0.0
            seen[i] = False
    return out


EARTH_RADIUS_KM = 6371.0


@njit(cache=True, inline="always")
def _distance_km(xyz, i, centre):
    # Chord length between unit vectors: within 0.01 % of the great-circle distance up to
    # several hundred km, and a square root instead of an arccos on the hot path.
    dx = xyz[i, 0] - centre[0]
    dy = xyz[i, 1] - centre[1]
    dz = xyz[i, 2] - centre[2]
    return EARTH_RADIUS_KM * np.sqrt(dx * dx + dy * dy + dz * dz)


@njit(cache=True)
def open_within(xyz, centre, radius_km, is_open):
    """Open targets within radius_km of centre (a target with unknown position counts as near)."""
    out = np.empty(xyz.shape[0], dtype=np.bool_)
    for i in range(xyz.shape[0]):
        out[i] = is_open[i] and not _distance_km(xyz, i, centre) > radius_km  # NaN compares False
    return out


@njit(cache=True)
def _heap_push(heap_s, heap_i, size, k, score, idx):
    """Keeps the k best (score, idx) in a min-heap; returns the new size."""
    if size < k:
        pos = size
        size += 1
    elif score > heap_s[0]:
        pos = 0
        # sift down from the root after replacing it
        while True:
            child = 2 * pos + 1
            if child >= size:
                break
            if child + 1 < size and heap_s[child + 1] < heap_s[child]:
                child += 1
            if heap_s[child] >= score:
                break
            heap_s[pos] = heap_s[child]
            heap_i[pos] = heap_i[child]
            pos = child
        heap_s[pos] = score
        heap_i[pos] = idx
        return size
    else:
        return size
    while pos > 0:  # sift up the new leaf
        parent = (pos - 1) // 2
        if heap_s[parent] <= score:
            break
        heap_s[pos] = heap_s[parent]
        heap_i[pos] = heap_i[parent]
        pos = parent
    heap_s[pos] = score
    heap_i[pos] = idx
    return size


@njit(cache=True, inline="always")
def _short(have, need, i):
    """True when what is had falls short of what is needed; either may be one value for all rows.
    NaN (unknown) on either side is never short: unknown is not a failure."""
    h = have[i if have.shape[0] > 1 else 0]
    n = need[i if need.shape[0] > 1 else 0]
    return h < n


@njit(parallel=True, cache=True, nogil=True)
def finish_top(scores, xyz, centre, use_distance, radius, default_radius, max_km, penalty_per_km, max_penalty, distance_hard,
               hours_have, hours_need, edu_have, edu_need, shortfall_penalty, hours_hard, edu_hard,
               excluded, k, n_parts):
    """Applies exclusion and the hard constraints to the scores and keeps the k best rows.

    Distance beyond the radius lowers the score (at most max_penalty); the radius is one per row or
    one for all (like hours), NaN meaning default_radius (scoring.DistancePolicy.radius_for); beyond
    max_km (a user's filter, inf for none) a row is left out; too few hours available or a
    lower education level than asked each lower it by shortfall_penalty. Each constraint removes
    the row instead when the user asked to filter on it. Unknown values never cost anything.
    Each of n_parts threads keeps its own heap; the caller merges the n_parts * k survivors.
    """
    n = scores.shape[0]
    out_s = np.full((n_parts, k), -np.inf, dtype=np.float32)
    out_i = np.full((n_parts, k), -1, dtype=np.int64)
    step = (n + n_parts - 1) // n_parts
    for part in prange(n_parts):
        size = 0
        for i in range(part * step, min(n, (part + 1) * step)):
            if excluded[i]:
                scores[i] = -np.inf
                continue
            if use_distance:
                km = _distance_km(xyz, i, centre)
                if km > max_km:  # NaN compares False: unknown positions pass
                    scores[i] = -np.inf
                    continue
                r = radius[i if radius.shape[0] > 1 else 0]
                if np.isnan(r):
                    r = default_radius
                if km > r:  # NaN compares False: unknown positions pass
                    if distance_hard:
                        scores[i] = -np.inf
                        continue
                    scores[i] -= min(max_penalty, penalty_per_km * (km - r))
            if _short(hours_have, hours_need, i):
                if hours_hard:
                    scores[i] = -np.inf
                    continue
                scores[i] -= shortfall_penalty
            if _short(edu_have, edu_need, i):
                if edu_hard:
                    scores[i] = -np.inf
                    continue
                scores[i] -= shortfall_penalty
            size = _heap_push(out_s[part], out_i[part], size, k, scores[i], i)
    return out_s.ravel(), out_i.ravel()
