"""Readers for the files the project writes itself (they live in competency_atlas/)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from competency_atlas.sources._csv import SourceError, read_table, require_values

PACKAGE_DIR = Path(__file__).resolve().parent.parent
NL_LABELS_FILE = PACKAGE_DIR / "onet_labels_nl.csv"
EQUIVALENTS_FILE = PACKAGE_DIR / "onet_esco_equivalents.csv"
SKILL_LABELS_FILE = PACKAGE_DIR / "skill_labels_nl.csv"
SKILL_LABEL_PROVENANCE = ("project-translation", "vdab-competent-3.8")
ONET_KINDS = ("onet_skill", "onet_knowledge", "onet_work_style")
EQUIVALENT_MATCHES = ("exact", "close")


def _comment_lines(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.startswith("#"))


def read_onet_labels(path: Path = NL_LABELS_FILE) -> pd.DataFrame:
    """element_id, kind, label_en, label_nl: one row per O*NET descriptor the atlas carries."""
    frame = read_table(path, ["element_id", "kind", "label_en", "label_nl"], comment="#")
    lines = _comment_lines(path) + 1
    require_values(frame, path, ["element_id", "kind", "label_en", "label_nl"], header_lines=lines)
    bad = frame.index[~frame["kind"].isin(ONET_KINDS)]
    if len(bad):
        row = int(bad[0]) + 1
        raise SourceError(f"{path}: row {row} (line {row + lines}): field 'kind' is "
                          f"{frame.at[bad[0], 'kind']!r}, expected one of {ONET_KINDS}")
    dup = frame["element_id"].duplicated()
    if dup.any():
        row = int(frame.index[dup][0]) + 1
        raise SourceError(f"{path}: row {row} (line {row + lines}): field 'element_id' repeats "
                          f"{frame.at[frame.index[dup][0], 'element_id']!r}")
    return frame[["element_id", "kind", "label_en", "label_nl"]].apply(lambda c: c.str.strip())


def read_equivalents(path: Path = EQUIVALENTS_FILE) -> pd.DataFrame:
    """onet_element_id, onet_label, esco_uri, match, note."""
    frame = read_table(path, ["onet_element_id", "onet_label", "esco_uri", "match", "note"], comment="#")
    lines = _comment_lines(path) + 1
    require_values(frame, path, ["onet_element_id", "esco_uri", "match"], header_lines=lines)
    bad = frame.index[~frame["match"].isin(EQUIVALENT_MATCHES)]
    if len(bad):
        row = int(bad[0]) + 1
        raise SourceError(f"{path}: row {row} (line {row + lines}): field 'match' is "
                          f"{frame.at[bad[0], 'match']!r}, expected one of {EQUIVALENT_MATCHES}")
    return frame[["onet_element_id", "onet_label", "esco_uri", "match", "note"]].apply(lambda c: c.str.strip())


def check_equivalents(equivalents: pd.DataFrame, onet_labels: pd.DataFrame, esco_uris: set[str],
                      path: Path = EQUIVALENTS_FILE) -> None:
    """Every pair must name a known O*NET descriptor (with its own label) and a known ESCO skill."""
    known = dict(zip(onet_labels["element_id"], onet_labels["label_en"]))
    for row, (element, label, uri) in enumerate(zip(equivalents["onet_element_id"], equivalents["onet_label"],
                                                    equivalents["esco_uri"]), start=1):
        if element not in known:
            raise SourceError(f"{path}: row {row}: field 'onet_element_id' {element!r} is not one of the "
                              f"O*NET descriptors in {NL_LABELS_FILE.name}")
        if label and label != known[element]:
            raise SourceError(f"{path}: row {row}: field 'onet_label' {label!r} is not the name of "
                              f"{element} ({known[element]!r})")
        if uri not in esco_uris:
            raise SourceError(f"{path}: row {row}: field 'esco_uri' {uri!r} is not an ESCO skill of this release")


def read_skill_labels(esco_uris: set[str], path: Path = SKILL_LABELS_FILE) -> pd.DataFrame:
    """uri, label_nl, provenance: Dutch labels for the ESCO skills coaches see most (ESCO publishes
    no Dutch skill labels in the release used here). scripts/skill_labels_todo.py says how the
    list was chosen and checks it."""
    frame = read_table(path, ["uri", "label_en", "label_nl", "provenance"])
    require_values(frame, path, ["uri", "label_nl", "provenance"])
    for row, (uri, provenance) in enumerate(zip(frame["uri"], frame["provenance"]), start=1):
        if uri not in esco_uris:
            raise SourceError(f"{path}: row {row}: field 'uri' {uri!r} is not an ESCO skill of this release")
        if provenance not in SKILL_LABEL_PROVENANCE:
            raise SourceError(f"{path}: row {row}: field 'provenance' is {provenance!r}, "
                              f"expected one of {SKILL_LABEL_PROVENANCE}")
    if frame["uri"].duplicated().any():
        row = int(frame.index[frame["uri"].duplicated()][0]) + 1
        raise SourceError(f"{path}: row {row}: field 'uri' repeats {frame.at[row - 1, 'uri']!r}")
    return frame[["uri", "label_nl", "provenance"]].apply(lambda c: c.str.strip())
