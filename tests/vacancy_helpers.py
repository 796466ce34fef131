"""A miniature atlas for the vacancy tests: five occupations, a few skills, a crosswalk.

Real ESCO URIs and labels, so the examples read like the real thing; written by the tests
themselves (the full atlas takes minutes to build).
"""
from __future__ import annotations

from competency_atlas.lookup import SurfaceForm, build_index
from ingest.normalise import OccupationCodes

ESCO = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"
WAREHOUSE = ESCO + "bea705fe-06ac-4147-b8e0-6e8ac1208d8f"
SOFTWARE = ESCO + "f2b15a0e-e65a-438a-affb-29b9d50b77d1"
ICT_APP = ESCO + "bd272aee-adc9-4a06-a15c-a73b4b4a46a7"
COOK = ESCO + "90f75f67-495d-49fa-ab57-2f320e251d7e"
NURSE = ESCO + "18e14e61-495b-44cc-a7c6-df4c625934ba"

LIFT = SKILL + "ab2bb44a-3956-4028-8715-8b70b1960b99"  # lift heavy weights
STACK = SKILL + "3d086228-d7fc-4c23-972a-22b7d44a6173"  # stack goods
BARCODE = SKILL + "fd79b3c4-e264-41b5-bada-49ba5f317588"  # use barcode scanning equipment
SQL = SKILL + "598de5b0-5b58-4ea7-8058-a4bc4d18c742"
PYTHON = SKILL + "ccd0a1d9-afda-43d9-b901-96344886e14d"
PROGRAMMING = SKILL + "21d2f96d-35f7-4e3f-9745-c533d2dd6e97"
DEBUG = SKILL + "2522a6ce-3202-4ac8-9f5b-b9cb5a3a83a1"

OCCUPATIONS = [
    # uri, isco, label_en, label_nl, extra labels (lang, text)
    (WAREHOUSE, "9333", "warehouse worker", "magazijnmedewerker",
     [("en", "warehouse operative"), ("nl", "orderpicker"), ("nl", "magazijnier")]),
    (SOFTWARE, "2512", "software developer", "softwareontwikkelaar",
     [("en", "programmer"), ("nl", "programmeur"), ("nl", "software developer")]),
    (ICT_APP, "2514", "ICT application developer", "ICT-applicatieontwikkelaar", [("en", "application developer")]),
    (COOK, "5120", "cook", "kok", [("nl", "zelfstandig werkend kok"), ("en", "chef de partie")]),
    (NURSE, "2221", "specialist nurse", "gespecialiseerd verpleegkundige", [("nl", "verpleegkundige")]),
]
COMPETENCIES = [(LIFT, "lift heavy weights"), (STACK, "stack goods"), (BARCODE, "use barcode scanning equipment"),
                (SQL, "SQL"), (PYTHON, "Python (computer programming)"), (PROGRAMMING, "computer programming"),
                (DEBUG, "debug software")]
REQUIRES = [  # occupation, competency, relation, importance
    (WAREHOUSE, LIFT, "essential", 4.0), (WAREHOUSE, STACK, "essential", 3.5), (WAREHOUSE, BARCODE, "optional", 2.0),
    (SOFTWARE, PROGRAMMING, "essential", 4.5), (SOFTWARE, DEBUG, "essential", 4.0), (SOFTWARE, SQL, "optional", 3.0),
    (SOFTWARE, PYTHON, "optional", 3.0),
]
CROSSWALK = [("15-1252.00", SOFTWARE, "broadMatch"), ("15-1252.00", ICT_APP, "broadMatch"),
             ("53-7065.00", WAREHOUSE, "closeMatch")]


def surface_forms() -> list[SurfaceForm]:
    forms = []
    for uri, _, en, nl, extra in OCCUPATIONS:
        forms += [SurfaceForm(uri, en, "en"), SurfaceForm(uri, nl, "nl")]
        forms += [SurfaceForm(uri, text, lang) for lang, text in extra]
    return forms


def lexical_index():
    return build_index(surface_forms())


def occupation_codes() -> OccupationCodes:
    members: dict[str, set[str]] = {}
    for uri, isco, *_ in OCCUPATIONS:
        members.setdefault(isco, set()).add(uri)
    crosswalk: dict[str, list] = {}
    for code, uri, kind in CROSSWALK:
        crosswalk.setdefault(code, []).append((uri, kind))
    return OccupationCodes(occupations={uri: en for uri, _, en, *_ in OCCUPATIONS},
                           isco_members={k: frozenset(v) for k, v in members.items()},
                           isco_groups=frozenset(members),
                           crosswalk={k: tuple(v) for k, v in crosswalk.items()})


_WRITE = """
UNWIND $occupations AS o
MERGE (occ:Occupation {uri: o.uri}) SET occ.isco_code = o.isco, occ.label_en = o.en, occ.label_nl = o.nl
MERGE (g:IscoGroup {code: o.isco})
MERGE (occ)-[:IN_ISCO_GROUP]->(g)
WITH occ, o
UNWIND o.labels AS l
MERGE (lab:Label {key: o.uri + '|' + l.lang + '|' + l.text}) SET lab.text = l.text, lab.lang = l.lang, lab.kind = 'occupation'
MERGE (lab)-[:LABEL_OF]->(occ)
WITH count(*) AS _
UNWIND $competencies AS c
MERGE (comp:Competency {uri: c.uri}) SET comp.label_en = c.label
WITH count(*) AS _
UNWIND $requires AS r
MATCH (o:Occupation {uri: r.occupation}), (c:Competency {uri: r.competency})
MERGE (o)-[req:REQUIRES]->(c) SET req.relation = r.relation, req.importance = r.importance
WITH count(*) AS _
UNWIND $crosswalk AS x
MATCH (o:Occupation {uri: x.uri})
MERGE (n:OnetOccupation {code: x.code})
MERGE (o)-[c:CROSSWALK]->(n) SET c.match_type = x.type
"""


def write_mini_atlas(driver, database: str) -> None:
    occupations = [{"uri": uri, "isco": isco, "en": en, "nl": nl,
                    "labels": [{"lang": "en", "text": en}, {"lang": "nl", "text": nl}]
                    + [{"lang": lang, "text": text} for lang, text in extra]}
                   for uri, isco, en, nl, extra in OCCUPATIONS]
    driver.execute_query(_WRITE, occupations=occupations,
                         competencies=[{"uri": u, "label": label} for u, label in COMPETENCIES],
                         requires=[{"occupation": o, "competency": c, "relation": r, "importance": i}
                                   for o, c, r, i in REQUIRES],
                         crosswalk=[{"code": c, "uri": u, "type": t} for c, u, t in CROSSWALK],
                         database_=database)
