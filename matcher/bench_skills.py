"""Skill-extraction benchmark (TECH / HOUSE, Decorte et al. 2022) on the project's extractor.

Protocol (shared/benchmarks/README.md §2): group annotation rows by sentence; the gold set is
the sentence's labels minus LABEL NOT PRESENT and UNDERSPECIFIED; sentences with an empty gold
set are dropped; the whole label space is ranked per sentence. RP@K = |gold ∩ top K| /
min(K, |gold|), averaged over sentences; MRR = mean 1/rank of the first gold label.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOT_GOLD = {"LABEL NOT PRESENT", "UNDERSPECIFIED"}
REQUIRED_COLUMNS = ("sentence", "label")


class AnnotationError(ValueError):
    pass


@dataclass(frozen=True)
class GoldSentence:
    sentence: str
    gold: frozenset[str]


def read_annotations(path: Path) -> list[GoldSentence]:
    """Sentences in first-seen order with their gold label sets (empty ones dropped)."""
    if not path.exists():
        raise AnnotationError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AnnotationError(f"{path}: header lacks column(s) {', '.join(missing)}")
        gold: dict[str, set[str]] = {}
        for number, row in enumerate(reader, start=2):
            sentence, label = (row.get("sentence") or "").strip(), (row.get("label") or "").strip()
            if not sentence:
                raise AnnotationError(f"{path}: row {number}: field 'sentence' is empty")
            labels = gold.setdefault(sentence, set())
            if label and label not in NOT_GOLD:
                labels.add(label)
    return [GoldSentence(s, frozenset(g)) for s, g in gold.items() if g]


# --- metrics (pure) ------------------------------------------------------------------------

def r_precision_at(ranked: list[str], gold: frozenset[str], k: int) -> float:
    hits = sum(1 for label in ranked[:k] if label in gold)
    return hits / min(k, len(gold))


def reciprocal_rank(ranked: list[str], gold: frozenset[str]) -> float:
    for position, label in enumerate(ranked, start=1):
        if label in gold:
            return 1.0 / position
    return 0.0


def score_rankings(rankings: list[list[str]], golds: list[frozenset[str]]) -> dict[str, float]:
    if len(rankings) != len(golds):
        raise ValueError("one ranking per gold set expected")
    n = len(golds)
    if n == 0:
        return {"mrr": 0.0, "rp_at_1": 0.0, "rp_at_5": 0.0, "rp_at_10": 0.0, "sentences": 0}
    mean = lambda values: float(np.mean(values))  # noqa: E731
    return {
        "mrr": round(mean([reciprocal_rank(r, g) for r, g in zip(rankings, golds)]), 4),
        **{f"rp_at_{k}": round(100 * mean([r_precision_at(r, g, k) for r, g in zip(rankings, golds)]), 2)
           for k in (1, 5, 10)},
        "sentences": n,
    }


# --- the command body ----------------------------------------------------------------------

RANKERS = ("full", "ingest")


def run(annotations: Path, labels_path: Path, depth: int = 100, ranker: str = "full") -> dict[str, float]:
    """Rank the label space for every gold sentence with the extractor; return the metrics.

    `full`: every label by the fused score (`ingest.extraction.rank_labels`). `ingest`: the
    vacancy ingest's faster ranking (`VacancyExtractor.rank`: verbatim mentions first, the
    encoder only for sentences they do not decide, token windows only for a shortlist).
    Rankings are cut at `depth` (100, as in the published evaluations): a gold label below
    that contributes nothing to any metric here except a reciprocal rank under 0.01.
    """
    from graph_schema.settings import settings
    from ingest.extraction import SentenceEncoder, rank_labels
    from ingest.vacancy_requirements import VacancyExtractor
    from ingest.skill_index import (build_index, default_cache_dir, esco_skills, read_label_file,
                                    skills_from_labels)

    started = time.perf_counter()  # wall time of the whole run: reading, index (cached), ranking
    s = settings()
    gold = read_annotations(annotations)
    labels = read_label_file(labels_path)
    unknown = sorted({g for item in gold for g in item.gold} - set(labels))
    index = build_index(skills_from_labels(labels, esco_skills(s.data_dir)), s.embedding_model,
                        default_cache_dir(s.work_dir), with_texts=False)
    encoder = SentenceEncoder(s.embedding_model)
    sentences = [g.sentence for g in gold]
    if ranker == "ingest":
        extractor = VacancyExtractor(index, encoder)
        ranked = [rows for rows, _ in extractor.rank(sentences, depth)]
    else:
        ranked = rank_labels(sentences, index, encoder, depth)
    seconds = time.perf_counter() - started
    result = score_rankings([[index.entries[i].label for i in row] for row in ranked],
                            [g.gold for g in gold])
    result["seconds"] = round(seconds, 3)
    result["ranker"] = ranker
    if ranker == "ingest":
        result["sentences_encoded"] = extractor.sentences_encoded
    if unknown:
        # Gold labels outside the label space can never be found; say so rather than hide it.
        result["gold_labels_not_in_label_space"] = len(unknown)
    return result


def run_command(annotations: Path, labels: Path, as_json: bool, ranker: str = "full") -> None:
    """`atlas-match bench skills`: one JSON object on stdout; bad input is a one-line error."""
    import json

    import typer

    from ingest.skill_index import SkillDataError

    try:
        result = run(annotations, labels, ranker=ranker)
    except (AnnotationError, SkillDataError) as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)
    if not as_json:
        typer.echo(f"skill extraction {annotations.name}: {result['sentences']} sentences", err=True)
    typer.echo(json.dumps(result))
