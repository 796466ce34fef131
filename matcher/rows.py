"""Ranked rows scored from the index's columns: a page of 20 (client, target) pairs in one compiled
pass (matcher/kernels.score_rows), each a RowScore with the sums of score_requirements and every
requirement's status as a code. No I/O; the caller hands over the index's arrays.

Why: a ranked row made as a MatchScore built a dict of the client's evidence and a result object
per requirement (~100 a target), ~200 µs a row; most of a candidate list's or a client's vacancy
list's CPU (docs/bench-api.md "Session 35"). Gaps, what-ifs and the CLI, which show every
requirement with its evidence, still score through score_requirements; both give the same
numbers to the last bit (tests/test_rows.py).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matcher import kernels
from matcher.scoring import PRIOR, SHIFT, SPREAD, Requirements, RowScore

# One pair: the target's requirements, their competency columns (ascending, as the index holds
# them), and the client's evidence as the index holds it: columns (ascending), levels,
# confidences, inferred flags.
Evidence = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def score_rows(pairs: Sequence[tuple[Requirements, np.ndarray, Evidence]]) -> list[RowScore]:
    """A RowScore per (requirements, columns, evidence) pair, in order."""
    if not pairs:
        return []
    lists = [p[0] for p in pairs]
    req_start, req_stop, (req_cols, required, weight, prior, margin) = _stacked(
        lists, [(cols, *reqs.arrays) for reqs, cols, _ in pairs])
    ev_start, ev_stop, (ev_cols, level, conf, inferred) = _stacked([p[2] for p in pairs], [p[2] for p in pairs])
    lengths = req_stop - req_start
    code_at = np.zeros(len(pairs) + 1, dtype=np.int64)  # each pair's own codes: a target may be in many pairs
    np.cumsum(lengths, out=code_at[1:])
    sums = np.empty((len(pairs), 5), dtype=np.float64)
    codes = np.empty(int(code_at[-1]), dtype=np.int8)
    # one type for every call (a patched client's row may hold float64): no compiling at request time
    kernels.score_rows(req_start, req_stop, req_cols.astype(np.int64), required, weight, prior, margin,
                       ev_start, ev_stop, ev_cols.astype(np.int64), level.astype(np.float64), conf.astype(np.float64),
                       inferred.astype(np.bool_), SPREAD, SHIFT, PRIOR, code_at, sums, codes)
    return [RowScore(*row, reqs, codes[a:b]) for row, reqs, a, b in zip(sums.tolist(), lists, code_at[:-1].tolist(),
                                                                          code_at[1:].tolist())]


def _stacked(owners: list, parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The parts of every pair end to end, each distinct owner's once (a client's vacancy list
    scores one client's evidence against 20 targets, a candidate list 20 clients against one
    target), and where each pair's part starts and stops."""
    seen: dict[int, tuple[int, int]] = {}
    kept: list[tuple[np.ndarray, ...]] = []
    at = 0
    bounds = []
    for owner, part in zip(owners, parts):
        span = seen.get(id(owner))
        if span is None:
            span = seen[id(owner)] = (at, at + len(part[0]))
            kept.append(part)
            at += len(part[0])
        bounds.append(span)
    start, stop = np.array(bounds, dtype=np.int64).reshape(-1, 2).T
    columns = [np.concatenate([p[i] for p in kept]) if len(kept) > 1 else kept[0][i] for i in range(len(kept[0]))]
    return np.ascontiguousarray(start), np.ascontiguousarray(stop), columns
