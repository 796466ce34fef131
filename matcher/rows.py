"""Ranked rows scored from the index's arrays: a page of 20 (client, target) pairs in one compiled
pass (matcher/kernels.score_rows), each a RowScore with the sums of score_requirements and every
requirement's status as a code. No I/O; the caller hands over the index's arrays and labels.

Why: a ranked row made as a MatchScore needed the target's requirements as ~100 labelled objects
(~150 µs to make, kept per target) and built a dict of the client's evidence and a result object
per requirement (~200 µs a row): most of a candidate list's or a client's vacancy list's CPU
(docs/bench-api.md "Session 35"). Here a target is a few arrays made at once (RowTarget) and a
row names only what it shows. Gaps, what-ifs and the CLI, which show every requirement with its
evidence, still score through score_requirements: both give the same numbers to the last bit
(tests/test_rows.py).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from matcher import kernels
from matcher.scoring import PRIOR, SHIFT, SPREAD, partly_margin, requirement_weight

# A client's evidence as the index holds it: columns (ascending), levels, confidences, inferred flags.
Evidence = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class Names:
    """The index's competencies named in one language: uri -> (label, language) or None (no
    label: the uri stands in, as in MatchIndex.requirements_of), and each column's place when the
    labels are sorted, which breaks a row's ties as Requirements does."""
    competencies: Sequence[str]
    labels: Mapping[str, tuple[str, str] | None]
    rank: np.ndarray  # per column

    @classmethod
    def of(cls, competencies: Sequence[str], labels: Mapping[str, tuple[str, str] | None]) -> Names:
        texts = [(labels.get(u) or (u, None))[0] or "" for u in competencies]
        place = {text: i for i, text in enumerate(sorted(set(texts)))}
        return cls(competencies, labels, np.array([place[t] for t in texts], dtype=np.int64))

    def named(self, column: int) -> tuple[str, str, str | None]:
        uri = self.competencies[column]
        return (uri, *(self.labels.get(uri) or (uri, None)))


@dataclass(frozen=True, eq=False)
class RowTarget:
    """What ranked rows need of one vacancy's or occupation's requirements, as Requirement and
    Requirements hold it (the same float64 values, the same order of naming)."""
    columns: np.ndarray  # int64, ascending
    required: np.ndarray  # float64
    weight: np.ndarray  # float64: importance, halved for an optional requirement
    prior: np.ndarray  # float64
    margin: np.ndarray  # float64: partly_margin(prior)
    essential: np.ndarray  # bool
    heaviest: tuple[int, ...]  # the indices in the order a row names them: essential, heaviest, by label
    place: tuple[int, ...]  # each index's place in `heaviest`
    names: Names

    def named(self, i: int) -> tuple[str, str, str | None, bool]:
        """uri, label, label language and essential of requirement i."""
        return (*self.names.named(int(self.columns[i])), bool(self.essential[i]))


def row_target(columns: np.ndarray, required: np.ndarray, importance: np.ndarray, essential: np.ndarray,
               prior_by_column: np.ndarray, names: Names) -> RowTarget:
    """A target's RowTarget from its span of the index's arrays (Targets.competency, .required,
    .importance, .essential) and the index's prior per column."""
    columns = columns.astype(np.int64)
    weight = np.asarray(requirement_weight(importance, essential), dtype=np.float64)
    prior = prior_by_column[columns].astype(np.float64)
    margin = np.array([partly_margin(p) for p in prior.tolist()], dtype=np.float64)
    # Requirements' order: by label, then the heaviest, then essential first (stable sorts: ties as listed)
    heaviest = np.lexsort((names.rank[columns], -weight, ~essential.astype(np.bool_)))
    place = np.empty_like(heaviest)
    place[heaviest] = np.arange(len(heaviest))
    return RowTarget(columns, required.astype(np.float64), weight, prior, margin, essential.astype(np.bool_),
                     tuple(heaviest.tolist()), tuple(place.tolist()), names)


@dataclass(frozen=True, slots=True)
class RowScore:
    """A ranked row's score: MatchScore's sums and each requirement's status as a code
    (matcher/scoring.STATUS_OF_CODE; NOT_NAMED for none), no result object per requirement."""
    fit: float
    fit_low: float
    fit_high: float
    coverage: float
    measured: float
    target: RowTarget
    codes: np.ndarray  # int8 per requirement, in the target's order

    @property
    def heaviest(self) -> tuple[int, ...]:
        return self.target.heaviest

    @property
    def place(self) -> tuple[int, ...]:
        return self.target.place

    def named(self, i: int) -> tuple[str, str, str | None, bool]:
        return self.target.named(i)


def score_rows(pairs: Sequence[tuple[RowTarget, Evidence]]) -> list[RowScore]:
    """A RowScore per (target, client evidence) pair, in order."""
    if not pairs:
        return []
    targets = [t for t, _ in pairs]
    req_start, req_stop, (req_cols, required, weight, prior, margin) = _stacked(
        targets, [(t.columns, t.required, t.weight, t.prior, t.margin) for t in targets])
    ev_start, ev_stop, (ev_cols, level, conf, inferred) = _stacked([e for _, e in pairs], [e for _, e in pairs])
    code_at = np.zeros(len(pairs) + 1, dtype=np.int64)  # each pair's own codes: a target may be in many pairs
    np.cumsum(req_stop - req_start, out=code_at[1:])
    sums = np.empty((len(pairs), 5), dtype=np.float64)
    codes = np.empty(int(code_at[-1]), dtype=np.int8)
    # one type for every call (a patched client's row may hold float64): nothing compiled at request time
    kernels.score_rows(req_start, req_stop, req_cols, required, weight, prior, margin, ev_start, ev_stop,
                       ev_cols.astype(np.int64), level.astype(np.float64), conf.astype(np.float64),
                       inferred.astype(np.bool_), SPREAD, SHIFT, PRIOR, code_at, sums, codes)
    return [RowScore(*row, t, codes[a:b])
            for row, t, a, b in zip(sums.tolist(), targets, code_at[:-1].tolist(), code_at[1:].tolist())]


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
