"""Ranked rows scored in one compiled pass (matcher/rows.py) against score_requirements, which gaps,
what-ifs and the CLI still use: the same numbers to the last bit and the same statuses, so a row, a
gap and the CLI never disagree about a fit."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from api.services.matching import explain
from matcher.index import ClientPatch
from matcher.rows import score_rows
from matcher.scoring import (CODE_OF_STATUS, NOT_NAMED, Evidence, Requirement, Requirements, RowScore,
                             score_requirements)
from matcher.service import _scores
from test_index import build

F32 = st.floats(0, 1, width=32)
URIS = [f"onet:{i}" for i in range(6)] + [f"esco:{i}" for i in range(6)]  # both priors


@st.composite
def targets(draw) -> tuple[Requirements, np.ndarray]:
    """Requirements in column order as the index holds them, a column now and then listed twice,
    levels of 0 (nothing asked) and, now and then, no weight at all."""
    cols = sorted(draw(st.lists(st.integers(0, len(URIS) - 1), max_size=14)))
    weightless = draw(st.booleans()) and draw(st.booleans())
    reqs = [Requirement(URIS[c], f"label {c}", draw(st.sampled_from([0.0, draw(F32)])),
                        0.0 if weightless else draw(st.floats(0.5, 5, width=32)), draw(st.booleans())) for c in cols]
    return Requirements(reqs), np.array(cols, dtype=np.int32)


@st.composite
def evidence(draw) -> tuple[np.ndarray, ...]:
    cols = sorted(draw(st.sets(st.integers(0, len(URIS) - 1))))
    n = len(cols)
    return (np.array(cols, dtype=np.int32), np.array(draw(st.lists(F32, min_size=n, max_size=n)), dtype=np.float32),
            np.array(draw(st.lists(F32, min_size=n, max_size=n)), dtype=np.float32),
            np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=np.bool_))


def profile(e) -> dict[str, Evidence]:
    return {URIS[c]: Evidence(lv, k, "profile", None, f) for c, lv, k, f in zip(*(a.tolist() for a in e))}


def sums(score) -> tuple[float, ...]:
    return score.fit, score.fit_low, score.fit_high, score.coverage, score.measured


@hsettings(max_examples=300, deadline=None)
@given(st.lists(targets(), min_size=1, max_size=3), st.lists(evidence(), min_size=1, max_size=3), st.data())
def test_rows_scored_at_once_are_score_requirements_to_the_last_bit(lists, clients, data):
    # pairs sharing a target or a client, as a candidate list and a client's vacancy list do
    pairs = [(lists[data.draw(st.integers(0, len(lists) - 1))], clients[data.draw(st.integers(0, len(clients) - 1))])
             for _ in range(data.draw(st.integers(1, 6)))]
    rows = score_rows([(reqs, cols, e) for (reqs, cols), e in pairs])
    for row, ((reqs, _), e) in zip(rows, pairs):
        full = score_requirements(reqs, profile(e))
        assert sums(row) == sums(full)  # equal, not close
        if full.results:
            assert row.codes.tolist() == [CODE_OF_STATUS[r.status] for r in full.results]
        else:  # no weight at all: nothing to name
            assert set(row.codes.tolist()) <= {NOT_NAMED}
        assert row.requirements is reqs


@hsettings(max_examples=100, deadline=None)
@given(targets(), evidence(), st.sets(st.sampled_from(URIS), max_size=3))
def test_a_row_names_what_the_full_score_names_and_hides_the_same(target, e, hidden):
    reqs, cols = target
    (row,) = score_rows([(reqs, cols, e)])
    full = score_requirements(reqs, profile(e))
    assert explain(row) == explain(full)
    assert explain(row, frozenset(hidden)) == explain(full, frozenset(hidden))


def test_a_page_scores_its_rows_as_the_cli_does_patched_clients_included():
    idx = build(11)
    patched = idx.clients.keys[4]
    n = len(idx.competencies)
    idx.clients.patch(ClientPatch(patched, np.arange(0, n, 2, dtype=np.int32), np.linspace(0, 1, (n + 1) // 2),
                                  np.full((n + 1) // 2, 0.9), False, np.full(3, np.nan), math.nan, math.nan))
    t = idx.occupations
    keys = list(t.keys[:6])
    requirements = {k: Requirements(idx.requirements_of(t, k)) for k in keys}
    pairs = [(c, k) for c in (idx.clients.keys[0], patched, idx.clients.keys[9]) for k in keys]
    rows = _scores(idx, t, pairs, requirements, provenance=False)
    full = _scores(idx, t, pairs, requirements, provenance=True)
    assert all(isinstance(r, RowScore) for r in rows)
    assert [sums(r) for r in rows] == [sums(f) for f in full]
    assert [explain(r) for r in rows] == [explain(f) for f in full]
