"""The MELO benchmark protocol (Retyk et al., RecSys in HR 2024) on any folder of its format.

For every query, rank ALL corpus surface forms with the look-up, keep the top 100 and score like
`trec_eval`: reciprocal rank of the first relevant form (`recip_rank`), average precision
(`map`, relevant forms not retrieved count as misses) and success@1/5/10. Every surface form of
a gold concept is relevant (that is how `annotations.tsv` lists them).

The look-up sees only `queries.tsv` (the titles) and `corpus_elements.tsv` (the ESCO labels),
grouped into concepts by `concept_mapping.tsv` when present (the corpus structure, not the gold).
`annotations.tsv` is read only to score.
"""
from __future__ import annotations

import csv
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from competency_atlas.lookup import Embed, FusionWeights, LookupIndex, build_index, concept_scores, rank_forms, score_forms

TOP = 100
BATCH = 64


class DatasetError(ValueError):
    pass


@dataclass(frozen=True)
class MeloDataset:
    queries: list[tuple[str, str]]  # (qid, title)
    corpus: list[tuple[str, str]]  # (cid, surface form)
    concept_of: dict[str, str]  # cid -> concept key
    relevant: dict[str, set[str]]  # qid -> relevant cids
    query_lang: str | None
    corpus_lang: str | None


# ---- metrics (pure, trec_eval semantics) ------------------------------------------------

def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    for i, doc in enumerate(ranked, start=1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, doc in enumerate(ranked, start=1):
        if doc in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant)


def success_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if any(doc in relevant for doc in ranked[:k]) else 0.0


def evaluate(rankings: dict[str, list[str]], relevant: dict[str, set[str]]) -> dict[str, float]:
    """Mean metrics over the queries that have relevance judgements (as trec_eval does)."""
    qids = [q for q in relevant if relevant[q]]
    if not qids:
        raise DatasetError("no query has a relevant corpus element")

    def mean(metric) -> float:
        return round(float(np.mean([metric(rankings.get(q, []), relevant[q]) for q in qids])), 4)

    return {
        "mrr": mean(reciprocal_rank),
        "map": mean(average_precision),
        "a_at_1": mean(lambda r, g: success_at(r, g, 1)),
        "a_at_5": mean(lambda r, g: success_at(r, g, 5)),
        "a_at_10": mean(lambda r, g: success_at(r, g, 10)),
        "queries": len(qids),
    }


# ---- loading ----------------------------------------------------------------------------

def _read_tsv(path: Path, min_fields: int) -> list[list[str]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file missing (a MELO dataset folder has queries.tsv, "
                           "corpus_elements.tsv and annotations.tsv)")
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < min_fields or not all(cell.strip() for cell in row[:min_fields]):
                raise DatasetError(f"{path}: row {number}: expected {min_fields} tab-separated "
                                   f"non-empty fields, got {row!r}")
            rows.append([cell.strip() for cell in row])
    return rows


def _langs_from_name(name: str) -> tuple[str | None, str | None]:
    # Official folders are named <country>_q_<lang>_c_<lang>[_<lang>...]
    match = re.search(r"_q_([a-z]{2})_c_([a-z]{2})", name)
    return (match.group(1), match.group(2)) if match else (None, None)


def load_dataset(folder: Path) -> MeloDataset:
    queries = [(r[0], r[1]) for r in _read_tsv(folder / "queries.tsv", 2)]
    corpus = [(r[0], r[1]) for r in _read_tsv(folder / "corpus_elements.tsv", 2)]
    cids = {cid for cid, _ in corpus}
    mapping_file = folder / "concept_mapping.tsv"
    # Without a mapping, the concept is the id's prefix (C000123_en_004 -> C000123).
    concept_of = {cid: cid.split("_", 1)[0] for cid in cids}
    if mapping_file.exists():
        concept_of.update({r[0]: r[1] for r in _read_tsv(mapping_file, 2)})
    relevant: dict[str, set[str]] = {}
    qids = {q for q, _ in queries}
    for number, row in enumerate(_read_tsv(folder / "annotations.tsv", 4), start=1):
        qid, _, cid, grade = row[:4]
        if qid not in qids:
            raise DatasetError(f"{folder / 'annotations.tsv'}: row {number}: query {qid!r} not in queries.tsv")
        if cid not in cids:
            raise DatasetError(f"{folder / 'annotations.tsv'}: row {number}: corpus element {cid!r} "
                               "not in corpus_elements.tsv")
        if grade.isdigit() and int(grade) > 0:
            relevant.setdefault(qid, set()).add(cid)
    q_lang, c_lang = _langs_from_name(folder.resolve().name)
    if c_lang is None:
        suffix = re.match(r"[^_]+_([a-z]{2})_", corpus[0][0]) if corpus else None
        c_lang = suffix.group(1) if suffix else None
    return MeloDataset(queries, corpus, concept_of, relevant, q_lang or c_lang, c_lang)


# ---- running ----------------------------------------------------------------------------

def build_corpus_index(data: MeloDataset, corpus_embeddings: np.ndarray | None) -> LookupIndex:
    rows = [(data.concept_of[cid], text, data.corpus_lang or "") for cid, text in data.corpus]
    return build_index(rows, embeddings=corpus_embeddings)


def rank_queries(data: MeloDataset, index: LookupIndex, embed: Embed | None,
                 lang: str | None, weights: FusionWeights | None = None) -> dict[str, list[str]]:
    cids = [cid for cid, _ in data.corpus]
    rankings: dict[str, list[str]] = {}
    for start in range(0, len(data.queries), BATCH):
        batch = data.queries[start:start + BATCH]
        scores = score_forms(index, [title for _, title in batch], lang, embed, weights)
        best = concept_scores(index, scores)
        for (qid, _), form_scores, concept_best in zip(batch, scores, best):
            rankings[qid] = [cids[i] for i in rank_forms(index, form_scores, concept_best, TOP)]
    return rankings


def run(folder: Path, embed: Embed | None, corpus_embed: Embed | None = None,
        lang: str | None = None, weights: FusionWeights | None = None) -> dict[str, float]:
    """Load, index, rank and score one dataset folder; `seconds` is the whole wall time."""
    started = time.perf_counter()
    data = load_dataset(folder)
    corpus_vectors = None
    if embed is not None:
        corpus_vectors = (corpus_embed or embed)([text for _, text in data.corpus])
    index = build_corpus_index(data, corpus_vectors)
    rankings = rank_queries(data, index, embed, lang or data.query_lang, weights)
    result = evaluate(rankings, data.relevant)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result
