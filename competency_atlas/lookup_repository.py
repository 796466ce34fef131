"""Neo4j adapter for the look-ups: label rows for the search index, occupation profiles.

Graph model (built by the atlas): (:Label {key, text, lang, kind})-[:LABEL_OF]->(:Occupation
{uri, label_en, label_nl}) and the same for (:Competency {uri, label_en, label_nl, kind});
(:Occupation)-[:REQUIRES {relation, importance, level, required_level, weight, sources}]->(:Competency).
All Cypher of the look-ups lives here, parameterised.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from neo4j import Driver
from pydantic import BaseModel

from competency_atlas.lookup import SurfaceForm
from competency_atlas.names import labelled
from graph_schema.db import read

Target = Literal["Occupation", "Competency"]

# The label is fixed by the caller's Literal, never user text: safe to place in the query.
_LABEL_ROWS = """
MATCH (l:Label)-[:LABEL_OF]->(n:{target})
WHERE $lang IS NULL OR l.lang = $lang
RETURN n.uri AS uri, l.text AS text, l.lang AS lang
ORDER BY uri, l.key
"""

_DESCRIPTIONS = """
UNWIND $langs AS lang
MATCH (o:Occupation)
WITH lang, o.uri AS uri, o['description_' + lang] AS text
WHERE text IS NOT NULL AND text <> ''
RETURN lang, uri, text
"""

_NAMES = """
UNWIND $uris AS uri
MATCH (n {uri: uri}) WHERE n:Occupation OR n:Competency
RETURN n.uri AS uri, n.label_en AS label_en, n.label_nl AS label_nl, n.kind AS kind
"""

_PROFILE = """
MATCH (o:Occupation {uri: $uri})
OPTIONAL MATCH (o)-[r:REQUIRES]->(c:Competency)
WITH o, r, c
ORDER BY CASE r.relation WHEN 'essential' THEN 0 ELSE 1 END, coalesce(r.importance, 0) DESC, c.label_en
RETURN o.uri AS uri, o.label_en AS label_en, o.label_nl AS label_nl,
       collect(CASE WHEN c IS NULL THEN null ELSE {
           uri: c.uri, label_en: c.label_en, label_nl: c.label_nl, kind: c.kind,
           relation: r.relation, importance: r.importance, level: r.level,
           required_level: r.required_level, weight: r.weight, sources: r.sources} END) AS requirements
"""


class ConceptName(BaseModel):
    uri: str
    label_en: str | None = None
    label_nl: str | None = None
    kind: str | None = None

    def label(self, lang: str | None) -> str:
        """The label in the asked language, falling back to the other one, then the URI."""
        return self.labelled(lang)["label"]

    def labelled(self, lang: str | None) -> dict:
        """{"label", "label_lang"} by competency_atlas/names.py's rule."""
        return labelled({"label_nl": self.label_nl, "label_en": self.label_en}, lang, self.uri)


class Requirement(ConceptName):
    relation: str | None = None
    importance: float | None = None
    level: float | None = None
    required_level: float | None = None
    weight: float | None = None
    sources: list[str] | str | None = None


class OccupationProfile(ConceptName):
    requirements: list[Requirement]


def load_label_rows(driver: Driver, database: str, target: Target,
                    lang: str | None = None) -> list[SurfaceForm]:
    if target not in ("Occupation", "Competency"):
        raise ValueError(f"unknown look-up target {target!r}")
    records, _, _ = read(driver, _LABEL_ROWS.replace("{target}", target), database, lang=lang)
    return [SurfaceForm(r["uri"], r["text"], r["lang"]) for r in records if r["text"]]


def occupation_descriptions(driver: Driver, database: str,
                            langs: Sequence[str] = ("en", "nl")) -> dict[str, dict[str, str]]:
    """Each occupation's description in `langs` (lang -> uri -> text), where it has one."""
    records, _, _ = read(driver, _DESCRIPTIONS, database, langs=list(langs))
    out: dict[str, dict[str, str]] = {}
    for r in records:
        out.setdefault(r["lang"], {})[r["uri"]] = r["text"]
    return out


def concept_names(driver: Driver, database: str, uris: list[str]) -> dict[str, ConceptName]:
    records, _, _ = read(driver, _NAMES, database, uris=uris)
    return {r["uri"]: ConceptName(**r.data()) for r in records}


def occupation_profile(driver: Driver, database: str, uri: str) -> OccupationProfile | None:
    records, _, _ = read(driver, _PROFILE, database, uri=uri)
    if not records:
        return None
    record = records[0]
    return OccupationProfile(uri=record["uri"], label_en=record["label_en"], label_nl=record["label_nl"],
                             requirements=[Requirement(**req) for req in record["requirements"]])


_LABEL_STATE = """
OPTIONAL MATCH (r:AtlasRelease {status: 'complete'})
WITH r ORDER BY r.completed_at DESC LIMIT 1
RETURN r.version AS version, toString(r.completed_at) AS completed, COUNT { (:Label) } AS labels,
       EXISTS { (:AtlasRelease {status: 'building'}) } AS building
"""
UNRELEASED = "unreleased"  # no complete atlas release, or one being built: labels no release names


def release_tag(driver: Driver, database: str) -> str:
    """What the look-up's labels are a function of: the newest complete atlas release (its version
    and when it completed: a rebuild of one version may write other labels) and how many labels
    the graph holds, in one small read. A kept index is valid while this stays the same. While a
    build writes and sweeps labels, the count moves through states no release names: unreleased."""
    records, _, _ = read(driver, _LABEL_STATE, database)
    r = records[0]
    release = f"{r['version']}@{r['completed']}" if r["version"] is not None and not r["building"] else UNRELEASED
    return f"{release}|{r['labels']}"


def is_released(tag: str) -> bool:
    """Whether `tag` names a complete atlas release, so an index for it may be kept on disk."""
    return not tag.startswith(UNRELEASED + "|")
