"""The validation benchmarks' pure core (matcher/bench_validation.py): metrics, truth building,
Jaccard neighbours, gold ranks. Tiny hand-made data, no database."""
from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest

from matcher.bench_validation import (first_hit_rr, jaccard_top_k, neighbour_metrics, rank_of, read_related,
                                      recall_at_k, related_truth, similar_top_k, title_client_row, title_metrics)


def test_recall_divides_by_what_fits_in_the_top_k():
    assert recall_at_k(["a", "x", "b"], {"a", "b"}, k=3) == 1.0
    assert recall_at_k(["a", "x", "b"], {"a", "b"}, k=2) == 0.5  # b is third
    # 4 truths, top 2: both hits is the best possible
    assert recall_at_k(["a", "b", "c"], {"a", "b", "c", "d"}, k=2) == 1.0
    assert recall_at_k([], {"a"}) == 0.0
    with pytest.raises(ValueError):
        recall_at_k(["a"], set())


def test_first_hit_reciprocal_rank_stops_at_k():
    assert first_hit_rr(["x", "a"], {"a"}) == 0.5
    assert first_hit_rr(["x", "y", "a"], {"a"}, k=2) == 0.0
    assert first_hit_rr(["a"], {"a"}) == 1.0


def test_neighbour_metrics_count_missing_predictions_as_misses():
    truth = {"e1": {"e2"}, "e2": {"e1", "e3"}}
    recall, mrr = neighbour_metrics({"e1": ["e3", "e2"]}, truth)
    assert recall == pytest.approx((1.0 + 0.0) / 2) and mrr == pytest.approx((0.5 + 0.0) / 2)


def test_read_related(tmp_path):
    path = tmp_path / "Related Occupations.txt"
    path.write_text("O*NET-SOC Code\tTitle\tRelated O*NET-SOC Code\tRelated Title\tRelatedness Tier\tIndex\n"
                    "11-1011.00\tChief Executives\t11-1021.00\tGeneral Managers\tPrimary-Short\t1\n", encoding="utf-8")
    assert read_related(path) == [("11-1011.00", "11-1021.00", "Primary-Short")]
    bad = tmp_path / "bad.txt"
    bad.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(ValueError):
        read_related(bad)


def test_related_truth_goes_through_the_chosen_crosswalk_matches_and_counts_losses():
    related = [("A", "B", "Primary-Short"), ("A", "C", "Primary-Short"), ("A", "D", "Primary-Long"),
               ("Z", "A", "Primary-Short"), ("B", "A", "Primary-Short")]
    crosswalk = [("e1", "A", "exactMatch"), ("e2", "B", "closeMatch"), ("e3", "B", "exactMatch"),
                 ("e4", "C", "broadMatch"),  # not a chosen match type: C is unmapped
                 ("e5", "D", "exactMatch"), ("e2", "A", "closeMatch")]  # e2 comes from both A and B
    built = related_truth(related, crosswalk)
    # A -> B: e1 -> e2, e3; e2 -> e3 (e2 -> e2 dropped); A -> C lost (related unmapped); A -> D other tier;
    # Z -> A lost (source unmapped); B -> A: e2 -> e1 (e2 -> e2 dropped), e3 -> e1, e3 -> e2
    assert built.truth == {"e1": {"e2", "e3"}, "e2": {"e3", "e1"}, "e3": {"e1", "e2"}}
    assert built.counts == {"onet_pairs": 4, "pairs_mapped": 2, "pairs_lost_source": 1, "pairs_lost_related": 1,
                            "self_pairs_dropped": 2, "esco_pairs": 6}
    wider = related_truth(related, crosswalk, matches=("exactMatch", "closeMatch", "broadMatch"))
    assert wider.truth["e1"] == {"e2", "e3", "e4"} and wider.counts["pairs_lost_related"] == 0
    assert related_truth(related, crosswalk, tier="Primary-Long").truth == {"e1": {"e5"}, "e2": {"e5"}}


def test_similar_top_k_orders_by_rank():
    rows = [("a", "c", 0.5, 2), ("a", "b", 0.9, 1), ("a", "d", 0.1, 3), ("b", "a", 0.9, 1)]
    assert similar_top_k(rows, k=2) == {"a": ["b", "c"], "b": ["a"]}


def test_jaccard_neighbours_exclude_self_and_disjoint_and_break_ties_by_uri():
    occupations = ["o1", "o2", "o3", "o4", "o5"]
    members = [("o1", "x"), ("o1", "y"), ("o2", "x"), ("o2", "y"), ("o2", "z"),  # J(o1,o2) = 2/3
               ("o3", "x"), ("o3", "w"),  # J(o1,o3) = 1/3
               ("o4", "y"), ("o4", "v"),  # J(o1,o4) = 1/3: ties with o3, o3 first by URI
               ("o5", "q"), ("o1", "x")]  # o5 disjoint; a duplicate pair counts once
    top = jaccard_top_k(occupations, members, k=3)
    assert top["o1"] == ["o2", "o3", "o4"]
    assert top["o5"] == []
    assert jaccard_top_k(occupations, members, k=1, only=["o1"]) == {"o1": ["o2"]}


def test_title_client_row_carries_only_the_job():
    row = title_client_row("c1", "occ:x", "Slager", date(2026, 11, 30), "wcm")
    assert row["scale_ids"] == [] and row["levels"] == []
    assert json.loads(row["work_history_json"]) == [
        {"occupation": "occ:x", "title": "Slager", "years": 5.0, "until": "2025-11-30"}]
    assert json.loads(title_client_row("c1", None, "Slager", date(2026, 11, 30), "wcm")["work_history_json"])[0][
        "occupation"] is None


def test_rank_of_follows_the_index_order_score_then_uri():
    keys = np.array(["b", "a", "d", "c"])
    scores = np.array([0.5, 0.5, 0.9, 0.1], dtype=np.float32)
    row = {k: i for i, k in enumerate(keys)}
    # order: d (0.9), a (0.5), b (0.5), c (0.1)
    assert rank_of(scores, keys, {"d"}, row) == 1
    assert rank_of(scores, keys, {"b"}, row) == 3
    assert rank_of(scores, keys, {"b", "c"}, row) == 3  # any gold counts: the best
    assert rank_of(scores, keys, {"zz"}, row) is None


def test_title_metrics():
    recall, mrr = title_metrics([1, 4, None, 20], k=10)
    assert recall == 0.5 and math.isclose(mrr, (1 + 0.25 + 0 + 0.05) / 4)
