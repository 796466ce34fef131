"""Alternative occupations: top-k neighbours by requirement similarity — pure numpy/scipy.

Each occupation is a sparse vector over competencies. An entry is the requirement weight
(ESCO essential 1.0, optional 0.5) times the competency's inverse document frequency,
idf = ln((1 + N) / (1 + df)) + 1, so that sharing a rare, specific skill counts more than sharing
one that half of all occupations ask for. Similarity is the cosine of two such vectors.
Only ESCO requirements go in (the caller's choice): the O*NET part is copied from one O*NET
occupation to every ESCO occupation mapped to it, which would make those look alike regardless
of what they really ask for.

Ties are broken by the neighbour's URI, so the result is the same on every run.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse


def requirement_matrix(occupations: list[str], requirements: Iterable[tuple[str, str, float]]
                       ) -> tuple[sparse.csr_matrix, list[str]]:
    """(rows = occupations, columns = competencies) of idf-weighted, L2-normalised requirement weights."""
    row_of = {uri: i for i, uri in enumerate(occupations)}
    col_of: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for occupation, competency, weight in requirements:
        if occupation not in row_of or weight <= 0:
            continue
        rows.append(row_of[occupation])
        cols.append(col_of.setdefault(competency, len(col_of)))
        vals.append(float(weight))
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(occupations), len(col_of)), dtype=np.float64)
    matrix.sum_duplicates()
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + len(occupations)) / (1 + df)) + 1.0
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    competencies = sorted(col_of, key=col_of.get)
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix), competencies


def top_k_similar(occupations: list[str], requirements: Iterable[tuple[str, str, float]], k: int = 10,
                  min_score: float = 0.0) -> list[tuple[str, str, float, int]]:
    """(occupation, neighbour, score rounded to 4 decimals, rank 1..k) for every occupation."""
    if k < 1:
        raise ValueError("k must be at least 1")
    matrix, _ = requirement_matrix(occupations, requirements)
    scores = (matrix @ matrix.T).toarray()
    np.fill_diagonal(scores, -1.0)
    scores = np.round(scores, 4)
    order = np.argsort(np.asarray(occupations))  # position in URI order, for tie-breaks
    uri_rank = np.empty(len(occupations), dtype=np.int64)
    uri_rank[order] = np.arange(len(occupations))
    result = []
    for i, uri in enumerate(occupations):
        row = scores[i]
        candidates = np.flatnonzero(row > min_score)
        if candidates.size == 0:
            continue
        best = candidates[np.lexsort((uri_rank[candidates], -row[candidates]))][:k]
        result.extend((uri, occupations[j], float(row[j]), rank) for rank, j in enumerate(best, start=1))
    return result
