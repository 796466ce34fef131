"""Which ESCO skills need a Dutch label in competency_atlas/skill_labels_nl.csv, and a check of that file.

Reads only the reference data (ATLAS_DATA_DIR, default ../shared/data beside the repository) and
the repository's own files; writes nothing.

    .venv/bin/python scripts/skill_labels_todo.py                 # to-do list (TSV) on stdout
    .venv/bin/python scripts/skill_labels_todo.py --vdab          # + the usable VDAB Competent label per row
    .venv/bin/python scripts/skill_labels_todo.py --missing       # only the to-do rows not yet in the CSV
    .venv/bin/python scripts/skill_labels_todo.py --check         # checks competency_atlas/skill_labels_nl.csv

Selection, in order of priority (a URI is listed once, under its first priority):
  1  every ESCO skill URI in competency_atlas/instruments/*.yaml (`competency:` values),
     competency_atlas/onet_esco_equivalents.csv (`esco_uri`) and, if present,
     competency_atlas/certificates.yaml (any ESCO skill URI in it);
  2  every skill of ESCO's transversal skills collection;
  3  the TOP_N skills most often linked to occupations in occupationSkillRelations_reconstructed.csv
     (essential and optional rows counted alike; ranked by count, ties by URI);
  4  every other skill linked to at least MIN_LINKS occupations that has no Dutch label of ESCO's
     own (v1.0.3, as the VDAB Competent mapping cites it: what the atlas falls back on), so that a
     page shows English only for skills few occupations ask for.
label_en is the atlas's own preferred label (competency_atlas.sources.esco.esco_skills).

VDAB Competent 3.8 labels (crosswalks/vdab_competent_competences_esco.csv, 16-line preamble) are
offered only where the mapping is skos:exactMatch and one-to-one: the ESCO skill has exactly one
exactMatch VDAB competence and that competence exactly one exactMatch ESCO skill. Whether the
Dutch label means the same is judged by a person; the CSV says which ones were taken.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from competency_atlas.sources import crosswalk_file, esco  # noqa: E402
from competency_atlas.sources._csv import read_table  # noqa: E402

TOP_N = 2000
MIN_LINKS = 3
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
URI_RE = re.compile(r"http://data\.europa\.eu/esco/skill/[0-9a-f-]{36}")
CSV_FILE = REPO / "competency_atlas" / "skill_labels_nl.csv"
HEADER = ["uri", "label_en", "label_nl", "provenance"]
PROVENANCES = {"vdab-competent-3.8", "project-translation"}
VDAB_PREAMBLE_LINES = 16


def data_dir() -> Path:
    return Path(os.environ.get("ATLAS_DATA_DIR") or REPO.parent / "shared" / "data")


def esco_folder() -> Path:
    return data_dir() / "esco-1.2.0"


def project_uris() -> list[str]:
    """Priority 1, in file order: instruments, O*NET equivalents, certificates."""
    found: list[str] = []
    for path in sorted((REPO / "competency_atlas" / "instruments").glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*-?\s*competency:\s*[\"']?(\S+?)[\"']?\s*(#.*)?$", line)
            if m and m.group(1).startswith(ESCO_SKILL):
                found.append(m.group(1))
    equivalents = REPO / "competency_atlas" / "onet_esco_equivalents.csv"
    lines = [ln for ln in equivalents.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    for row in csv.DictReader(lines):
        if row["esco_uri"].startswith(ESCO_SKILL):
            found.append(row["esco_uri"].strip())
    certificates = REPO / "competency_atlas" / "certificates.yaml"
    if certificates.is_file():
        found += URI_RE.findall(certificates.read_text(encoding="utf-8"))
    return list(dict.fromkeys(found))


def transversal_uris() -> list[str]:
    frame = read_table(esco_folder() / "transversalSkillsCollection_en.csv", ["conceptUri"])
    return list(dict.fromkeys(u.strip() for u in frame["conceptUri"] if u.strip()))


def relation_counts() -> Counter:
    frame = read_table(esco_folder() / "occupationSkillRelations_reconstructed.csv",
                       ["occupationUri", "relationType", "skillUri"])
    return Counter(u.strip() for u in frame["skillUri"])


def skills_table():
    folder = esco_folder()
    occupation_skills = esco.read_occupation_skills(folder)
    return esco.esco_skills(esco.read_skill_texts(folder), occupation_skills, esco.read_collections(folder),
                            esco.read_skill_broader(folder), esco.read_skill_pillar_top(folder))


def todo() -> list[dict]:
    counts = relation_counts()
    ranked = sorted(counts, key=lambda u: (-counts[u], u))
    rank = {u: i + 1 for i, u in enumerate(ranked)}
    rows: dict[str, dict] = {}
    official = set(crosswalk_file.read_esco_dutch_skill_labels(data_dir() / "crosswalks")["uri"])
    linked = [u for u in ranked[TOP_N:] if counts[u] >= MIN_LINKS and u not in official]
    for priority, uris in ((1, project_uris()), (2, transversal_uris()), (3, ranked[:TOP_N]), (4, linked)):
        for uri in uris:
            rows.setdefault(uri, {"priority": priority, "uri": uri, "count": counts.get(uri, 0),
                                  "rank": rank.get(uri, "")})
    skills = skills_table().set_index("uri")
    for uri, row in rows.items():
        row["label_en"] = skills.at[uri, "label"] if uri in skills.index else None
        row["kind"] = skills.at[uri, "kind"] if uri in skills.index else None
    return list(rows.values())


def vdab_exact() -> dict[str, str]:
    """ESCO URI -> VDAB Dutch label, for one-to-one skos:exactMatch pairs only."""
    path = data_dir() / "crosswalks" / "vdab_competent_competences_esco.csv"
    frame = read_table(path, ["Classification 1 URL", "Classification 2 URI", "Classification 2 PrefLabel NL",
                              "Mapping Relation"], skiprows=VDAB_PREAMBLE_LINES)
    exact = frame[frame["Mapping Relation"].str.strip() == "skos:exactMatch"]
    per_esco = Counter(exact["Classification 1 URL"].str.strip())
    per_vdab = Counter(exact["Classification 2 URI"].str.strip())
    out = {}
    for esco_uri, vdab_uri, label in zip(exact["Classification 1 URL"], exact["Classification 2 URI"],
                                         exact["Classification 2 PrefLabel NL"]):
        esco_uri, vdab_uri = esco_uri.strip(), vdab_uri.strip()
        if per_esco[esco_uri] == 1 and per_vdab[vdab_uri] == 1 and label.strip():
            out[esco_uri] = " ".join(label.split())
    return out


def read_labels_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != HEADER:
            raise SystemExit(f"{path}: header must be {','.join(HEADER)}, found {reader.fieldnames}")
        return list(reader)


# label_nl may equal label_en for names (capitalised: software, languages, standards) and for these
# English terms that Dutch uses unchanged.
SAME_IN_DUTCH_OK = re.compile(r"^[A-Z0-9]")
SAME_IN_DUTCH_TERMS = {"adobe creative suite", "agroforestry", "augmented reality", "badminton",
                       "algebra", "business intelligence", "camouflage", "e-procurement", "firmware", "lasers",
                       "lean manufacturing", "machine learning", "public relations", "radars",
                       "reiki", "reverse engineering", "shiatsu", "smart contract", "spelling", "tai chi", "virtual reality"}


def check(path: Path) -> int:
    rows = read_labels_csv(path)
    skills = skills_table().set_index("uri")
    vdab = vdab_exact()
    problems: list[str] = []
    seen: set[str] = set()
    dutch: dict[str, str] = {}  # label_nl -> the first skill that reads so: two skills must not read the same
    for n, row in enumerate(rows, start=2):
        uri, en, nl, prov = (row[k] for k in HEADER)
        where = f"line {n} ({uri})"
        if uri in seen:
            problems.append(f"{where}: duplicate URI")
        seen.add(uri)
        if uri not in skills.index:
            problems.append(f"{where}: not an ESCO 1.2.0 skill URI")
        elif en != skills.at[uri, "label"]:
            problems.append(f"{where}: label_en {en!r} is not ESCO's preferred label {skills.at[uri, 'label']!r}")
        if not nl.strip() or nl != nl.strip() or "  " in nl:
            problems.append(f"{where}: label_nl empty or badly spaced")
        if (nl.strip().lower() == en.strip().lower() and not SAME_IN_DUTCH_OK.match(en)
                and en.lower() not in SAME_IN_DUTCH_TERMS):
            problems.append(f"{where}: label_nl equals label_en ({nl!r})")
        if nl.strip().lower() in dutch:
            problems.append(f"{where}: label_nl {nl!r} is also the label of {dutch[nl.strip().lower()]}")
        dutch.setdefault(nl.strip().lower(), uri)
        if "(" in nl or ")" in nl:
            problems.append(f"{where}: label_nl has brackets ({nl!r})")
        if prov not in PROVENANCES:
            problems.append(f"{where}: provenance {prov!r} not one of {sorted(PROVENANCES)}")
        if prov == "vdab-competent-3.8" and uri not in vdab:
            problems.append(f"{where}: provenance VDAB but no one-to-one exactMatch in the VDAB mapping")
    wanted = todo()
    missing = [r for r in wanted if r["uri"] not in seen]
    by_priority = Counter(r["priority"] for r in wanted)
    covered = Counter(r["priority"] for r in wanted if r["uri"] in seen)
    counts = relation_counts()
    top = sorted(counts, key=lambda u: (-counts[u], u))[:TOP_N]
    print(f"{path.name}: {len(rows)} rows; provenance: {dict(Counter(r['provenance'] for r in rows))}")
    for p in (1, 2, 3, 4):
        print(f"  priority {p}: {covered[p]} of {by_priority[p]} listed first under it are in the file")
    print(f"  top {TOP_N} by occupation links: {sum(u in seen for u in top)} covered")
    for r in missing[:20]:
        print(f"  MISSING p{r['priority']} {r['uri']} {r['label_en']}")
    for p in problems[:50]:
        print(f"  PROBLEM {p}")
    print(f"{len(problems)} problem(s), {len(missing)} to-do row(s) missing")
    return 1 if problems or missing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", nargs="?", const=str(CSV_FILE), metavar="CSV",
                        help=f"check the labels file (default {CSV_FILE.relative_to(REPO)})")
    parser.add_argument("--vdab", action="store_true", help="add the one-to-one exactMatch VDAB label")
    parser.add_argument("--missing", action="store_true", help="only rows not yet in the labels file")
    args = parser.parse_args()
    if args.check:
        return check(Path(args.check))
    rows = todo()
    if args.missing and CSV_FILE.is_file():
        done = {r["uri"] for r in read_labels_csv(CSV_FILE)}
        rows = [r for r in rows if r["uri"] not in done]
    vdab = vdab_exact() if args.vdab else {}
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["priority", "rank", "count", "uri", "kind", "label_en"] + (["vdab_nl"] if args.vdab else []))
    for r in rows:
        out.writerow([r["priority"], r["rank"], r["count"], r["uri"], r["kind"], r["label_en"]]
                     + ([vdab.get(r["uri"], "")] if args.vdab else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
