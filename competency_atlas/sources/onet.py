"""Readers for O*NET 29.2 (tab-separated text with O*NET's own column names)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from competency_atlas.sources._csv import SourceError, read_table, require_values, to_float

RATING_FILES = {"onet_skill": "Skills.txt", "onet_knowledge": "Knowledge.txt", "onet_work_style": "Work Styles.txt"}
EDUCATION_ELEMENT = "2.D.1"  # Required Level of Education, scale RL, categories 1–12


def read_occupations(folder: Path) -> pd.DataFrame:
    path = folder / "Occupation Data.txt"
    frame = read_table(path, ["O*NET-SOC Code", "Title", "Description"], sep="\t")
    require_values(frame, path, ["O*NET-SOC Code", "Title"])
    return pd.DataFrame({"code": frame["O*NET-SOC Code"].str.strip(), "title": frame["Title"].str.strip(),
                         "description": frame["Description"].str.strip()})


def read_ratings(folder: Path) -> pd.DataFrame:
    """code, element_id, element_name, kind, scale ('IM'|'LV'), value, usable (bool).

    `usable` is False for ratings O*NET recommends suppressing (too few respondents or too wide a
    confidence interval). A level rated 'Not Relevant' is kept with value 0 — O*NET's meaning.
    """
    parts = []
    for kind, name in RATING_FILES.items():
        path = folder / name
        frame = read_table(path, ["O*NET-SOC Code", "Element ID", "Element Name", "Scale ID",
                                  "Data Value", "Recommend Suppress"], sep="\t")
        require_values(frame, path, ["O*NET-SOC Code", "Element ID", "Scale ID", "Data Value"])
        value = to_float(frame, path, "Data Value")
        if "Not Relevant" in frame.columns:
            value = value.where(frame["Not Relevant"].str.strip() != "Y", 0.0)
        parts.append(pd.DataFrame({
            "code": frame["O*NET-SOC Code"].str.strip(), "element_id": frame["Element ID"].str.strip(),
            "element_name": frame["Element Name"].str.strip(), "kind": kind,
            "scale": frame["Scale ID"].str.strip(), "value": value,
            "usable": frame["Recommend Suppress"].str.strip() != "Y",
        }))
    ratings = pd.concat(parts, ignore_index=True)
    return ratings[ratings["scale"].isin(["IM", "LV"])].reset_index(drop=True)


def read_job_zones(folder: Path) -> pd.DataFrame:
    path = folder / "Job Zones.txt"
    frame = read_table(path, ["O*NET-SOC Code", "Job Zone"], sep="\t")
    zone = to_float(frame, path, "Job Zone")
    bad = frame.index[~zone.between(1, 5)]
    if len(bad):
        raise SourceError(f"{path}: row {int(bad[0]) + 1}: field 'Job Zone' must be 1–5, "
                          f"got {frame.at[bad[0], 'Job Zone']!r}")
    return pd.DataFrame({"code": frame["O*NET-SOC Code"].str.strip(), "job_zone": zone.astype(int)})


def read_education(folder: Path) -> tuple[pd.DataFrame, dict[int, str]]:
    """(code, category, percent) for Required Level of Education, and the category labels."""
    path = folder / "Education, Training, and Experience.txt"
    frame = read_table(path, ["O*NET-SOC Code", "Element ID", "Scale ID", "Category", "Data Value"], sep="\t")
    frame = frame[(frame["Element ID"] == EDUCATION_ELEMENT) & (frame["Scale ID"] == "RL")]
    education = pd.DataFrame({"code": frame["O*NET-SOC Code"].str.strip(),
                              "category": to_float(frame, path, "Category").astype(int),
                              "percent": to_float(frame, path, "Data Value")})
    cat_path = folder / "Education, Training, and Experience Categories.txt"
    cats = read_table(cat_path, ["Element ID", "Scale ID", "Category", "Category Description"], sep="\t")
    cats = cats[(cats["Element ID"] == EDUCATION_ELEMENT) & (cats["Scale ID"] == "RL")]
    labels = {int(c): d.strip() for c, d in zip(cats["Category"], cats["Category Description"])}
    return education.reset_index(drop=True), labels


def read_element_descriptions(folder: Path) -> dict[str, str]:
    path = folder / "Content Model Reference.txt"
    frame = read_table(path, ["Element ID", "Description"], sep="\t")
    return dict(zip(frame["Element ID"].str.strip(), frame["Description"].str.strip()))
