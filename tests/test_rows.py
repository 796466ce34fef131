"""Ranked rows scored in one compiled pass from the index's arrays (matcher/rows.py) against
score_requirements on the labelled requirement lists, which gaps, what-ifs and the CLI still use:
the same numbers to the last bit, the same statuses and the same requirements named in the same
order, so a row, a gap and the CLI never disagree."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from api.services.matching import explain
from matcher.index import ClientEntries, ClientPatch, Clients, MatchIndex, RequirementEntries, Targets
from matcher.rows import Names, score_rows
from matcher.scoring import CODE_OF_STATUS, NOT_NAMED, Requirements, score_requirements

URIS = [f"onet:{i}" for i in range(5)] + [f"esco:{i}" for i in range(5)]  # both priors
F32 = st.floats(0, 1, width=32)
NO_POSITION = np.full(3, np.nan)


@st.composite
def indexes(draw) -> tuple[MatchIndex, dict]:
    """A small index: targets that list a competency twice now and then, ask level 0 or weigh
    nothing; labels shared by several competencies (ties) or missing (the uri stands in)."""
    n_targets, n_clients = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    req = draw(st.lists(st.tuples(st.integers(0, n_targets - 1), st.integers(0, len(URIS) - 1),
                                  st.sampled_from([0.0, draw(F32), draw(F32)]),
                                  st.sampled_from([0.0, 1.0, 2.5, draw(st.floats(0.5, 5, width=32))]), st.booleans()),
                        max_size=30))
    ev = draw(st.lists(st.tuples(st.integers(0, n_clients - 1), st.integers(0, len(URIS) - 1), F32, F32, st.booleans()),
                       max_size=30, unique_by=lambda e: e[:2]))
    r, e = (list(zip(*req)) or [()] * 5), (list(zip(*ev)) or [()] * 5)
    entries = RequirementEntries(np.array(r[0], np.int64), np.array(r[1], np.int64), np.array(r[2], np.float32),
                                 np.array(r[3], np.float32), np.array(r[4], np.bool_))
    targets = Targets([f"t{i}" for i in range(n_targets)], entries, np.ones(n_targets, bool),
                      np.tile(NO_POSITION, (n_targets, 1)), len(URIS))
    clients = Clients([f"c{i}" for i in range(n_clients)],
                      ClientEntries(np.array(e[0], np.int64), np.array(e[1], np.int64), np.array(e[2], np.float32),
                                    np.array(e[3], np.float32), np.array(e[4], np.bool_)),
                      np.zeros(n_clients, bool), np.tile(NO_POSITION, (n_clients, 1)), len(URIS))
    labels = {u: draw(st.sampled_from([None, ("Plannen", "nl"), ("Analyseren", "nl"), (u[::-1], "en")])) for u in URIS}
    return MatchIndex(list(URIS), clients, targets, targets), labels


def sums(score) -> tuple[float, ...]:
    return score.fit, score.fit_low, score.fit_high, score.coverage, score.measured


@hsettings(max_examples=200, deadline=None)
@given(indexes(), st.data())
def test_rows_scored_at_once_are_score_requirements_to_the_last_bit(drawn, data):
    index, labels = drawn
    names = Names.of(index.competencies, labels)
    targets = {k: index.row_target(index.vacancies, k, names) for k in index.vacancies.keys}
    # pairs sharing a target or a client, as a candidate list and a client's vacancy list do
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(index.clients.keys), st.sampled_from(index.vacancies.keys)),
                               min_size=1, max_size=6))
    rows = score_rows([(targets[t], index.clients.entries(index.clients.row[c])) for c, t in pairs])
    for row, (c, t) in zip(rows, pairs):
        reqs = Requirements(index.requirements_of(index.vacancies, t, labels))
        full = score_requirements(reqs, index.profile_of(c))
        assert sums(row) == sums(full)  # equal, not close
        assert row.heaviest == reqs.heaviest and row.place == reqs.place
        if full.results:
            assert [row.named(i) for i in range(len(reqs))] == [full.named(i) for i in range(len(reqs))]
            assert row.codes.tolist() == [CODE_OF_STATUS[r.status] for r in full.results]
        else:  # no weight at all: nothing to name
            assert set(row.codes.tolist()) <= {NOT_NAMED}
        hidden = frozenset(data.draw(st.sets(st.sampled_from(URIS), max_size=3)))
        assert explain(row) == explain(full) and explain(row, hidden) == explain(full, hidden)


def test_a_patched_clients_row_is_scored_from_its_new_evidence():
    n = len(URIS)
    cols = np.arange(0, n, 2)
    targets = Targets(["t0"], RequirementEntries(np.zeros(len(cols), np.int64), cols, np.full(len(cols), 0.6, np.float32),
                                                 np.full(len(cols), 3.0, np.float32), cols % 4 == 0),
                      np.ones(1, bool), NO_POSITION.reshape(1, 3), n)
    clients = Clients(["c0"], ClientEntries(np.zeros(1, np.int64), np.zeros(1, np.int64), np.full(1, 0.2, np.float32),
                                            np.ones(1, np.float32)), np.zeros(1, bool), NO_POSITION.reshape(1, 3), n)
    index = MatchIndex(list(URIS), clients, targets, targets)
    names = Names.of(index.competencies, {})
    before = score_rows([(index.row_target(index.vacancies, "t0", names), index.clients.entries(0))])[0]
    index.clients.patch(ClientPatch("c0", np.arange(n, dtype=np.int32), np.linspace(0, 1, n), np.full(n, 0.9), False,
                                    NO_POSITION, math.nan, math.nan))
    (row,) = score_rows([(index.row_target(index.vacancies, "t0", names), index.clients.entries(0))])
    full = score_requirements(Requirements(index.requirements_of(index.vacancies, "t0")), index.profile_of("c0"))
    assert sums(row) == sums(full) != sums(before)
    assert row.coverage == 1.0 and before.coverage < 1.0
