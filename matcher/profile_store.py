"""How a client's derived competency profile is stored: parallel arrays on its :Client node.
Pure encoding and decoding, no I/O (the Cypher is in matcher/profile_repository.py).

Why arrays and not one (:Client)-[:HAS_COMPETENCY]->(:Competency) relationship per entry: the
profile is derived data, rewritten whole whenever a measurement lands and always read whole
(by the match index, the explanation of a ranked row, the client page). As relationships,
every client added ~110 relationships to the same few thousand competency nodes, which turned them
into super-nodes that every profile rewrite had to lock and extend; writing them capped the
measurement ingest at ~54k relationships/s. As arrays a profile is one property write per
field, and the index reads it without touching the competency nodes. Who-has-competency-X is
answered by the match index (a column per competency), not by a graph traversal.

Properties (entry i of every array belongs to competency i):
  profile_competencies  [str]    atlas competency URIs, sorted
  profile_levels        [float]  [0, 1], 1 = best
  profile_confidences   [float]  [0, 1], at as_of
  profile_as_of         [date]   newest evidence
  profile_inferred      [bool]   only inferred from work history
  profile_traits        [str]    trainable | stable
  profile_sources       [str]    the client's evidence sources, each once (measurement ids,
                                 "work history: <occupation uri>")
  profile_source_refs   [int]    entry i's sources: profile_sources[profile_source_refs[j]] for
  profile_source_ends   [int]    j in [profile_source_ends[i-1], profile_source_ends[i])
An absent competency is unknown, never zero; a client without evidence has empty arrays.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from matcher.profile import CompetencyEstimate

# What a client node starts with, wherever it is first made (an assignment, a measurement): the
# gate until a measurement gives one, and that no measurement has (views.shown_gate).
NEW_CLIENT = "c.gate = 'matchable', c.gate_measured = false, c.gate_reasons = [], c.gate_sources = []"

PROFILE_PROPERTIES = ("profile_competencies", "profile_levels", "profile_confidences", "profile_as_of",
                      "profile_inferred", "profile_traits", "profile_sources", "profile_source_refs",
                      "profile_source_ends")


def encode(profile: Mapping[str, CompetencyEstimate]) -> dict:
    """The node properties for a profile (a map: `SET c += $props`)."""
    sources: dict[str, int] = {}
    entries = [profile[uri] for uri in sorted(profile)]
    refs: list[int] = []
    ends: list[int] = []
    for e in entries:
        for source in e.sources:
            ref = sources.get(source)
            if ref is None:
                ref = sources[source] = len(sources)
            refs.append(ref)
        ends.append(len(refs))
    out = {"profile_competencies": [e.competency for e in entries], "profile_levels": [e.level for e in entries],
           "profile_confidences": [e.confidence for e in entries], "profile_as_of": [e.as_of for e in entries],
           "profile_inferred": [e.inferred for e in entries], "profile_traits": [e.trait for e in entries],
           "profile_sources": list(sources), "profile_source_refs": refs, "profile_source_ends": ends}
    return out


def native_date(value) -> date:
    """A date read from Neo4j (neo4j.time.Date, or a yyyymmdd number as the readers' projection
    sends it) or already a Python date, as a Python date."""
    if isinstance(value, int):
        return date(value // 10000, value // 100 % 100, value % 100)
    return value.to_native() if hasattr(value, "to_native") else value


def decode(props: Mapping, only: set[str] | None = None) -> dict[str, CompetencyEstimate]:
    """The profile held by a node's properties (missing properties: no profile); `only`: just
    these competencies (a ranked row shows the evidence for one target's requirements)."""
    uris = props.get("profile_competencies") or []
    sources, refs, ends = (props.get("profile_sources") or [], props.get("profile_source_refs") or [],
                           props.get("profile_source_ends") or [])
    out = {}
    start = 0
    for i, uri in enumerate(uris):
        end = ends[i] if i < len(ends) else start
        if only is not None and uri not in only:
            start = end
            continue
        out[uri] = CompetencyEstimate(
            uri, props["profile_levels"][i], props["profile_confidences"][i], native_date(props["profile_as_of"][i]),
            bool(props["profile_inferred"][i]), tuple(sources[j] for j in refs[start:end]),
            props["profile_traits"][i])
        start = end
    return out


def evidence_rows(props: Mapping, only: set[str] | None = None) -> list[dict]:
    """The stored profile as one plain dict per competency (optionally only those in `only`), the
    shape the explanation and API layers read."""
    return [{"competency": e.competency, "level": e.level, "confidence": e.confidence, "as_of": e.as_of,
             "inferred": e.inferred, "sources": list(e.sources), "trait": e.trait}
            for e in decode(props, only).values()]
