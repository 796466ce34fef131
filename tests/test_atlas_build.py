"""The full atlas on the real Neo4j: counts, shape, idempotent rebuild, release replacement, stats CLI."""
from __future__ import annotations

import json

import pytest
from atlas_fixtures import atlas_rows, built_atlas  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from api.cli import app
from competency_atlas.atlas_repository import AtlasRepository
from competency_atlas.build import build_atlas, embed_labels, release_id

pytestmark = pytest.mark.neo4j

CEO = "http://data.europa.eu/esco/occupation/6c3fd65e-2d24-47d8-bc22-9e93512bdcc2"


def one(driver, settings, query, **params):
    records, _, _ = driver.execute_query(query, database_=settings.neo4j_database, **params)
    return [dict(r) for r in records]


def test_full_atlas_has_the_issue_counts(built_atlas):
    s = built_atlas
    assert s["occupations"] == 3039
    assert s["occupations_with_dutch_label"] / s["occupations"] >= 0.98
    assert s["occupations_with_dutch_label"] == 3004
    assert s["esco_competencies"] == 13939 and s["onet_competencies"] == 84
    assert s["competencies"] == 13939 + 84 and s["skill_groups"] == 640
    assert s["occupations_without_requirements"] == 0
    assert s["requirements"] >= 129_000
    # 129,004 ESCO relation rows, of which 17 repeat a pair (essential and optional): one edge each
    assert s["esco_requirements"] == 129_004 - 17
    assert 0 < s["similar_to"] <= 10 * 3039
    assert s["onet_occupations"] == 1016 and s["crosswalk"] > 4000
    assert s["atlas_version"].startswith("esco-1.2.0+esco-nl-1.1.1+onet-29.2+")
    assert s["instruments"] >= 0


def test_occupation_carries_crosswalk_onet_ratings_and_isco_hierarchy(driver, settings, built_atlas):
    [ceo] = one(driver, settings, """
        MATCH (o:Occupation {uri: $uri})
        OPTIONAL MATCH (o)-[x:CROSSWALK {match_type: 'exactMatch'}]->(n:OnetOccupation {code: '11-1011.00'})
        OPTIONAL MATCH (o)-[r:REQUIRES]->(:Competency {uri: 'onet:2.C.1.a'})
        OPTIONAL MATCH (o)-[:IN_ISCO_GROUP]->(g:IscoGroup)-[:BROADER*]->(top:IscoGroup {code: '1'})
        RETURN o.label_nl AS nl, o.job_zone AS zone, o.education_level AS edu, count(DISTINCT x) AS exact,
               r.importance AS importance, r.level AS level, r.sources AS sources, r.relation AS relation,
               count(DISTINCT top) AS reaches_top""", uri=CEO)
    assert ceo["exact"] == 1 and ceo["reaches_top"] == 1 and ceo["nl"]
    assert ceo["zone"] == 5 and ceo["edu"] is not None
    # Chief Executives rate Administration and Management IM 4.78, LV 6.5 (O*NET 29.2, Knowledge.txt);
    # the exact match is the only contributor of the best tier, so the values are carried unchanged.
    assert (ceo["importance"], ceo["level"], ceo["relation"]) == (4.78, 6.5, "essential")
    assert "onet:11-1011.00" in ceo["sources"]


def test_competency_side_collections_equivalents_labels(driver, settings, built_atlas):
    [row] = one(driver, settings, """
        CALL () { MATCH (:Competency)-[r:IN_COLLECTION]->(:Collection {id: 'transversal'}) RETURN count(r) AS transversal }
        CALL () { MATCH (:Competency {source: 'onet'})-[r:SAME_AS {source: 'project mapping'}]->(:Competency {source: 'esco'})
                  RETURN count(r) AS same_as }
        CALL () { MATCH (:Competency)-[r:RELATED]->(:Competency) RETURN count(r) AS related }
        CALL () { MATCH (c:Competency {uri: 'onet:1.C.4.b'}) RETURN c.label_nl AS stress_nl, c.trainable AS trainable }
        CALL () { MATCH (l:Label {lang: 'nl', kind: 'preferred'})-[r:LABEL_OF]->(:Occupation)
                  WHERE r.atlas_release IS NOT NULL  // the build's own: other test modules leave a few of theirs
                  RETURN count(l) AS nl_labels }
        RETURN *""")
    assert row["transversal"] == 95 and row["same_as"] == 36 and row["related"] == 5818
    assert row["stress_nl"] == "Stressbestendigheid" and row["trainable"] is False
    assert row["nl_labels"] == 3004


def test_rebuild_is_idempotent_and_sweeps_what_another_release_left(driver, settings, built_atlas):
    db = settings.neo4j_database
    store = AtlasRepository(driver, db)
    before = store.content_fingerprint()
    # What an older release could have left, and what the atlas must never touch.
    driver.execute_query("""
        MERGE (o:Occupation {uri: 'test:stale-occupation'}) SET o.atlas_release = 'esco-0.9+old'
        MERGE (l:Label {key: 'test:stale-label'}) SET l.atlas_release = 'esco-0.9+old', l.text = 'old'
        MERGE (r:AtlasRelease {version: 'esco-0.9+old'}) SET r.status = 'complete', r.completed_at = datetime('2020-01-01')
        WITH o
        MATCH (ceo:Occupation {uri: $ceo}), (g:Competency {kind: 'skill_group'})
        WITH o, ceo, g LIMIT 1
        MERGE (ceo)-[s:REQUIRES]->(g) SET s.atlas_release = 'esco-0.9+old'
        MERGE (c:Client {key: 'test:atlas-client'})
        MERGE (c)-[:INTERESTED_IN]->(ceo)
        MERGE (v:Vacancy {id: 'test:atlas-vacancy'})-[:REQUIRES]->(g)
        """, ceo=CEO, database_=db)

    result = build_atlas(driver, settings.data_dir, database=db, embeddings=False, show_progress=False)

    assert result.release.version == built_atlas["atlas_version"] == release_id(settings.data_dir).version
    assert store.content_fingerprint() == before
    assert result.stats == store.stats() and {k: result.stats[k] for k in built_atlas} == built_atlas
    assert result.removed.get("Occupation") == 1 and result.removed.get("Label") == 1
    assert result.removed.get("AtlasRelease") == 1 and result.removed.get("Occupation-REQUIRES-Competency") == 1
    [kept] = one(driver, settings, """
        MATCH (c:Client {key: 'test:atlas-client'})-[:INTERESTED_IN]->(:Occupation {uri: $ceo})
        MATCH (v:Vacancy {id: 'test:atlas-vacancy'})-[:REQUIRES]->(:Competency)
        RETURN count(*) AS n""", ceo=CEO)
    assert kept["n"] == 1
    driver.execute_query("MATCH (n) WHERE n.key = 'test:atlas-client' OR n.id = 'test:atlas-vacancy' DETACH DELETE n",
                         database_=db)


def test_stats_cli_prints_one_json_object(built_atlas):
    result = CliRunner().invoke(app, ["atlas", "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    for key in ("occupations", "occupations_with_dutch_label", "competencies", "requirements", "similar_to",
                "instruments", "atlas_version"):
        assert key in stats
    assert stats["occupations"] == 3039 and stats["atlas_version"] == built_atlas["atlas_version"]


def test_label_embeddings_on_a_subset_are_cached_and_searchable(driver, settings, built_atlas, tmp_path):
    db = settings.neo4j_database
    store = AtlasRepository(driver, db)
    model = settings.embedding_model
    # The first 40 labels by key: the ones embed_labels(limit=40) picks once they lack a vector,
    # whether or not the rest of the graph has embeddings.
    keys = [r["key"] for r in one(driver, settings, "MATCH (l:Label) WHERE l.atlas_release IS NOT NULL "
                                  "RETURN l.key AS key ORDER BY key LIMIT 40")]
    forget = "MATCH (l:Label) WHERE l.key IN $keys REMOVE l.embedding, l.embedding_model"
    driver.execute_query(forget, keys=keys, database_=db)
    embedded, encoded = embed_labels(store, model, tmp_path, show_progress=False, limit=40)
    assert embedded == 40 and 0 < encoded <= 40  # an empty cache: the texts are encoded
    driver.execute_query(forget, keys=keys, database_=db)
    assert embed_labels(store, model, tmp_path, show_progress=False, limit=40) == (40, 0)  # all from the cache
    [probe] = one(driver, settings, "MATCH (l:Label {key: $key}) RETURN l.embedding AS v, l.embedding_model AS m",
                  key=keys[0])
    assert len(probe["v"]) == 384 and probe["m"] == model
    hits = one(driver, settings, "CALL db.index.vector.queryNodes('label_embedding', 3, $v) YIELD node, score "
               "RETURN node.key AS key, score", v=probe["v"])
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert keys[0] in [h["key"] for h in hits if h["score"] > 0.999]  # identical texts tie at 1.0


def test_the_atlas_rows_hold_no_pandas_values(atlas_rows):
    """graph_schema/db.py hides pandas from the driver while it loads (every command starts 0.3-0.5 s
    sooner): the driver then packs no pandas value (pd.NA, Timestamp, Series). The atlas rows are
    the only ones read through pandas; they must reach it as plain Python and NumPy values."""
    import dataclasses

    foreign: set[type] = set()
    stack = [getattr(atlas_rows, f.name) for f in dataclasses.fields(atlas_rows) if f.name != "report"]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif type(value).__module__.split(".")[0] not in ("builtins", "numpy"):
            foreign.add(type(value))
    assert sum(len(getattr(atlas_rows, f.name)) for f in dataclasses.fields(atlas_rows) if f.name != "report") > 10_000
    assert foreign == set()


def test_a_command_that_reads_no_reference_data_does_not_load_pandas():
    import subprocess
    import sys

    code = ("import sys, api.cli, neo4j._optional_deps as d; "
            "print('pandas' in sys.modules, d.pd is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_the_content_fingerprint_sees_each_atlas_property_and_no_embedding(clean_db, settings):
    """Last in this module: it wipes the atlas the tests above share."""
    db = settings.neo4j_database
    clean_db.execute_query("""
        CREATE (o:Occupation {uri: 't:o', atlas_release: 'r', label_en: 'cook'})
               -[:REQUIRES {atlas_release: 'r', importance: 3.0}]->(:Competency {uri: 't:c', atlas_release: 'r'}),
               (:Label {key: 't:l', atlas_release: 'r', text: 'kok', embedding: [0.1]})-[:LABEL_OF {atlas_release: 'r'}]->(o)
        """, database_=db)
    store = AtlasRepository(clean_db, db)
    last = store.content_fingerprint()

    def changed(query: str) -> set[str]:
        nonlocal last
        clean_db.execute_query(query, database_=db)
        before, last = last, store.content_fingerprint()
        return {family for family in last if last[family] != before[family]}

    assert changed("MATCH (l:Label) SET l.embedding = [0.2]") == set()
    assert changed("MATCH ()-[r:REQUIRES]->() SET r.importance = 4.0") == {"Occupation-REQUIRES-Competency"}
    assert changed("MATCH (o:Occupation) SET o.label_en = 'chef'") == {"Occupation"}
    assert changed("MATCH (l:Label) SET l.text = 'chef-kok'") == {"Label"}
