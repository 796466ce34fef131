"""Readers for ESCO (1.2.0 English, 1.1.1 Dutch occupations) and the pure derivations on them.

The English skills file shipped here (`skills_uri_text.csv`) has only a URI and one text
(preferred label + alternative labels + description joined by spaces), so each skill's
preferred label, type and reuse level are recovered from the other ESCO files:

- label: the `skillLabel` of the occupation–skill relations (13,492 skills), else a collection's
  `preferredLabel`, else a collection's `broaderConceptPT`; the label must be a prefix of the
  skill's text (checked). Skills found nowhere (8 in 1.2.0) keep the text up to the first
  alternative label that repeats a word run of it — see `_fallback_label`.
- type (skill vs knowledge): a collection's `skillType` where one lists the skill; otherwise the
  skills-pillar hierarchy: a skill under the knowledge pillar (code K, ISCED-F fields) is
  knowledge, anything else skill. (skillSkillRelations' type columns are not used: they
  contradict the collections for half the skills they share.) Checked on 1.2.0: the rule agrees
  with the collections for 2,331 of 2,334 typed skills and gives 3,227 knowledge items.
- reuse level: from the collections only; null for the others (ESCO's own file is not here).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from competency_atlas.sources._csv import SourceError, read_table, require_values, split_multi

SKILL_COLLECTIONS = {  # collection id -> file
    "transversal": "transversalSkillsCollection_en.csv",
    "digital": "digitalSkillsCollection_en.csv",
    "green": "greenSkillsCollection_en.csv",
    "language": "languageSkillsCollection_en.csv",
    "digcomp": "digCompSkillsCollection_en.csv",
    "research": "researchSkillsCollection_en.csv",
}
COLLECTION_LABELS = {
    "transversal": "Transversal skills and competences", "digital": "Digital skills",
    "green": "Green skills", "language": "Language skills and knowledge",
    "digcomp": "DigComp skills", "research": "Research skills",
}
KNOWLEDGE_PILLAR_CODE = "K"
SKILL, KNOWLEDGE = "skill", "knowledge"


# ---------------------------------------------------------------- readers (file -> frame)

def read_skill_texts(folder: Path) -> pd.DataFrame:
    path = folder / "skills_uri_text.csv"
    frame = read_table(path, ["id", "description"])
    require_values(frame, path, ["id", "description"])
    dup = frame["id"].duplicated()
    if dup.any():
        raise SourceError(f"{path}: row {int(frame.index[dup][0]) + 1}: field 'id' repeats a skill URI")
    return pd.DataFrame({"uri": frame["id"].str.strip(), "text": frame["description"].map(lambda s: " ".join(s.split()))})


def read_collections(folder: Path) -> pd.DataFrame:
    """One row per (collection, skill): label, type, reuse level, description, broader URIs/labels."""
    parts = []
    for collection, name in SKILL_COLLECTIONS.items():
        path = folder / name
        frame = read_table(path, ["conceptUri", "preferredLabel", "skillType", "reuseLevel",
                                  "description", "broaderConceptUri", "broaderConceptPT"])
        require_values(frame, path, ["conceptUri", "preferredLabel"])
        parts.append(pd.DataFrame({
            "collection": collection,
            "uri": frame["conceptUri"].str.strip(),
            "label": frame["preferredLabel"].map(lambda s: " ".join(s.split())),
            "skill_type": frame["skillType"].str.strip(),
            "reuse_level": frame["reuseLevel"].str.strip(),
            "description": frame["description"].str.strip(),
            "broader_uris": frame["broaderConceptUri"].map(lambda s: split_multi(s, " | ")),
            "broader_labels": frame["broaderConceptPT"].map(lambda s: split_multi(s, " | ")),
        }))
    return pd.concat(parts, ignore_index=True)


def read_skill_groups(folder: Path) -> pd.DataFrame:
    path = folder / "skillGroups_en.csv"
    frame = read_table(path, ["conceptUri", "preferredLabel", "description", "code"])
    require_values(frame, path, ["conceptUri", "preferredLabel"])
    return pd.DataFrame({"uri": frame["conceptUri"].str.strip(),
                         "label": frame["preferredLabel"].map(lambda s: " ".join(s.split())),
                         "description": frame["description"].str.strip(),
                         "code": frame["code"].str.strip()})


def read_skill_pillar_top(folder: Path) -> pd.DataFrame:
    """The four pillar roots (L, S, T, K) with their codes, from skillsHierarchy_en.csv."""
    path = folder / "skillsHierarchy_en.csv"
    frame = read_table(path, ["Level 0 URI", "Level 0 preferred term", "Level 0 code"])
    top = frame[["Level 0 URI", "Level 0 preferred term", "Level 0 code"]].drop_duplicates()
    top.columns = ["uri", "label", "code"]
    return top.reset_index(drop=True)


def read_skill_broader(folder: Path) -> pd.DataFrame:
    path = folder / "broaderRelationsSkillPillar_en.csv"
    frame = read_table(path, ["conceptUri", "broaderUri"])
    require_values(frame, path, ["conceptUri", "broaderUri"])
    return pd.DataFrame({"uri": frame["conceptUri"].str.strip(), "broader_uri": frame["broaderUri"].str.strip()})


def read_skill_relations(folder: Path) -> pd.DataFrame:
    path = folder / "skillSkillRelations_en.csv"
    frame = read_table(path, ["originalSkillUri", "relationType", "relatedSkillUri"])
    require_values(frame, path, ["originalSkillUri", "relationType", "relatedSkillUri"])
    return pd.DataFrame({"from_uri": frame["originalSkillUri"].str.strip(),
                         "to_uri": frame["relatedSkillUri"].str.strip(),
                         "relation_type": frame["relationType"].str.strip()})


def read_occupation_skills(folder: Path) -> pd.DataFrame:
    """occupation_uri, skill_uri, relation ('essential'|'optional'), skill_label."""
    path = folder / "occupationSkillRelations_reconstructed.csv"
    frame = read_table(path, ["occupationUri", "relationType", "skillUri", "skillLabel"])
    require_values(frame, path, ["occupationUri", "relationType", "skillUri"])
    relation = frame["relationType"].str.strip()
    bad = frame.index[~relation.isin(["essential", "optional"])]
    if len(bad):
        row = int(bad[0]) + 1
        raise SourceError(f"{path}: row {row} (line {row + 1}): field 'relationType' is "
                          f"{frame.at[bad[0], 'relationType']!r}, expected essential or optional")
    return pd.DataFrame({"occupation_uri": frame["occupationUri"].str.strip(),
                         "skill_uri": frame["skillUri"].str.strip(), "relation": relation,
                         "skill_label": frame["skillLabel"].map(lambda s: " ".join(s.split()))})


def read_occupations(path: Path) -> pd.DataFrame:
    """uri, code, isco_code, preferred, alternatives (list), hidden (list), description."""
    frame = read_table(path, ["conceptUri", "iscoGroup", "preferredLabel", "altLabels", "hiddenLabels",
                              "description", "code"])
    require_values(frame, path, ["conceptUri", "preferredLabel"])
    return pd.DataFrame({
        "uri": frame["conceptUri"].str.strip(), "code": frame["code"].str.strip(),
        "isco_code": frame["iscoGroup"].str.strip(),
        "preferred": frame["preferredLabel"].map(lambda s: " ".join(s.split())),
        "alternatives": frame["altLabels"].map(lambda s: split_multi(s, "\n")),
        "hidden": frame["hiddenLabels"].map(lambda s: split_multi(s, "\n")),
        "description": frame["description"].str.strip(),
    })


def read_isco_groups(folder: Path) -> pd.DataFrame:
    path = folder / "ISCOGroups_en.csv"
    frame = read_table(path, ["conceptUri", "code", "preferredLabel", "description"])
    require_values(frame, path, ["conceptUri", "code", "preferredLabel"])
    return pd.DataFrame({"uri": frame["conceptUri"].str.strip(), "code": frame["code"].str.strip(),
                         "label": frame["preferredLabel"].map(lambda s: " ".join(s.split())),
                         "description": frame["description"].str.strip()})


def read_occupation_broader(folder: Path) -> pd.DataFrame:
    path = folder / "broaderRelationsOccPillar_en.csv"
    frame = read_table(path, ["conceptType", "conceptUri", "broaderType", "broaderUri"])
    return pd.DataFrame({"type": frame["conceptType"].str.strip(), "uri": frame["conceptUri"].str.strip(),
                         "broader_type": frame["broaderType"].str.strip(),
                         "broader_uri": frame["broaderUri"].str.strip()})


# ------------------------------------------------------------ pure derivations (frame -> frame)

def skill_labels(texts: pd.DataFrame, relation_labels: pd.DataFrame, collections: pd.DataFrame) -> dict[str, str]:
    """Preferred label per skill URI, from the sources listed in the module docstring."""
    candidates: dict[str, list[str]] = defaultdict(list)
    for uri, label in zip(relation_labels["skill_uri"], relation_labels["skill_label"]):
        candidates[uri].append(label)
    for uri, label in zip(collections["uri"], collections["label"]):
        candidates[uri].append(label)
    for uris, labels in zip(collections["broader_uris"], collections["broader_labels"]):
        if len(uris) == len(labels):  # the two lists are parallel only when no label holds ' | '
            for uri, label in zip(uris, labels):
                candidates[uri].append(label)
    labels = {}
    for uri, text in zip(texts["uri"], texts["text"]):
        # The first candidate that the text starts with: guards against a mismatched label.
        found = next((c for c in candidates.get(uri, []) if c and text.startswith(c)), None)
        labels[uri] = found or _fallback_label(text)
    return labels


def _fallback_label(text: str) -> str:
    """The longest leading word run (2–8 words) that the text repeats later, else the first 4 words.

    ESCO alternative labels usually restate the preferred label
    ('exercise self-control self-control apply self-control exercising self-control exercise
    self-control Manage ...'), so a repeated leading run is the best available guess when no
    file names the skill. Used for 8 skills of ESCO 1.2.0.
    """
    words = text.split()
    for size in range(min(8, len(words) - 1), 1, -1):
        head = " ".join(words[:size])
        if f" {head} " in f" {' '.join(words[size:])} ":
            return head
    return " ".join(words[:4])


def pillar_roots(broader: pd.DataFrame) -> dict[str, set[str]]:
    """For every concept of the skills pillar, the set of root URIs reachable upward."""
    parents: dict[str, set[str]] = defaultdict(set)
    for uri, parent in zip(broader["uri"], broader["broader_uri"]):
        parents[uri].add(parent)
    memo: dict[str, frozenset[str]] = {}

    def roots(uri: str, visiting: frozenset[str]) -> frozenset[str]:
        if uri in memo:
            return memo[uri]
        ups = parents.get(uri)
        if not ups:
            result = frozenset({uri})
        else:  # `visiting` guards against a cycle in the broader relations
            result = frozenset().union(*(roots(p, visiting | {uri}) for p in ups if p not in visiting))
        memo[uri] = result
        return result

    return {uri: set(roots(uri, frozenset())) for uri in list(parents)}


def skill_kinds(uris: list[str], collections: pd.DataFrame, roots: dict[str, set[str]],
                knowledge_root_uris: set[str]) -> dict[str, str]:
    typed = {u: t for u, t in zip(collections["uri"], collections["skill_type"]) if t}
    kinds = {}
    for uri in uris:
        source_type = typed.get(uri)
        if source_type:
            kinds[uri] = KNOWLEDGE if source_type == "knowledge" else SKILL
        else:
            kinds[uri] = KNOWLEDGE if roots.get(uri, set()) & knowledge_root_uris else SKILL
    return kinds


def esco_skills(texts: pd.DataFrame, relation_labels: pd.DataFrame, collections: pd.DataFrame,
                broader: pd.DataFrame, pillar_top: pd.DataFrame) -> pd.DataFrame:
    """uri, label, kind, reuse_level (or None), description (or None), text — one row per skill."""
    labels = skill_labels(texts, relation_labels, collections)
    knowledge_roots = set(pillar_top.loc[pillar_top["code"] == KNOWLEDGE_PILLAR_CODE, "uri"])
    if not knowledge_roots:
        raise SourceError("skillsHierarchy_en.csv: no level-0 group with code 'K' (the knowledge pillar)")
    kinds = skill_kinds(list(texts["uri"]), collections, pillar_roots(broader), knowledge_roots)
    first = collections.drop_duplicates("uri").set_index("uri")
    reuse = {u: (r or None) for u, r in first["reuse_level"].items()}
    description = {u: (d or None) for u, d in first["description"].items()}
    return pd.DataFrame({
        "uri": texts["uri"], "label": texts["uri"].map(labels), "kind": texts["uri"].map(kinds),
        # lists, not Series.map: map turns a missing value into NaN, the rows want None
        "reuse_level": pd.Series([reuse.get(u) for u in texts["uri"]], index=texts.index, dtype=object),
        "description": pd.Series([description.get(u) for u in texts["uri"]], index=texts.index, dtype=object),
        "text": texts["text"],
    })
