"""From source frames to the rows the atlas is written from — pure: no I/O, no database.

`assemble(sources)` returns an `AtlasRows` whose lists of plain dicts map one-to-one onto the
repository's batched writes, plus a `report` of what did not match (occupations without a Dutch
label, crosswalk rows naming URIs that are not in this ESCO release, dangling relations).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from competency_atlas import crosswalk as cw
from competency_atlas.similarity import top_k_similar
from competency_atlas.sources import AtlasSources
from competency_atlas.sources.esco import COLLECTION_LABELS

ONET_PREFIX = "onet:"
# Work Styles are dispositions (how someone tends to work), the stable side of what instruments
# measure; O*NET skills and knowledge, and all ESCO skills, can be learned.
TRAINABLE_KINDS = {"skill", "knowledge", "skill_group", "onet_skill", "onet_knowledge"}


@dataclass
class AtlasRows:
    competencies: list[dict] = field(default_factory=list)
    competency_broader: list[dict] = field(default_factory=list)
    related: list[dict] = field(default_factory=list)
    collections: list[dict] = field(default_factory=list)
    collection_members: list[dict] = field(default_factory=list)
    same_as: list[dict] = field(default_factory=list)
    isco_groups: list[dict] = field(default_factory=list)
    isco_broader: list[dict] = field(default_factory=list)
    occupations: list[dict] = field(default_factory=list)
    occupation_broader: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    onet_occupations: list[dict] = field(default_factory=list)
    crosswalk: list[dict] = field(default_factory=list)
    isco_crosswalk: list[dict] = field(default_factory=list)
    requirements: list[dict] = field(default_factory=list)
    similar: list[dict] = field(default_factory=list)
    report: dict = field(default_factory=dict)


def label_key(concept_uri: str, lang: str, kind: str, text: str) -> str:
    return hashlib.sha1(f"{concept_uri}\x1f{lang}\x1f{kind}\x1f{text}".encode()).hexdigest()


def onet_uri(element_id: str) -> str:
    return ONET_PREFIX + element_id


def _none(value):
    return None if value is None or (isinstance(value, float) and pd.isna(value)) or value == "" else value


def competency_rows(src: AtlasSources) -> list[dict]:
    dutch = {r.uri: (r.label_nl, r.provenance) for r in src.skill_labels_nl.itertuples(index=False)}
    rows = [{"uri": r.uri, "kind": r.kind, "label_en": r.label, "label_nl": dutch.get(r.uri, (None, None))[0],
             "label_nl_source": dutch.get(r.uri, (None, None))[1],
             "description_en": _none(r.description), "text_en": r.text, "source": "esco",
             "reuse_level": _none(r.reuse_level), "code": None}
            for r in src.skills.itertuples(index=False)]
    rows += [{"uri": r.uri, "kind": "skill_group", "label_en": r.label, "label_nl": None, "label_nl_source": None,
              "description_en": _none(r.description), "text_en": None, "source": "esco",
              "reuse_level": None, "code": _none(r.code)}
             for r in src.skill_groups.itertuples(index=False)]
    rows += [{"uri": onet_uri(r.element_id), "kind": r.kind, "label_en": r.label_en, "label_nl": r.label_nl,
              "label_nl_source": "project-translation", "description_en": src.onet_descriptions.get(r.element_id), "text_en": None, "source": "onet",
              "reuse_level": "transversal", "code": r.element_id}
             for r in src.onet_labels.itertuples(index=False)]
    for row in rows:
        row["trainable"] = row["kind"] in TRAINABLE_KINDS
    return rows


def check_onet_names(src: AtlasSources) -> None:
    """The project's label file must list exactly O*NET's descriptors, under O*NET's own names."""
    names = src.onet_ratings.drop_duplicates("element_id").set_index("element_id")["element_name"].to_dict()
    ours = dict(zip(src.onet_labels["element_id"], src.onet_labels["label_en"]))
    wrong = [f"{e}: file says {ours[e]!r}, O*NET says {names[e]!r}" for e in ours if e in names and names[e] != ours[e]]
    missing = sorted(set(names) - set(ours))
    unknown = sorted(set(ours) - set(names))
    if wrong or missing or unknown:
        raise ValueError("onet_labels_nl.csv does not match the O*NET files: "
                         f"names differ {wrong}; not in the file {missing}; not in O*NET {unknown}")


def _labels_for(uri: str, target: str, lang: str, preferred: str, alternatives=(), hidden=()) -> list[dict]:
    rows, seen = [], set()
    for kind, texts in (("preferred", [preferred]), ("alternative", alternatives), ("hidden", hidden)):
        for text in texts:
            if text and text.lower() not in seen:  # an alternative that repeats the preferred label adds nothing
                seen.add(text.lower())
                rows.append({"key": label_key(uri, lang, kind, text), "text": text, "lang": lang, "kind": kind,
                             "target": target, "uri": uri})
    return rows


def assemble(src: AtlasSources, *, similar_k: int = 10) -> AtlasRows:
    check_onet_names(src)
    out = AtlasRows()
    out.competencies = competency_rows(src)
    competency_uris = {r["uri"] for r in out.competencies}
    report: dict = {}

    broader = src.skill_broader.drop_duplicates()
    ok = broader["uri"].isin(competency_uris) & broader["broader_uri"].isin(competency_uris)
    out.competency_broader = [{"uri": u, "broader": b} for u, b in zip(broader["uri"][ok], broader["broader_uri"][ok])]
    report["skill_broader_dangling"] = int((~ok).sum())
    rel = src.skill_relations.drop_duplicates(["from_uri", "to_uri"])
    ok = rel["from_uri"].isin(competency_uris) & rel["to_uri"].isin(competency_uris)
    out.related = [{"from": f, "to": t, "relation_type": r} for f, t, r in
                   zip(rel["from_uri"][ok], rel["to_uri"][ok], rel["relation_type"][ok])]
    report["skill_relations_dangling"] = int((~ok).sum())
    out.collections = [{"id": cid, "label_en": label} for cid, label in COLLECTION_LABELS.items()]
    members = src.collections.drop_duplicates(["collection", "uri"])
    out.collection_members = [{"uri": u, "collection": c} for u, c in zip(members["uri"], members["collection"])
                              if u in competency_uris]
    out.same_as = [{"from": onet_uri(e), "to": u, "match": m, "note": n or None}
                   for e, u, m, n in zip(src.equivalents["onet_element_id"], src.equivalents["esco_uri"],
                                         src.equivalents["match"], src.equivalents["note"])]

    _isco(src, out)
    contributors = _occupations(src, out, report)
    _labels(src, out)
    _requirements(src, out, report, contributors)
    esco_reqs = [(r["occupation"], r["competency"], r["weight"]) for r in out.requirements if "esco" in r["sources"]]
    occupation_uris = [r["uri"] for r in out.occupations]
    out.similar = [{"from": a, "to": b, "score": s, "rank": k}
                   for a, b, s, k in top_k_similar(occupation_uris, esco_reqs, k=similar_k)]
    out.report = report
    return out


def _isco(src: AtlasSources, out: AtlasRows) -> None:
    code_of = dict(zip(src.isco_groups["uri"], src.isco_groups["code"]))
    out.isco_groups = [{"code": c, "uri": u, "label_en": l}
                       for u, c, l in zip(src.isco_groups["uri"], src.isco_groups["code"], src.isco_groups["label"])]
    b = src.occupation_broader
    isco = b[(b["type"] == "ISCOGroup") & (b["broader_type"] == "ISCOGroup")]
    out.isco_broader = [{"code": code_of[u], "broader": code_of[p]} for u, p in zip(isco["uri"], isco["broader_uri"])
                        if u in code_of and p in code_of]


def _occupations(src: AtlasSources, out: AtlasRows, report: dict) -> dict[str, list[cw.Mapping]]:
    """Occupation rows with education and job zone; returns the O*NET contributors per occupation."""
    en, nl = src.occupations_en, src.occupations_nl.set_index("uri")
    occupation_uris = set(en["uri"])
    mappings: dict[str, list[cw.Mapping]] = defaultdict(list)
    xw = src.crosswalk
    onet_codes = set(src.onet_occupations["code"])
    isco_uris = set(src.isco_groups["uri"])
    code_of_isco = dict(zip(src.isco_groups["uri"], src.isco_groups["code"]))
    unknown_esco, unknown_onet = set(), set()
    for code, uri, match in zip(xw["onet_code"], xw["esco_uri"], xw["match_type"]):
        if code not in onet_codes:
            unknown_onet.add(code)
            continue
        if match == "exactISCO" or uri in isco_uris:
            if uri in isco_uris:
                out.isco_crosswalk.append({"isco_code": code_of_isco[uri], "onet_code": code, "match_type": match})
            continue
        if uri not in occupation_uris:
            unknown_esco.add(uri)
            continue
        mappings[uri].append(cw.Mapping(code, match))
        out.crosswalk.append({"uri": uri, "onet_code": code, "match_type": match})
    report["crosswalk_esco_uris_not_in_release"] = sorted(unknown_esco)
    report["crosswalk_onet_codes_not_in_release"] = sorted(unknown_onet)
    out.onet_occupations = [{"code": c, "title": t, "description": d or None} for c, t, d in
                            zip(src.onet_occupations["code"], src.onet_occupations["title"],
                                src.onet_occupations["description"])]
    distributions: dict[str, dict[int, float]] = defaultdict(dict)
    for code, category, percent in zip(src.education["code"], src.education["category"], src.education["percent"]):
        distributions[code][int(category)] = float(percent)
    zones = dict(zip(src.job_zones["code"], src.job_zones["job_zone"]))
    contributors = {uri: cw.select_contributors(m) for uri, m in mappings.items()}
    b = src.occupation_broader
    occ = b[(b["type"] == "Occupation") & (b["broader_type"] == "Occupation")]
    out.occupation_broader = [{"uri": u, "broader": p} for u, p in zip(occ["uri"], occ["broader_uri"])
                              if u in occupation_uris and p in occupation_uris]
    isco_mappings: dict[str, list[cw.Mapping]] = defaultdict(list)
    for row in out.isco_crosswalk:
        isco_mappings[row["isco_code"]].append(cw.Mapping(row["onet_code"], "exactMatch"))
    inherited = cw.inherit_contributors(
        contributors, {r["uri"]: r["broader"] for r in out.occupation_broader},
        {r.uri: r.isco_code for r in en.itertuples(index=False) if isinstance(r.isco_code, str)}, isco_mappings,
        set(src.onet_ratings.loc[src.onet_ratings["usable"], "code"]))
    contributors.update({uri: chosen for uri, (chosen, _) in inherited.items()})
    report["occupations_onet_inherited"] = {way: sum(1 for _, w in inherited.values() if w == way)
                                            for way in ("broader", "isco", "isco_siblings")}
    missing_nl = []
    for r in en.itertuples(index=False):
        dutch = nl.loc[r.uri] if r.uri in nl.index else None
        if dutch is None:
            missing_nl.append({"uri": r.uri, "label_en": r.preferred})
        chosen = contributors.get(r.uri, [])
        education = cw.education_category(chosen, distributions)
        out.occupations.append({
            "uri": r.uri, "code": _none(r.code), "isco_code": _none(r.isco_code), "label_en": r.preferred,
            "label_nl": None if dutch is None else dutch["preferred"], "description_en": _none(r.description),
            "description_nl": None if dutch is None else _none(dutch["description"]),
            "education_level": education,
            "education_level_label": src.education_labels.get(education) if education else None,
            "job_zone": cw.job_zone(chosen, zones),
            "onet_codes": [m.onet_code for m in chosen],
            "onet_via": inherited[r.uri][1] if r.uri in inherited else ("crosswalk" if chosen else None),
        })
    report["occupations_without_dutch_label"] = missing_nl
    report["dutch_occupations_not_in_release"] = sorted(set(nl.index) - occupation_uris)
    return contributors


def _labels(src: AtlasSources, out: AtlasRows) -> None:
    labels: list[dict] = []
    for r in src.occupations_en.itertuples(index=False):
        labels += _labels_for(r.uri, "Occupation", "en", r.preferred, r.alternatives, r.hidden)
    known = {r["uri"] for r in out.occupations}
    for r in src.occupations_nl.itertuples(index=False):
        if r.uri in known:
            labels += _labels_for(r.uri, "Occupation", "nl", r.preferred, r.alternatives, r.hidden)
    for c in out.competencies:
        labels += _labels_for(c["uri"], "Competency", "en", c["label_en"])
        if c["label_nl"]:
            labels += _labels_for(c["uri"], "Competency", "nl", c["label_nl"])
    out.labels = list({row["key"]: row for row in labels}.values())


def _requirements(src: AtlasSources, out: AtlasRows, report: dict,
                  contributors: dict[str, list[cw.Mapping]]) -> None:
    ratings: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    usable = src.onet_ratings[src.onet_ratings["usable"]]
    for code, element, scale, value in zip(usable["code"], usable["element_id"], usable["scale"], usable["value"]):
        ratings[element][code][scale] = float(value)
    by_element = {e: {c: cw.Rating(c, v.get("IM"), v.get("LV")) for c, v in per_code.items()}
                  for e, per_code in ratings.items()}
    kinds = dict(zip(src.onet_labels["element_id"], src.onet_labels["kind"]))
    same_as: dict[str, list[str]] = defaultdict(list)
    for row in out.same_as:
        same_as[row["to"]].append(row["from"].removeprefix(ONET_PREFIX))

    combined: dict[tuple[str, str], cw.Combined] = {}
    requirements = []
    for uri, chosen in sorted(contributors.items()):
        if not chosen:
            continue
        for element in sorted(kinds):
            c = cw.combine_ratings(chosen, by_element.get(element, {}))
            if c is None:
                continue
            combined[(uri, element)] = c
            props = cw.onet_requirement(c, kinds[element])
            if props:
                requirements.append({"occupation": uri, "competency": onet_uri(element), **props})
    onet_count = len(requirements)

    # A pair listed twice (17 in the reconstructed 1.2.0 file: label collisions, essential and
    # optional) becomes one requirement, the essential one ('essential' sorts before 'optional').
    esco = src.occupation_skills.sort_values(["occupation_uri", "skill_uri", "relation"])
    report["esco_relation_rows"] = len(esco)
    esco = esco.drop_duplicates(["occupation_uri", "skill_uri"], keep="first")
    report["esco_relation_duplicates_collapsed"] = report["esco_relation_rows"] - len(esco)
    known_occ = {r["uri"] for r in out.occupations}
    known_skill = set(src.skills["uri"])
    ok = esco["occupation_uri"].isin(known_occ) & esco["skill_uri"].isin(known_skill)
    report["esco_requirements_dangling"] = int((~ok).sum())
    for occ, skill, relation in zip(esco["occupation_uri"][ok], esco["skill_uri"][ok], esco["relation"][ok]):
        rated = [combined[(occ, e)] for e in same_as.get(skill, ()) if (occ, e) in combined]
        best = max(rated, key=lambda c: c.importance or 0, default=None)
        requirements.append({"occupation": occ, "competency": skill, **cw.esco_requirement(relation, best)})
    report["requirements_onet"] = onet_count
    report["requirements_esco"] = len(requirements) - onet_count
    out.requirements = requirements
