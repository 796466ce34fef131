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

from competency_atlas.lookup import (HALVES, Embed, FusionWeights, LookupIndex, build_index, concept_scores, fuse,
                                     half_margins, half_weights, rank_concepts, rank_forms, score_components,
                                     score_forms, weights_for, with_descriptions)

TOP = 100
BATCH = 64
DEV_MARKER = "DEV_SPLIT"  # written by scripts/melo_dev_split.py; `choose_weights` runs only where it is
# Fusion weights tried by `choose_weights`: semantic share x tfidf's share of the lexical rest x
# decisiveness (how far a query's semantic share may move, `lookup.semantic_shares`).
SEMANTIC_SHARES = tuple(round(0.05 * i, 2) for i in range(21))
TFIDF_SHARES = (0.25, 0.5, 0.75, 1.0)
DECISIVENESS = (0.0, 0.25, 0.5, 0.75, 1.0)
# The description's share, tried with the language's label weights (`--description-grid`).
DESCRIPTION_SHARES = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35)


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


def esco_descriptions(data_dir: Path) -> dict[str, dict[str, str]]:
    """ESCO's description of each occupation and ISCO group by URI (lang -> uri -> text), read from
    the reference data as the atlas build reads it: the corpus concepts' own descriptions, not a
    benchmark file (the corpus maps its labels to these URIs)."""
    from competency_atlas.sources import esco, locate

    folders = locate(data_dir)
    out: dict[str, dict[str, str]] = {}
    for lang, path in (("en", folders.esco / "occupations_en.csv"), ("nl", folders.esco_nl / "occupations_nl.csv")):
        frame = esco.read_occupations(path)
        out[lang] = dict(zip(frame["uri"], frame["description"].fillna("")))
    groups = esco.read_isco_groups(folders.esco)
    out["en"].update(zip(groups["uri"], groups["description"].fillna("")))
    return out


def _index(data: MeloDataset, embed: Embed | None, corpus_embed: Embed | None,
           descriptions: dict[str, dict[str, str]] | None, lang: str | None) -> LookupIndex:
    """The corpus index, with label vectors and (when given) the descriptions in `lang`, the
    language the queries are scored in."""
    if embed is None:
        return build_corpus_index(data, None)
    encode_corpus = corpus_embed or embed
    index = build_corpus_index(data, encode_corpus([text for _, text in data.corpus]))
    lang = lang or ""
    if descriptions and lang in descriptions:
        index = with_descriptions(index, {lang: descriptions[lang]}, encode_corpus)
    return index


def rank_queries(data: MeloDataset, index: LookupIndex, embed: Embed | None, lang: str | None,
                 weights: FusionWeights | None = None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per query, the top corpus elements two ways from the same scores: every label of a concept
    together, concept after concept (`rank_forms`), and one label per concept (`rank_concepts`,
    the list `search` shows)."""
    cids = [cid for cid, _ in data.corpus]
    grouped: dict[str, list[str]] = {}
    per_concept: dict[str, list[str]] = {}
    for start in range(0, len(data.queries), BATCH):
        batch = data.queries[start:start + BATCH]
        scores = score_forms(index, [title for _, title in batch], lang, embed, weights)
        best = concept_scores(index, scores)
        for (qid, _), form_scores, concept_best in zip(batch, scores, best):
            grouped[qid] = [cids[i] for i in rank_forms(index, form_scores, concept_best, TOP)]
            per_concept[qid] = [cids[i] for i in rank_concepts(index, form_scores, concept_best, TOP)]
    return grouped, per_concept


def run(folder: Path, embed: Embed | None, corpus_embed: Embed | None = None,
        lang: str | None = None, weights: FusionWeights | None = None,
        half: str | None = None, descriptions: dict[str, dict[str, str]] | None = None) -> dict:
    """Load, index, rank and score one dataset folder; `seconds` is the whole wall time. The
    metrics are those of the grouped ranking; `one_label_per_concept` has them for the other.

    `half` ("lexical" / "semantic") runs one half of the fused look-up alone through the same
    code (title variants, label agreement, ranking); the lexical half needs no encoder.
    `descriptions` (lang -> concept key -> text, `esco_descriptions`) adds the concepts'
    descriptions to the fused look-up; the halves score labels only.
    """
    started = time.perf_counter()
    data = load_dataset(folder)
    if half is not None:
        if half not in HALVES:
            raise DatasetError(f"unknown half {half!r}: expected one of {', '.join(HALVES)}")
        if half == "semantic" and embed is None:
            raise DatasetError("the semantic half needs the sentence encoder")
        weights = half_weights(lang or data.query_lang, half)
        if half == "lexical":
            embed = None
        descriptions = None
    index = _index(data, embed, corpus_embed, descriptions, lang or data.query_lang)
    grouped, per_concept = rank_queries(data, index, embed, lang or data.query_lang, weights)
    result: dict = evaluate(grouped, data.relevant)
    result["one_label_per_concept"] = evaluate(per_concept, data.relevant)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def configured_encoders(semantic: bool = True) -> tuple[Embed | None, Embed | None]:
    """The configured model for queries and, through the vector cache, for corpus texts; (None,
    None) for a lexical-only run."""
    if not semantic:
        return None, None
    from functools import partial

    from competency_atlas.embedding_cache import cached_encode
    from competency_atlas.embeddings import encode
    from graph_schema.settings import settings

    s = settings()
    return (partial(encode, model_name=s.embedding_model),
            partial(cached_encode, model_name=s.embedding_model, work_dir=s.work_dir))


def run_configured(folder: Path, lang: str | None = None, half: str | None = None, semantic: bool = True) -> dict:
    """`run` with the configured model and ESCO's descriptions from the data folder: what both
    `atlas-match bench melo` and `python -m competency_atlas.bench_melo` run. Raises DatasetError
    for a bad folder and SourceError for a missing data folder."""
    from graph_schema.settings import settings

    semantic = semantic and half != "lexical"
    embed, corpus_embed = configured_encoders(semantic)
    descriptions = esco_descriptions(settings().data_dir) if semantic and half is None else None
    return run(folder, embed, corpus_embed, lang, half=half, descriptions=descriptions)


def weight_grid() -> list[FusionWeights]:
    grid = []
    for sem in SEMANTIC_SHARES:
        for share in (TFIDF_SHARES if sem < 1 else (0.5,)):
            rest = 1.0 - sem
            for decisiveness in (DECISIVENESS if sem < 1 else (0.0,)):
                grid.append(FusionWeights(round(sem, 4), round(rest * share, 4), round(rest * (1 - share), 4),
                                          decisiveness))
    return grid


def _cached_margins(cache: dict, index: LookupIndex, parts, weights: FusionWeights) -> tuple | None:
    """The halves' margins depend only on the lexical half's tfidf : fuzzy ratio: computed once each."""
    if not weights.decisiveness or weights.tfidf + weights.fuzzy <= 0:
        return None
    ratio = round(weights.tfidf / (weights.tfidf + weights.fuzzy), 6)
    if ratio not in cache:
        cache[ratio] = half_margins(index, parts, weights)
    return cache[ratio]


def description_grid(lang: str | None) -> list[FusionWeights]:
    """The language's label weights with each description share of DESCRIPTION_SHARES."""
    w = weights_for(lang)
    return [FusionWeights(w.semantic, w.tfidf, w.fuzzy, w.decisiveness, share) for share in DESCRIPTION_SHARES]


def choose_weights(folders: Sequence[Path], embed: Embed, corpus_embed: Embed | None = None,
                   grid: Sequence[FusionWeights] | None = None,
                   descriptions: dict[str, dict[str, str]] | None = None) -> list[dict]:
    """Dev MRR of every weighting in `grid`, averaged over the dev-split folders, best first.

    Refuses any folder without the dev-split marker: fusion settings are never chosen on the
    MELO test queries. The component scores are computed once per folder, then re-weighted.
    """
    grid = list(grid or weight_grid())
    totals = np.zeros(len(grid))
    for folder in folders:
        if not (folder / DEV_MARKER).is_file():
            raise DatasetError(f"{folder}: not a dev split ({DEV_MARKER} missing; make one with "
                               "scripts/melo_dev_split.py). Weights are never chosen on a test set.")
        data = load_dataset(folder)
        index = _index(data, embed, corpus_embed, descriptions, data.query_lang)
        parts = score_components(index, [title for _, title in data.queries], data.query_lang, embed)
        cids = [cid for cid, _ in data.corpus]
        margins: dict[float, tuple] = {}
        for n, weights in enumerate(grid):
            scores = fuse(index, parts, weights, margins=_cached_margins(margins, index, parts, weights))
            best = concept_scores(index, scores)
            rankings = {qid: [cids[i] for i in rank_forms(index, scores[j], best[j], TOP)]
                        for j, (qid, _) in enumerate(data.queries)}
            totals[n] += evaluate(rankings, data.relevant)["mrr"]
    rows = [{"semantic": w.semantic, "tfidf": w.tfidf, "fuzzy": w.fuzzy, "decisiveness": w.decisiveness,
             "description": w.description, "dev_mrr": round(t / len(folders), 4)}
            for w, t in zip(grid, totals)]
    return sorted(rows, key=lambda r: -r["dev_mrr"])


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m competency_atlas.bench_melo DIR [--half lexical|semantic]`: the same run as
    `atlas-match bench melo DIR --json`, or one half of the fusion alone; one JSON object.
    `... DEV_DIR [DEV_DIR ...] --grid`: the fusion-weight grid on dev splits (never a test set);
    `--description-grid`: the description's share with the language's label weights."""
    import argparse
    import json

    from competency_atlas.sources import SourceError
    from graph_schema.settings import settings

    parser = argparse.ArgumentParser(prog="python -m competency_atlas.bench_melo")
    parser.add_argument("dataset_dir", type=Path, nargs="+")
    parser.add_argument("--half", choices=HALVES, default=None,
                        help="one half alone (default: the fused look-up)")
    parser.add_argument("--lang", default=None)
    parser.add_argument("--grid", action="store_true",
                        help="dev splits only: mean dev MRR of each fusion weighting over the folders")
    parser.add_argument("--description-grid", action="store_true",
                        help="dev splits only: the same for each description share (DESCRIPTION_SHARES)")
    args = parser.parse_args(argv)
    try:
        if args.grid or args.description_grid:
            embed, corpus_embed = configured_encoders()
            descriptions = esco_descriptions(settings().data_dir) if args.description_grid else None
            lang = args.lang or load_dataset(args.dataset_dir[0]).query_lang
            grid = description_grid(lang) if args.description_grid else None
            rows = choose_weights(args.dataset_dir, embed, corpus_embed, grid, descriptions)
            print(json.dumps({"dev_splits": [str(d) for d in args.dataset_dir], "grid": rows}))
            return
        if len(args.dataset_dir) != 1:
            parser.error("one dataset folder (several only with --grid)")
        result = run_configured(args.dataset_dir[0], args.lang, args.half)
    except (DatasetError, SourceError) as exc:
        raise SystemExit(str(exc))
    result["method"] = args.half or "fused"
    print(json.dumps(result))

if __name__ == "__main__":
    main()
