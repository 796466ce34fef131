"""The compiled index against the pure scoring it must reproduce, on generated data."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from matcher.explain import explain
from matcher.index import (ClientEntries, ClientPatch, Clients, MatchIndex, RequirementEntries, Scope, Targets,
                           distance_km, unit_vectors)
from matcher.scoring import SHORTFALL_PENALTY, Constraints, DistancePolicy, distance_penalty, score_requirements


def build(seed: int, n_clients=300, n_vac=40, n_comp=30, gated=0.1, **kw) -> MatchIndex:
    rng = np.random.default_rng(seed)
    mask = rng.random((n_clients, n_comp)) < 0.4
    cl, co = np.nonzero(mask)
    clients = Clients([f"c{i:04d}" for i in range(n_clients)],
                      ClientEntries(cl, co, rng.random(len(cl)).astype(np.float32),
                                    rng.uniform(0.2, 1, len(cl)).astype(np.float32)),
                      rng.random(n_clients) < gated,
                      unit_vectors(rng.uniform(51.5, 53, n_clients), rng.uniform(4, 7, n_clients)), n_comp,
                      hours=kw.get("client_hours"), education=kw.get("client_edu"), radius=kw.get("client_radius"),
                      spare=kw.get("spare", 0))
    vmask = rng.random((n_vac, n_comp)) < 0.3
    vr, vc = np.nonzero(vmask)
    entries = RequirementEntries(vr, vc, rng.uniform(0, 1, len(vr)).astype(np.float32),
                                 rng.uniform(1, 5, len(vr)).astype(np.float32), rng.random(len(vr)) < 0.6)
    vacancies = Targets([f"v{i:03d}" for i in range(n_vac)], entries, rng.random(n_vac) < 0.8,
                        unit_vectors(rng.uniform(51.5, 53, n_vac), rng.uniform(4, 7, n_vac)), n_comp,
                        hours=kw.get("vac_hours"), facts=kw.get("vac_facts"))
    occupations = Targets([f"o{i:03d}" for i in range(n_vac)], entries, np.ones(n_vac, bool),
                          np.full((n_vac, 3), np.nan), n_comp)
    return MatchIndex([f"k{i:02d}" for i in range(n_comp)], clients, vacancies, occupations)


@hsettings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_kernel_scores_equal_the_pure_scoring(seed):
    idx = build(seed)
    rng, n = np.random.default_rng(seed), len(idx.competencies)
    live = idx.clients.keys[5:300:60]  # live updates, scored apart from the compiled rows
    for c in live:
        cols = np.sort(rng.choice(n, rng.integers(0, n), replace=False)).astype(np.int32)
        idx.clients.patch(ClientPatch(c, cols, rng.random(len(cols), dtype=np.float32),
                                      rng.random(len(cols), dtype=np.float32), False, np.full(3, np.nan),
                                      math.nan, math.nan))
    for v in idx.vacancies.keys[:5]:
        reqs = idx.requirements_of(idx.vacancies, v)
        scores = idx.client_scores(idx.vacancies, idx.vacancies.row[v])
        for c in idx.clients.keys[::37] + live:
            pure = score_requirements(reqs, idx.profile_of(c)).fit
            assert math.isclose(scores[idx.clients.row[c]], pure, abs_tol=1e-5)
    c = idx.clients.keys[3]
    by_vacancy = idx.target_scores(idx.vacancies, idx.clients.row[c])
    for v in idx.vacancies.keys:
        pure = score_requirements(idx.requirements_of(idx.vacancies, v), idx.profile_of(c)).fit
        assert math.isclose(by_vacancy[idx.vacancies.row[v]], pure, abs_tol=1e-5)


@hsettings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 14))
def test_a_small_caseload_scored_alone_gets_the_all_clients_kernels_scores_and_ranking(seed, size):
    hours = np.random.default_rng(seed).choice([16.0, 24.0, 36.0, np.nan], 300).astype(np.float32)
    idx = build(seed, client_hours=hours, vac_hours=np.full(40, 32.0))
    c = idx.clients
    n = len(idx.competencies)
    c.patch(ClientPatch(c.keys[2], np.arange(0, n, 3, dtype=np.int32), np.full(len(range(0, n, 3)), 0.9, np.float32),
                        np.ones(len(range(0, n, 3)), np.float32), False, c.xyz[2].copy(), math.nan, math.nan))
    rows = np.sort(np.random.default_rng(seed).choice(len(c.keys), size, replace=False)).astype(np.int64)
    rows[0] = 2  # the patched client is in the caseload
    rows = np.unique(rows)
    caseload = set(rows.tolist())
    for v in idx.vacancies.keys[:5]:
        row = idx.vacancies.row[v]
        everyone, alone = idx.client_scores(idx.vacancies, row), idx.client_scores(idx.vacancies, row, rows)
        assert np.allclose(alone[rows], everyone[rows], atol=1e-5)
        for constraints in (Constraints(), Constraints(DistancePolicy(radius_km=40, hard=True), filter_hours=True)):
            scoped = idx.candidates(v, 20, constraints, scope=[c.keys[r] for r in rows])
            everyone_ranked = [k for k in idx.candidates(v, len(c.keys), constraints).keys if c.row[k] in caseload]
            assert scoped.keys == everyone_ranked[:20] and scoped.total == len(everyone_ranked)


@hsettings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_ranking_is_the_explained_score_and_never_shows_gated_clients(seed):
    idx = build(seed, gated=0.3)
    v = idx.vacancies.keys[0]
    policy = DistancePolicy(radius_km=30)
    ranked = idx.candidates(v, 25, Constraints(policy))
    excluded = {k for k, x in zip(idx.clients.keys, idx.clients.excluded) if x}
    assert ranked.keys and not excluded & set(ranked.keys)
    assert list(ranked.scores) == sorted(ranked.scores, reverse=True)
    vrow = idx.vacancies.row[v]
    for key, score in zip(ranked.keys, ranked.scores):
        km = distance_km(idx.clients.xyz[idx.clients.row[key]], idx.vacancies.xyz[vrow])
        e = explain(idx.requirements_of(idx.vacancies, v), idx.profile_of(key), km, policy)
        assert math.isclose(e.match.fit - e.distance_penalty, score, abs_tol=1e-5)
        assert math.isclose(sum(r.contribution for r in e.match.results), e.match.fit, abs_tol=1e-6)
    assert len(ranked.keys) == 25


def test_hard_distance_filters_and_soft_distance_penalises():
    idx = build(1, n_clients=500)
    v = idx.vacancies.keys[2]
    vrow = idx.vacancies.row[v]
    near = idx.candidates(v, 500, Constraints(DistancePolicy(radius_km=40, hard=True)))
    for key in near.keys:
        assert distance_km(idx.clients.xyz[idx.clients.row[key]], idx.vacancies.xyz[vrow]) <= 40
    soft = idx.candidates(v, 500, Constraints(DistancePolicy(radius_km=40)))
    assert len(soft.keys) > len(near.keys)  # nobody vanishes without a filter
    assert distance_penalty(65.0, DistancePolicy(radius_km=40)) == pytest.approx(0.1)
    assert distance_penalty(None, DistancePolicy()) == 0.0
    # a user's "within 60 km" leaves out who is farther and changes nobody's score: the penalty still
    # counts from each client's own radius (here 10 km for some, the default for the rest)
    idx = build(1, n_clients=500, client_radius=np.random.default_rng(1).choice([10.0, np.nan], 500))
    own = idx.candidates(v, 500, Constraints(DistancePolicy()))
    within = idx.candidates(v, 500, Constraints(DistancePolicy(max_km=60)))
    scores = dict(zip(own.keys, own.scores.tolist()))
    assert 0 < len(within.keys) < len(own.keys)
    for key, score in zip(within.keys, within.scores.tolist()):
        assert distance_km(idx.clients.xyz[idx.clients.row[key]], idx.vacancies.xyz[vrow]) <= 60
        assert score == scores[key]


def test_unknown_hours_never_cost_and_short_hours_cost_or_filter():
    n = 300
    hours = np.full(n, np.nan)
    hours[:100] = 16.0
    hours[100:200] = 40.0
    idx = build(2, n_clients=n, gated=0.0, client_hours=hours, vac_hours=np.full(40, 32.0))
    v = idx.vacancies.keys[0]
    filtered = idx.candidates(v, n, Constraints(DistancePolicy(radius_km=1e4), filter_hours=True))
    rows = {idx.clients.row[k] for k in filtered.keys}
    assert rows == set(range(100, n))  # 16 h < 32 h filtered; unknown hours kept
    soft = idx.candidates(v, n, Constraints(DistancePolicy(radius_km=1e4)))
    base = idx.client_scores(idx.vacancies, idx.vacancies.row[v])
    got = dict(zip(soft.keys, soft.scores))
    assert got["c0000"] == pytest.approx(base[0] - 0.1, abs=1e-6)
    assert got["c0250"] == pytest.approx(base[250], abs=1e-6)


def test_each_piece_of_evidence_keeps_whether_it_was_inferred_through_compiling_and_patching():
    rng = np.random.default_rng(2)
    cl, co = np.repeat(np.arange(50), 4), np.tile(np.arange(4), 50)
    inferred = rng.random(len(cl)) < 0.5
    shuffled = rng.permutation(len(cl))  # streamed in any order: compiling sorts, and the flags must follow
    clients = Clients([f"c{i:02d}" for i in range(50)],
                      ClientEntries(cl[shuffled], co[shuffled], rng.random(len(cl)).astype(np.float32)[shuffled],
                                    np.ones(len(cl), np.float32), inferred[shuffled]),
                      np.zeros(50, bool), np.full((50, 3), np.nan), 4, spare=1)
    idx = MatchIndex([f"k{i}" for i in range(4)], clients, *[Targets([], RequirementEntries(
        *(np.zeros(0, t) for t in (np.int32, np.int32, np.float32, np.float32, bool))), np.zeros(0, bool),
        np.zeros((0, 3)), 4)] * 2)
    for i in (0, 17, 49):  # entries were sorted by client then competency: the flags came along
        assert [idx.profile_of(f"c{i:02d}")[f"k{c}"].inferred for c in range(4)] == inferred[i * 4:(i + 1) * 4].tolist()
    clients.patch(ClientPatch("c17", np.array([1, 3], np.int32), np.ones(2, np.float32), np.ones(2, np.float32),
                              False, np.full(3, np.nan), np.nan, np.nan, inferred=np.array([True, False])))
    assert {u: e.inferred for u, e in idx.profile_of("c17").items()} == {"k1": True, "k3": False}


def test_a_clients_ranked_scores_are_its_rows_fits_and_what_opens_is_judged_by_them():
    rng = np.random.default_rng(6)
    idx = build(6, client_hours=rng.choice([16.0, 40.0], 300), vac_hours=rng.choice([32.0, np.nan], 40),
                client_radius=rng.choice([10.0, np.nan], 300))
    row = next(r for r in range(300) if not idx.clients.excluded[r] and idx.clients.hours[r] == 16.0)
    key = idx.clients.keys[row]
    ranked = idx.ranked_scores(row)
    shown = dict(zip(*(lambda r: (r.keys, r.scores.tolist()))(idx.vacancies_for(key, 40, Constraints()))))
    for v, vkey in enumerate(idx.vacancies.keys):  # an open vacancy's score is its ranked row's; a closed one none
        assert (ranked[v] == shown[vkey]) if idx.vacancies.is_open[v] else ranked[v] == -np.inf
    competencies = idx.target_scores(idx.vacancies, row)
    short = [v for v in range(40) if idx.vacancies.is_open[v] and idx.vacancies.hours[v] == 32.0]
    assert short and all(competencies[v] - ranked[v] >= 0.1 - 1e-6 for v in short)  # 16 hours offered: 0.1 off


def test_what_if_override_raises_scores():
    idx = build(3)
    row = idx.clients.row["c0007"]
    before = idx.target_scores(idx.vacancies, row)
    after = idx.target_scores(idx.vacancies, row, {5: (1.0, 1.0)})
    assert (after >= before - 1e-6).all() and (after > before + 1e-6).any()


def _candidate_score(idx, t, r, score):
    """A client's score on the vacancy's candidate list, written plainly: the competency fit less
    the distance beyond the client's own radius, and the hours and education that fall short."""
    c, v = idx.clients, idx.vacancies
    own = None if np.isnan(c.radius[r]) else float(c.radius[r])
    km = distance_km(c.xyz[r], v.xyz[t])
    short = sum(bool(have < need) for have, need in ((c.hours[r], v.hours[t]), (c.education[r], v.education[t])))
    return score - distance_penalty(km, DistancePolicy(), own) - SHORTFALL_PENALTY * short


def _rank_by_count(idx, targets, t, row, fit):
    """The rule written plainly: matchable others scoring above `fit`, plus one (on a vacancy the
    scores of its candidate list)."""
    scores = idx.client_scores(targets, t)
    if targets is idx.vacancies:
        scores = [_candidate_score(idx, t, r, float(s)) for r, s in enumerate(scores)]
    others = [scores[r] for r in range(len(idx.clients.keys)) if r != row and not idx.clients.excluded[r]]
    return sum(1 for s in others if s > np.float32(fit) + 1e-6) + 1


def test_a_what_if_rank_on_a_vacancy_is_the_place_on_its_candidate_list():
    rng = np.random.default_rng(5)
    idx = build(5, client_hours=rng.choice([16.0, 40.0, np.nan], 300), vac_hours=np.full(40, 32.0),
                client_radius=rng.choice([5.0, 40.0, 120.0, np.nan], 300))
    t = 3
    ranked = idx.candidates(idx.vacancies.keys[t], 300)
    for place in (1, 2, 17, 60):
        key = ranked.keys[place - 1]
        r = idx.clients.row[key]
        own = _candidate_score(idx, t, r, float(idx.client_scores(idx.vacancies, t)[r]))
        assert math.isclose(own, float(ranked.scores[place - 1]), abs_tol=1e-5)  # the kernel applies the same rule
        assert idx.ranks(idx.vacancies, t, r, [0.0]) == [place]


def test_ranks_are_the_count_above_and_follow_every_live_change():
    idx = build(8, gated=0.2, client_radius=np.random.default_rng(8).choice([10.0, 60.0, np.nan], 300))
    targets, t = idx.vacancies, 2
    row = next(r for r in range(len(idx.clients.keys)) if not idx.clients.excluded[r])
    scores = np.array([_candidate_score(idx, t, r, float(s)) for r, s in enumerate(idx.client_scores(targets, t))])
    mine = float(scores[row])
    gains = [0.0, -mine, 1.0 - mine, float(np.median(scores)) + 0.0031 - mine]  # off others' scores: float32 ties
    assert idx.ranks(targets, t, row, gains) == [_rank_by_count(idx, targets, t, row, mine + g) for g in gains]
    assert idx.ranks(targets, t, row, [1.0 - mine]) == [1] and idx.ranks(targets, t, row, [-mine])[0] > 100
    # a client raised above this one: kept scores would miss it
    other = next(r for r in range(len(idx.clients.keys)) if r != row and not idx.clients.excluded[r]
                 and scores[r] < scores[row])
    columns = targets.competency[targets.span(t)]
    idx.clients.patch(ClientPatch(idx.clients.keys[other], columns, np.ones(len(columns), np.float32),
                                  np.ones(len(columns), np.float32), False, np.full(3, np.nan), np.nan, np.nan))
    assert idx.ranks(targets, t, row, [0.0]) == [_rank_by_count(idx, targets, t, row, mine)]
    # a matchable client above it erased, a gated one let in: both move the rank
    above = next(r for r in range(len(idx.clients.keys)) if r != row and not idx.clients.excluded[r]
                 and _candidate_score(idx, t, r, float(idx.client_scores(targets, t)[r])) > mine)
    idx.clients.remove(idx.clients.keys[above])
    assert idx.ranks(targets, t, row, [0.0]) == [_rank_by_count(idx, targets, t, row, mine)]
    gated = next(r for r in range(len(idx.clients.keys)) if idx.clients.excluded[r] and idx.clients.keys[r] in idx.clients.row)
    idx.clients.patch(ClientPatch(idx.clients.keys[gated], columns, np.ones(len(columns), np.float32),
                                  np.ones(len(columns), np.float32), False, np.full(3, np.nan), np.nan, np.nan))
    assert idx.ranks(targets, t, row, [0.0]) == [_rank_by_count(idx, targets, t, row, mine)]
    assert idx.ranks(targets, t, gated, [0.0]) is not None
    assert idx.ranks(targets, t, above, [0.0]) is None  # erased: no rank


def test_a_what_ifs_sliders_on_one_target_score_all_clients_once_and_then_only_who_changed(monkeypatch):
    idx = build(9)
    row = next(r for r in range(len(idx.clients.keys)) if not idx.clients.excluded[r])
    scores = [_candidate_score(idx, 1, r, float(s)) for r, s in enumerate(idx.client_scores(idx.vacancies, 1))]
    above = next(r for r in range(len(idx.clients.keys)) if not idx.clients.excluded[r] and scores[r] > scores[row])
    calls = []
    score = idx.client_scores
    monkeypatch.setattr(idx, "client_scores", lambda *a, **k: calls.append(a[1]) or score(*a, **k))
    for gain in (0.0, 0.1, 0.2):  # three moves of a slider
        idx.ranks(idx.vacancies, 1, row, [gain])
    idx.ranks(idx.occupations, 1, row, [0.1])  # another target: its own scores
    assert calls == [1, 1]
    before = idx.ranks(idx.vacancies, 1, row, [0.0])[0]
    idx.clients.remove(idx.clients.keys[above])
    assert idx.ranks(idx.vacancies, 1, row, [0.0]) == [before - 1]  # the erased client no longer counts
    assert calls == [1, 1]  # a client changed: only that client scored again


def _made_afresh(idx: MatchIndex, targets: Targets, t: int, score) -> tuple[np.ndarray, np.ndarray]:
    """What `_field` makes with nothing kept: every client scored (`score`: idx.client_scores)."""
    scores = score(targets, t)
    idx._finish_field(targets, t, scores, slice(None))
    return scores, scores[~idx.clients.excluded]


@hsettings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_kept_scores_brought_up_to_date_equal_the_scores_made_afresh(seed):
    rng = np.random.default_rng(seed)
    idx = build(seed, gated=0.2, spare=5, client_hours=rng.choice([16.0, 40.0, np.nan], 300),
                vac_hours=np.full(40, 32.0), client_radius=rng.choice([5.0, 40.0, np.nan], 300))
    n, score, calls = len(idx.competencies), idx.client_scores, []
    idx.client_scores = lambda *a, **k: calls.append(1) or score(*a, **k)
    fields = [(idx.vacancies, 2), (idx.occupations, 2), (idx.vacancies, 7)]
    kept = {(id(ts), t): idx._field(ts, t) for ts, t in fields}
    assert len(calls) == 3
    for step in range(4):  # each step's scores brought up to date from the step before's
        for key in [*rng.choice(idx.clients.keys[:300], 3), f"new{step}"]:  # known clients and a new one
            cols = np.sort(rng.choice(n, rng.integers(0, n), replace=False)).astype(np.int32)
            idx.clients.patch(ClientPatch(str(key), cols, rng.random(len(cols), dtype=np.float32),
                                          rng.random(len(cols), dtype=np.float32), bool(rng.random() < 0.3),
                                          unit_vectors(rng.uniform(51.5, 53, 1), rng.uniform(4, 7, 1))[0],
                                          float(rng.choice([8.0, 36.0])), math.nan, float(rng.choice([10.0, np.nan]))))
        idx.clients.remove(str(rng.choice(list(idx.clients.row))))
        updated = {(id(ts), t): idx._field(ts, t) for ts, t in fields}
        assert len(calls) == 3  # no target's clients all scored again
        for ts, t in fields:
            scores, matchable = updated[(id(ts), t)]
            assert scores is not kept[(id(ts), t)][0]  # a new array: the kept one may be in use
            fresh, fresh_matchable = _made_afresh(idx, ts, t, score)
            assert np.array_equal(scores, fresh) and np.array_equal(matchable, fresh_matchable)
        kept = updated


def test_nothing_kept_from_an_earlier_live_state_is_brought_up_to_date():
    idx = build(4)
    score, calls = idx.client_scores, []
    idx.client_scores = lambda *a, **k: calls.append(1) or score(*a, **k)
    idx._field(idx.vacancies, 2)  # kept before any patch
    idx.clients.start_live_state([])  # a new live state (nothing patched in either)
    idx._field(idx.vacancies, 2)
    assert len(calls) == 2  # every client scored again, not the old scores taken as up to date


def test_a_saved_index_loads_memory_mapped_and_ranks_the_same(tmp_path):
    from datetime import date

    from matcher import index_store

    facts = [None if i % 7 == 3 else {"id": f"v{i:03d}", "title": f"Kok {i} – één", "hours": i % 3 * 12 or None,
                                      "lat": 52.1 + i / 1000, "municipality": None} for i in range(40)]
    idx = build(5, gated=0.2, vac_facts=facts)
    name = index_store.folder_name("graph-1", 7, date(2026, 11, 30))
    assert name != index_store.folder_name("graph-1", 8, date(2026, 11, 30))  # another state, another folder
    assert name != index_store.folder_name("graph-2", 7, date(2026, 11, 30))
    assert name != index_store.folder_name("graph-1", 7, date(2026, 12, 1))  # confidences decay by the day
    assert index_store.load(tmp_path, name) is None
    index_store.save(idx, tmp_path, name)
    loaded = index_store.load(tmp_path, name)
    rows = loaded.clients.by_competency.rows
    assert isinstance(rows.base, np.memmap) and not rows.flags.writeable  # shared through the page cache
    v = idx.vacancies.keys[0]
    ranked, again = idx.candidates(v, 20), loaded.candidates(v, 20)
    assert ranked.keys == again.keys and np.allclose(ranked.scores, again.scores)
    c = idx.clients.keys[0]
    assert np.allclose(idx.target_scores(idx.vacancies, 0), loaded.target_scores(loaded.vacancies, 0))
    assert idx.vacancies_for(c, 10).keys == loaded.vacancies_for(c, 10).keys
    assert [loaded.vacancies.facts_of(k) for k in idx.vacancies.keys] == facts  # a row's facts, none for some
    assert isinstance(loaded.vacancies.facts_text.base, np.memmap)  # one copy for every worker
    loaded.vacancies.facts_of("v000")["title"] = "changed by a caller"
    assert loaded.vacancies.facts_of("v000")["title"] == "Kok 0 – één"  # each call a new dict
    assert loaded.vacancies.facts_of("nope") is None and loaded.occupations.facts_of("o000") is None
    odd = build(5, vac_facts=[{"title": date(2026, 11, 30), "hours": float("nan")}] * 40)  # no JSON type
    assert odd.vacancies.facts_of("v001")["title"] == "2026-11-30"  # its text, not a failed build
    loaded.clients.remove(c)  # live updates still work on a loaded index
    assert c not in loaded.candidates(v, 1000).keys


def test_sole_shortfalls_count_the_clients_one_essential_requirement_alone_excludes():
    """Against the pure status rule, client by client, on random data with gates and a live patch."""
    from matcher.index import ClientPatch
    from matcher.scoring import Status, score_requirements

    idx = build(11, gated=0.2)
    c = idx.clients.keys[2]  # a live update: its compiled row is stale, the patch counts
    idx.clients.patch(ClientPatch(c, np.array([0, 1, 2], dtype=np.int32), np.zeros(3, np.float32),
                                  np.ones(3, np.float32), False, np.full(3, np.nan), np.nan, np.nan))
    v = idx.vacancies.keys[0]
    reqs = idx.requirements_of(idx.vacancies, v)
    expected, with_evidence = {r.competency: 0 for r in reqs if r.essential}, 0
    for key in idx.clients.keys:
        row = idx.clients.row.get(key)
        if row is None or idx.clients.excluded[row]:
            continue
        result = score_requirements(reqs, idx.profile_of(key))
        with_evidence += any(r.evidence is not None for r in result.results)
        blocking = [r.requirement.competency for r in result.results
                    if r.requirement.essential and r.status is Status.MISSING]
        if len(blocking) == 1:
            expected[blocking[0]] += 1
    sole, counted = idx.sole_shortfalls(idx.vacancies, v)
    assert sole == expected and counted == with_evidence and any(sole.values())


def test_what_changing_competencies_brings_within_reach_equals_a_full_rescore():
    idx = build(21)
    row = 4
    base = idx.target_scores(idx.vacancies, row)
    counted = np.random.default_rng(3).random(len(base)) < 0.7
    n = len(idx.competencies)
    # asked together: one competency an item (a gap), up or down (a change may lose some), held or
    # not by this client; and several at once as one item (a what-if), where they meet in a vacancy
    asks = [[[(column, level, confidence)] for column in range(n)] for level, confidence in ((0.9, 0.7), (0.0, 1.0))]
    asks += [[[(0, 1.0, 1.0), (1, 0.8, 0.9), (n - 1, 0.0, 1.0)], [], [(3, 1.0, 1.0)]],
             [[(c, 1.0, 1.0) for c in range(0, n, 2)]]]
    seen = []
    for threshold in np.quantile(base, [0.3, 0.6, 0.9]):
        for items in asks:
            expected = []
            for item in items:
                full = idx.target_scores(idx.vacancies, row, {c: (level, conf) for c, level, conf in item})
                expected.append(int((full[counted] >= threshold).sum() - (base[counted] >= threshold).sum()))
            got = idx.reached_changes(idx.vacancies, base, counted, row, items, float(threshold))
            assert got == expected
            seen += got
    assert any(x > 0 for x in seen) and any(x < 0 for x in seen)
    with pytest.raises(ValueError):  # one change per competency: which one would count?
        idx.reached_changes(idx.vacancies, base, counted, row, [[(2, 1.0, 1.0)], [(2, 0.0, 1.0)]], 0.5)


def test_a_held_scope_ranks_like_its_keys_and_takes_in_a_client_patched_in_later():
    idx = build(4, n_clients=200, gated=0.0)
    c = idx.clients
    c.free, c.keys = [len(c.keys)], c.keys + [""]  # one spare row, as a compiled index keeps them
    c.excluded = np.append(c.excluded, True)
    c.xyz, c.hours, c.education = np.vstack([c.xyz, np.full((1, 3), np.nan)]), np.append(c.hours, np.nan), \
        np.append(c.education, np.nan)
    c.radius = np.append(c.radius, np.nan)
    v = idx.vacancies.keys[0]
    caseload = Scope(tuple(c.keys[:40:2]) + ("new",), holder=("coach", "coach-a"), version="t1")
    held = idx.candidates(v, 50, scope=caseload)
    assert held.keys == idx.candidates(v, 50, scope=list(caseload.keys)).keys
    assert set(held.keys) <= set(caseload.keys) and held.total == 20
    other = idx.candidates(v, 50, scope=Scope(tuple(c.keys[1:40:2]), holder=("coach", "coach-b"), version="t1"))
    assert set(other.keys).isdisjoint(held.keys)  # a holder's rows never answer for another's
    moved = Scope(tuple(c.keys[:10]), holder=("coach", "coach-a"), version="t2")  # the same coach, a new token
    assert set(idx.candidates(v, 50, scope=moved).keys) <= set(c.keys[:10])
    strong = np.arange(len(idx.competencies), dtype=np.int32)
    assert c.patch(ClientPatch("new", strong, np.ones(len(strong), np.float32), np.ones(len(strong), np.float32),
                               False, c.xyz[0], math.nan, math.nan))
    again = idx.candidates(v, 50, scope=caseload)
    assert again.total == 21 and again.keys[0] == "new"  # the best client of all, landed after it was held


WARM_CHECK = """
import json, math, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, {tests!r})
from test_index import build
from matcher import index_store, kernels
from matcher.index import ClientPatch
index_store.save(build(6), Path({folder!r}), "i")
idx = index_store.load(Path({folder!r}), "i")  # mapped, read-only arrays: the types a server ranks with
from matcher.rows import Names, score_rows
kinds = [kernels.score_clients, kernels.score_vacancies, kernels.score_one, kernels.reached_changes,
         kernels.finish_top, kernels.score_spans, kernels.open_within, kernels.score_rows]
idx.warm()
warmed = [len(k.signatures) for k in kinds]
c = idx.clients.keys[5]
n = len(idx.competencies)
idx.clients.patch(ClientPatch(c, np.arange(n, dtype=np.int32), np.ones(n, np.float32), np.ones(n, np.float32),
                              False, idx.clients.xyz[5].copy(), math.nan, math.nan))
idx.candidates(idx.vacancies.keys[3], 10)
idx.candidates(idx.vacancies.keys[3], 10, scope=list(idx.clients.keys[:12]))  # a caseload, scored alone
idx.vacancies_for(c, 10)
idx.occupations_for(c, 10)
scores = idx.target_scores(idx.vacancies, 5)
idx.reached_changes(idx.vacancies, scores, idx.open_within(5, 40.0), 5, [[(2, 0.9, 1.0)]], 0.5)
target = idx.row_target(idx.vacancies, idx.vacancies.keys[3], Names.of(idx.competencies, {{}}))
score_rows([(target, idx.clients.entries(r)) for r in (5, 6)])  # a patched client, a mapped one
print(json.dumps({{"warmed": warmed, "after": [len(k.signatures) for k in kinds]}}))
"""


@pytest.fixture(scope="module")
def numba_cache(tmp_path_factory):
    """Empty for the first fresh process that uses it (the warming test, first in this file); the
    idle test after it loads the kernels from it instead of compiling them again (~12 s)."""
    return tmp_path_factory.mktemp("numba")


def test_warming_compiles_every_kernel_a_request_uses(tmp_path, numba_cache):
    """A coach's first request must not wait seconds for numba: after `warm` on a loaded index,
    requests (a patched client included) compile nothing new. Run in a fresh process, where no
    other test has compiled anything yet, with an empty numba cache."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = WARM_CHECK.format(tests=str(Path(__file__).parent), folder=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "NUMBA_CACHE_DIR": str(numba_cache)})
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout.strip().splitlines()[-1])  # compiled signatures per kernel
    assert counts["warmed"] == counts["after"], out.stdout
    assert 0 not in counts["warmed"], out.stdout  # every kernel was compiled by warm


IDLE_CHECK = """
import json, resource, sys, time
sys.path.insert(0, {tests!r})
from test_index import build
idx = build(7)
idx.warm()
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
v = idx.vacancies.keys[2]
idx.candidates(v, 10)
began, slept = cpu(), 0.0
for _ in range(10):  # rankings a few requests apart, as in a quiet consulting room
    idx.candidates(v, 10)
    t = time.perf_counter()
    time.sleep(0.03)
    slept += time.perf_counter() - t
print(json.dumps({{"cpu_s": cpu() - began, "slept_s": slept}}))
"""


def test_the_kernels_threads_sleep_between_rankings(numba_cache):
    """numba's OpenMP threads spun ~10 ms after every parallel kernel by default, a core burnt
    between rankings; matcher/kernels.py makes them wait passively. Ten rankings 30 ms apart in a
    fresh process (the environment without OMP_WAIT_POLICY) cost a few ms of CPU, not ~100."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", IDLE_CHECK.format(tests=str(Path(__file__).parent))],
                         capture_output=True, text=True, timeout=300, env={**env, "NUMBA_CACHE_DIR": str(numba_cache)})
    assert out.returncode == 0, out.stderr
    used = json.loads(out.stdout.strip().splitlines()[-1])
    assert used["slept_s"] >= 0.3 and used["cpu_s"] < 0.1 * used["slept_s"], used
