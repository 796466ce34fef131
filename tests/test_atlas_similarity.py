"""SIMILAR_TO: idf-weighted cosine top-k (pure)."""
from __future__ import annotations

import pytest

from competency_atlas.similarity import requirement_matrix, top_k_similar

OCC = ["o:a", "o:b", "o:c", "o:d"]
REQS = [
    ("o:a", "s:rare", 1.0), ("o:a", "s:common", 1.0),
    ("o:b", "s:rare", 1.0), ("o:b", "s:common", 0.5),
    ("o:c", "s:common", 1.0), ("o:c", "s:other", 1.0),
    ("o:d", "s:common", 1.0),
]


def test_rows_are_unit_length_and_common_skills_weigh_less():
    matrix, competencies = requirement_matrix(OCC, REQS)
    dense = matrix.toarray()
    assert (abs((dense ** 2).sum(axis=1) - 1) < 1e-9).all()
    a = dense[0]
    assert a[competencies.index("s:rare")] > a[competencies.index("s:common")]


def test_top_k_ranks_by_score_excludes_self_and_stops_at_k():
    result = top_k_similar(OCC, REQS, k=2)
    by_occ = {}
    for occ, other, score, rank in result:
        by_occ.setdefault(occ, []).append((rank, other, score))
    assert [o for _, o, _ in by_occ["o:a"]] == ["o:b", "o:d"]  # sharing the rare skill beats sharing the common one
    assert all(len(v) <= 2 for v in by_occ.values())
    assert all(other != occ for occ, other, _, _ in result)
    assert [r for r, _, _ in by_occ["o:a"]] == [1, 2]


def test_ties_are_broken_by_uri_and_the_result_is_deterministic():
    reqs = [("o:x", "s:1", 1.0), ("o:z", "s:1", 1.0), ("o:y", "s:1", 1.0)]
    result = top_k_similar(["o:x", "o:z", "o:y"], reqs, k=2)
    assert [(a, b, rank) for a, b, _, rank in result if a == "o:x"] == [("o:x", "o:y", 1), ("o:x", "o:z", 2)]
    assert result == top_k_similar(["o:x", "o:z", "o:y"], reqs, k=2)


def test_occupations_without_overlap_get_no_neighbours():
    result = top_k_similar(["o:a", "o:b"], [("o:a", "s:1", 1.0), ("o:b", "s:2", 1.0)])
    assert result == []


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        top_k_similar(OCC, REQS, k=0)
