"""Make a development split in MELO format from a MELO corpus alone (no gold file, no queries).

Fusion settings are chosen on this split, never on the MELO test figures: for a random sample
of concepts with at least two labels, one alternative label becomes the query and is removed
from the corpus; the concept's remaining labels are the relevant elements. The real MELO
queries (O*NET / VDAB titles) are harder than held-out ESCO labels, so this split ranks
settings, it does not predict the test score.

    .venv/bin/python scripts/melo_dev_split.py SOURCE_DATASET_DIR OUT_DIR [--queries 300] [--seed 7]
        [--hidden-labels ../shared/data/esco-1.1.1-nl/occupations_nl.csv]
        [--isco-groups ../shared/data/esco-1.2.0/occupations_en.csv]

With --hidden-labels (an ESCO occupations CSV from ../shared/data, not a benchmark file) the held-out
label is one ESCO lists as a *hidden* label of the concept: the spellings and job titles people
search with ("QA medewerker voedingsmiddelen", "sous-chef"), nearer to real titles than the
curated alternative labels. ESCO 1.1.1 has 1,481 Dutch hidden labels on 354 occupations (its
English file has 92 on 8, too few for a split).

With --isco-groups (an ESCO occupations CSV, for its iscoGroup column) the queries are the titles of
ISCO unit groups in the corpus ("Payroll clerks", "Mathematicians, actuaries and statisticians"),
held out at every level they are listed; the relevant elements are the labels of the ESCO
occupations in that group. Official, plural, often composite titles: the style of the O*NET
occupation titles MELO's usa queries are, from the corpus side alone.

The fusion weights in competency_atlas/lookup.py were chosen on two splits per dataset (the
default 300 queries seed 7, and --queries 1000 --seed 11) with
`python -m competency_atlas.bench_melo DEV_DIR [DEV_DIR ...] --grid`, which refuses a folder
without the DEV_SPLIT marker this script writes.
"""
from __future__ import annotations

import argparse
import csv
import random
import re
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hidden-labels", type=Path, default=None)
    parser.add_argument("--isco-groups", type=Path, default=None)
    args = parser.parse_args()
    if args.hidden_labels and args.isco_groups:
        parser.error("--hidden-labels or --isco-groups, not both")

    corpus = [line.split("\t") for line in (args.source / "corpus_elements.tsv").read_text(encoding="utf-8").splitlines()]
    mapping = dict(line.split("\t") for line in (args.source / "concept_mapping.tsv").read_text(encoding="utf-8").splitlines())
    forms = defaultdict(list)
    for cid, text in corpus:
        forms[mapping[cid]].append((cid, text))
    # what may be held out: an alternative label, never the preferred one (the concept's first form)
    holdable = {c: rows[1:] for c, rows in forms.items() if len(rows) >= 2 and "/occupation/" in c}
    if args.hidden_labels:
        hidden = hidden_labels(args.hidden_labels)
        holdable = {c: [f for f in rows if f[1].casefold() in hidden.get(c, set())] for c, rows in holdable.items()}
    if args.isco_groups:
        return write_isco_split(args, corpus, mapping, forms, members_by_group(args.isco_groups))
    eligible = sorted(c for c, rows in holdable.items() if rows)
    rng = random.Random(args.seed)
    chosen = rng.sample(eligible, min(args.queries, len(eligible)))
    held_out: dict[str, str] = {}
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "queries.tsv").open("w", encoding="utf-8") as q, \
            (args.out / "annotations.tsv").open("w", encoding="utf-8") as a:
        for n, concept in enumerate(chosen, start=1):
            qid = f"Q{n:06d}"
            cid, text = rng.choice(holdable[concept])
            held_out[cid] = text
            q.write(f"{qid}\t{text}\n")
            for other, _ in forms[concept]:
                if other != cid:
                    a.write(f"{qid}\t0\t{other}\t1\n")
    kind = "ESCO hidden labels" if args.hidden_labels else "alternative labels"
    write_rest(args, corpus, mapping, set(held_out), f"{len(chosen)} held-out {kind}, seed {args.seed}")


def write_rest(args, corpus, mapping, held_out: set[str], what: str) -> None:
    """The corpus without the held-out elements, and the marker
    `competency_atlas.bench_melo.choose_weights` requires before it tunes anything."""
    (args.out / "DEV_SPLIT").write_text(f"dev split of {args.source.resolve().name}: {what}\n", encoding="utf-8")
    with (args.out / "corpus_elements.tsv").open("w", encoding="utf-8") as c, \
            (args.out / "concept_mapping.tsv").open("w", encoding="utf-8") as m:
        for cid, text in corpus:
            if cid not in held_out:
                c.write(f"{cid}\t{text}\n")
                m.write(f"{cid}\t{mapping[cid]}\n")


def write_isco_split(args, corpus, mapping, forms, members: dict[str, set[str]]) -> None:
    """Each sampled ISCO unit group's title is the query (held out, with every group form of the
    same text), its member occupations' labels the relevant elements."""
    groups = {c: rows for c, rows in forms.items() if re.fullmatch(r".*/isco/C\d{4}", c)
              and any(m in forms for m in members.get(c.rsplit("/C", 1)[1], ()))}
    rng = random.Random(args.seed)
    chosen = rng.sample(sorted(groups), min(args.queries, len(groups)))
    titles = {groups[c][0][1].casefold() for c in chosen}
    held_out = {cid for c, rows in forms.items() if "/isco/" in c for cid, text in rows if text.casefold() in titles}
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "queries.tsv").open("w", encoding="utf-8") as q, \
            (args.out / "annotations.tsv").open("w", encoding="utf-8") as a:
        for n, group in enumerate(chosen, start=1):
            qid = f"Q{n:06d}"
            q.write(f"{qid}\t{groups[group][0][1]}\n")
            for occupation in sorted(members[group.rsplit("/C", 1)[1]] & forms.keys()):
                for cid, _ in forms[occupation]:
                    a.write(f"{qid}\t0\t{cid}\t1\n")
    write_rest(args, corpus, mapping, held_out, f"{len(chosen)} held-out ISCO unit-group titles")


def members_by_group(occupations_csv: Path) -> dict[str, set[str]]:
    """ISCO unit-group code -> the ESCO occupation URIs in it, from an ESCO occupations CSV."""
    rows = read_esco_csv(occupations_csv, {"conceptUri", "iscoGroup"})
    out: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if (row["iscoGroup"] or "").strip():
            out[row["iscoGroup"].strip()].add(row["conceptUri"])
    return out


def hidden_labels(occupations_csv: Path) -> dict[str, set[str]]:
    """concept URI -> its ESCO hidden labels (case-folded), from an ESCO occupations CSV."""
    return {row["conceptUri"]: {t.strip().rstrip(";").strip().casefold()
                                for t in (row["hiddenLabels"] or "").splitlines() if t.strip()}
            for row in read_esco_csv(occupations_csv, {"conceptUri", "hiddenLabels"})
            if (row["hiddenLabels"] or "").strip()}


def read_esco_csv(occupations_csv: Path, columns: set[str]) -> list[dict[str, str]]:
    """The rows of an ESCO occupations CSV. A file that is not one stops the script with what is
    missing, before anything is written."""
    try:
        with occupations_csv.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = columns - set(reader.fieldnames or ())
            if missing:
                raise SystemExit(f"{occupations_csv}: not an ESCO occupations CSV (no column {', '.join(sorted(missing))})")
            return list(reader)
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{occupations_csv}: cannot read it ({exc})")


if __name__ == "__main__":
    main()
