"""Reading the reference data: one `AtlasSources` bundle of pandas frames, plus its checksum.

The data folder (settings().data_dir) holds one folder per source and version:
`esco-<version>/` (English), `esco-<version>-nl/` (Dutch occupations), `onet-<version>/`,
`crosswalks/`. Versions are read from the folder names, so a newer release dropped in beside
(or instead of) the old one is picked up — with an error if two versions of one source are present.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from competency_atlas.sources import crosswalk_file, esco, onet, project_files
from competency_atlas.sources._csv import SourceError

__all__ = ["AtlasSources", "SourceError", "load_sources", "locate", "source_checksum"]


@dataclass(frozen=True)
class SourceFolders:
    esco: Path
    esco_nl: Path
    onet: Path
    crosswalk: Path

    @property
    def versions(self) -> dict[str, str]:
        return {"esco": self.esco.name.removeprefix("esco-"),
                "esco_nl": self.esco_nl.name.removeprefix("esco-").removesuffix("-nl"),
                "onet": self.onet.name.removeprefix("onet-")}


@dataclass(frozen=True)
class AtlasSources:
    folders: SourceFolders
    skills: pd.DataFrame            # uri, label, kind, reuse_level, description, text
    skill_groups: pd.DataFrame      # uri, label, description, code
    skill_broader: pd.DataFrame     # uri, broader_uri
    skill_relations: pd.DataFrame   # from_uri, to_uri, relation_type
    collections: pd.DataFrame       # collection, uri, ...
    occupations_en: pd.DataFrame    # uri, code, isco_code, preferred, alternatives, hidden, description
    occupations_nl: pd.DataFrame
    isco_groups: pd.DataFrame       # uri, code, label
    occupation_broader: pd.DataFrame
    occupation_skills: pd.DataFrame  # occupation_uri, skill_uri, relation
    onet_occupations: pd.DataFrame   # code, title, description
    onet_ratings: pd.DataFrame       # code, element_id, element_name, kind, scale, value, usable
    job_zones: pd.DataFrame          # code, job_zone
    education: pd.DataFrame          # code, category, percent
    education_labels: dict[int, str]
    onet_descriptions: dict[str, str]
    crosswalk: pd.DataFrame          # onet_code, esco_uri, match_type
    onet_labels: pd.DataFrame        # element_id, kind, label_en, label_nl
    skill_labels_nl: pd.DataFrame    # uri, label_nl, provenance: the project's, then ESCO's own (v1.0.3)
    equivalents: pd.DataFrame        # onet_element_id, onet_label, esco_uri, match, note
    files: list[Path] = field(default_factory=list)


def _one(data_dir: Path, pattern: str, exclude: str | None = None) -> Path:
    found = sorted(p for p in data_dir.glob(pattern) if p.is_dir() and not (exclude and p.name.endswith(exclude)))
    if len(found) != 1:
        what = "no folder" if not found else f"{len(found)} folders ({', '.join(p.name for p in found)})"
        raise SourceError(f"{data_dir}: expected exactly one folder matching {pattern!r}, found {what}")
    return found[0]


def locate(data_dir: Path) -> SourceFolders:
    if not data_dir.is_dir():
        raise SourceError(f"{data_dir}: data folder not found (set ATLAS_DATA_DIR)")
    return SourceFolders(esco=_one(data_dir, "esco-*", exclude="-nl"), esco_nl=_one(data_dir, "esco-*-nl"),
                         onet=_one(data_dir, "onet-*"), crosswalk=_one(data_dir, "crosswalks"))


def load_sources(data_dir: Path) -> AtlasSources:
    folders = locate(data_dir)
    texts = esco.read_skill_texts(folders.esco)
    collections = esco.read_collections(folders.esco)
    skill_broader = esco.read_skill_broader(folders.esco)
    occupation_skills = esco.read_occupation_skills(folders.esco)
    skills = esco.esco_skills(texts, occupation_skills, collections, skill_broader,
                              esco.read_skill_pillar_top(folders.esco))
    education, education_labels = onet.read_education(folders.onet)
    onet_labels = project_files.read_onet_labels()
    equivalents = project_files.read_equivalents()
    project_files.check_equivalents(equivalents, onet_labels, set(skills["uri"]))
    crosswalk_path = folders.crosswalk / "esco_onet_crosswalk.csv"
    ours = project_files.read_skill_labels(set(skills["uri"]))
    official = crosswalk_file.read_esco_dutch_skill_labels(folders.crosswalk)
    official = official[official["uri"].isin(set(skills["uri"])) & ~official["uri"].isin(set(ours["uri"]))]
    skill_labels_nl = pd.concat([ours, official.assign(provenance=crosswalk_file.ESCO_NL_PROVENANCE)],
                                ignore_index=True)
    return AtlasSources(
        folders=folders, skills=skills, skill_groups=esco.read_skill_groups(folders.esco),
        skill_broader=skill_broader, skill_relations=esco.read_skill_relations(folders.esco),
        collections=collections,
        occupations_en=esco.read_occupations(folders.esco / "occupations_en.csv"),
        occupations_nl=esco.read_occupations(folders.esco_nl / "occupations_nl.csv"),
        isco_groups=esco.read_isco_groups(folders.esco),
        occupation_broader=esco.read_occupation_broader(folders.esco),
        occupation_skills=occupation_skills[["occupation_uri", "skill_uri", "relation"]],
        onet_occupations=onet.read_occupations(folders.onet), onet_ratings=onet.read_ratings(folders.onet),
        job_zones=onet.read_job_zones(folders.onet), education=education, education_labels=education_labels,
        onet_descriptions=onet.read_element_descriptions(folders.onet),
        crosswalk=crosswalk_file.read_crosswalk(crosswalk_path), onet_labels=onet_labels,
        skill_labels_nl=skill_labels_nl, equivalents=equivalents, files=source_files(folders),
    )


def source_files(folders: SourceFolders) -> list[Path]:
    """Every file whose content shapes the atlas: the reference data and the project's own files."""
    files = [p for folder in (folders.esco, folders.esco_nl, folders.onet, folders.crosswalk)
             for p in sorted(folder.iterdir()) if p.is_file() and p.suffix in {".csv", ".txt"}]
    return files + [project_files.NL_LABELS_FILE, project_files.EQUIVALENTS_FILE, project_files.SKILL_LABELS_FILE]


def source_checksum(files: list[Path], extra: str = "") -> str:
    """sha256 over each file's name and bytes (in the given order) and `extra` (the build's model version)."""
    digest = hashlib.sha256(extra.encode())
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
