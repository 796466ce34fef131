"""All Cypher of the atlas: batched, parameterised UNWIND writes, the stale sweep and the stats.

Every node and relationship the atlas writes carries `atlas_release` = the release version.
A rebuild of the same release MERGEs on the same keys and SETs the same values, so nothing changes;
a new release re-stamps what it still contains and `sweep_stale` then deletes, in batches, every
atlas node and relationship still stamped with another release. Nodes the atlas does not own
(clients, measurements, vacancies, decisions, instruments) are never matched by these queries;
relationships they hold to atlas nodes survive as long as the atlas node survives (same key).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from neo4j import Driver

from graph_schema.db import read, write_session

BATCH = 5000
ATLAS_NODE_LABELS = ("Occupation", "Competency", "IscoGroup", "OnetOccupation", "Collection", "Label")
# (start label, relationship type, end label): the atlas's relationships, for the stale sweep.
ATLAS_RELATIONSHIPS = (
    ("Competency", "BROADER", "Competency"), ("Competency", "RELATED", "Competency"),
    ("Competency", "IN_COLLECTION", "Collection"), ("Competency", "SAME_AS", "Competency"),
    ("IscoGroup", "BROADER", "IscoGroup"), ("Occupation", "IN_ISCO_GROUP", "IscoGroup"),
    ("Occupation", "BROADER", "Occupation"), ("Label", "LABEL_OF", "Occupation"),
    ("Label", "LABEL_OF", "Competency"), ("Occupation", "CROSSWALK", "OnetOccupation"),
    ("IscoGroup", "CROSSWALK", "OnetOccupation"), ("Occupation", "REQUIRES", "Competency"),
    ("Occupation", "SIMILAR_TO", "Occupation"),
)

Q_COMPETENCIES = """
UNWIND $rows AS row
MERGE (c:Competency {uri: row.uri})
SET c += row, c.atlas_release = $release
"""
Q_COMPETENCY_BROADER = """
UNWIND $rows AS row
MATCH (a:Competency {uri: row.uri}), (b:Competency {uri: row.broader})
MERGE (a)-[r:BROADER]->(b) SET r.atlas_release = $release
"""
Q_RELATED = """
UNWIND $rows AS row
MATCH (a:Competency {uri: row.from}), (b:Competency {uri: row.to})
MERGE (a)-[r:RELATED]->(b) SET r.relation_type = row.relation_type, r.atlas_release = $release
"""
Q_COLLECTIONS = """
UNWIND $rows AS row
MERGE (c:Collection {id: row.id}) SET c.label_en = row.label_en, c.atlas_release = $release
"""
Q_COLLECTION_MEMBERS = """
UNWIND $rows AS row
MATCH (c:Competency {uri: row.uri}), (k:Collection {id: row.collection})
MERGE (c)-[r:IN_COLLECTION]->(k) SET r.atlas_release = $release
"""
Q_SAME_AS = """
UNWIND $rows AS row
MATCH (a:Competency {uri: row.from}), (b:Competency {uri: row.to})
MERGE (a)-[r:SAME_AS]->(b)
SET r.source = 'project mapping', r.match = row.match, r.note = row.note, r.atlas_release = $release
"""
Q_ISCO = """
UNWIND $rows AS row
MERGE (g:IscoGroup {code: row.code}) SET g.uri = row.uri, g.label_en = row.label_en, g.atlas_release = $release
"""
Q_ISCO_BROADER = """
UNWIND $rows AS row
MATCH (a:IscoGroup {code: row.code}), (b:IscoGroup {code: row.broader})
MERGE (a)-[r:BROADER]->(b) SET r.atlas_release = $release
"""
Q_OCCUPATIONS = """
UNWIND $rows AS row
MERGE (o:Occupation {uri: row.uri})
SET o += row, o.atlas_release = $release
WITH o, row
MATCH (g:IscoGroup {code: row.isco_code})
MERGE (o)-[r:IN_ISCO_GROUP]->(g) SET r.atlas_release = $release
"""
Q_OCCUPATION_BROADER = """
UNWIND $rows AS row
MATCH (a:Occupation {uri: row.uri}), (b:Occupation {uri: row.broader})
MERGE (a)-[r:BROADER]->(b) SET r.atlas_release = $release
"""
Q_LABELS = {  # one query per target label: labels cannot be parameters
    target: f"""
UNWIND $rows AS row
MERGE (l:Label {{key: row.key}})
SET l.text = row.text, l.lang = row.lang, l.kind = row.kind, l.target = row.target, l.atlas_release = $release
WITH l, row
MATCH (t:{target} {{uri: row.uri}})
MERGE (l)-[r:LABEL_OF]->(t) SET r.atlas_release = $release
""" for target in ("Occupation", "Competency")}
Q_ONET = """
UNWIND $rows AS row
MERGE (n:OnetOccupation {code: row.code})
SET n.title = row.title, n.description = row.description, n.atlas_release = $release
"""
Q_CROSSWALK = """
UNWIND $rows AS row
MATCH (o:Occupation {uri: row.uri}), (n:OnetOccupation {code: row.onet_code})
MERGE (o)-[r:CROSSWALK {match_type: row.match_type}]->(n) SET r.atlas_release = $release
"""
Q_ISCO_CROSSWALK = """
UNWIND $rows AS row
MATCH (g:IscoGroup {code: row.isco_code}), (n:OnetOccupation {code: row.onet_code})
MERGE (g)-[r:CROSSWALK {match_type: row.match_type}]->(n) SET r.atlas_release = $release
"""
Q_REQUIRES = """
UNWIND $rows AS row
MATCH (o:Occupation {uri: row.occupation}), (c:Competency {uri: row.competency})
MERGE (o)-[r:REQUIRES]->(c)
SET r.relation = row.relation, r.importance = row.importance, r.level = row.level,
    r.required_level = row.required_level, r.weight = row.weight, r.sources = row.sources,
    r.atlas_release = $release
"""
Q_SIMILAR = """
UNWIND $rows AS row
MATCH (a:Occupation {uri: row.from}), (b:Occupation {uri: row.to})
MERGE (a)-[r:SIMILAR_TO]->(b) SET r.score = row.score, r.rank = row.rank, r.atlas_release = $release
"""
Q_EMBEDDINGS = """
UNWIND $rows AS row
MATCH (l:Label {key: row.key})
CALL db.create.setNodeVectorProperty(l, 'embedding', row.vector)
SET l.embedding_model = $model
"""


def batches(rows: list[dict], size: int = BATCH) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class AtlasRepository:
    def __init__(self, driver: Driver, database: str = "neo4j"):
        self.driver = driver
        self.database = database

    # ------------------------------------------------------------------ writes
    def write(self, query: str, rows: list[dict], release: str, progress: Callable[[int], None] | None = None,
              size: int = BATCH) -> None:
        for batch in batches(rows, size):
            self.driver.execute_query(query, rows=batch, release=release, database_=self.database)
            if progress:
                progress(len(batch))

    def begin_release(self, version: str, checksum: str, sources: dict[str, str]) -> None:
        self.driver.execute_query(
            "MERGE (r:AtlasRelease {version: $version}) "
            "ON CREATE SET r.built_at = datetime() "
            "SET r.status = 'building', r.sources_checksum = $checksum, r.started_at = datetime(), "
            "r += $sources",
            version=version, checksum=checksum, sources={f"source_{k}": v for k, v in sources.items()},
            database_=self.database)

    def complete_release(self, version: str, counts: dict[str, int], seconds: float) -> None:
        self.driver.execute_query(
            "MATCH (r:AtlasRelease {version: $version}) "
            "SET r.status = 'complete', r.completed_at = datetime(), r.build_seconds = $seconds, r += $counts",
            version=version, counts={f"count_{k}": v for k, v in counts.items()}, seconds=round(seconds, 1),
            database_=self.database)

    def sweep_stale(self, release: str) -> dict[str, int]:
        """Deletes, in batches, every atlas relationship and node stamped with another release.

        Relationships first, in batches of 5,000, then nodes in batches of 1,000: deleting an
        occupation together with its ~100 relationships in 10,000-node batches exceeds the
        transaction memory pool of a 1 GB heap.
        """
        removed: dict[str, int] = {}
        with write_session(self.driver, self.database) as session:  # IN TRANSACTIONS needs auto-commit
            for start, rel_type, end in ATLAS_RELATIONSHIPS:
                summary = session.run(
                    f"MATCH (:{start})-[r:{rel_type}]->(:{end}) WHERE r.atlas_release <> $release "
                    "CALL (r) { DELETE r } IN TRANSACTIONS OF 5000 ROWS", release=release).consume()
                removed[f"{start}-{rel_type}-{end}"] = summary.counters.relationships_deleted
            for label in ATLAS_NODE_LABELS:
                summary = session.run(
                    f"MATCH (n:{label}) WHERE n.atlas_release IS NOT NULL AND n.atlas_release <> $release "
                    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS", release=release).consume()
                removed[label] = summary.counters.nodes_deleted
            summary = session.run("MATCH (r:AtlasRelease) WHERE r.version <> $release DETACH DELETE r",
                                  release=release).consume()
            removed["AtlasRelease"] = summary.counters.nodes_deleted
        return {k: v for k, v in removed.items() if v}

    # ------------------------------------------------------------------ embeddings
    def labels_without_embedding(self, model: str) -> list[dict]:
        records, _, _ = read(
            self.driver,
            "MATCH (l:Label) WHERE l.atlas_release IS NOT NULL "
            "AND (l.embedding IS NULL OR l.embedding_model IS NULL OR l.embedding_model <> $model) "
            "RETURN l.key AS key, l.text AS text ORDER BY key", self.database, model=model)
        return [dict(r) for r in records]

    def write_embeddings(self, keys: list[str], vectors, model: str,
                         progress: Callable[[int], None] | None = None, size: int = 1000) -> None:
        """Vectors become Python lists one batch at a time: 72k x 384 floats at once cost ~1 GB."""
        for start in range(0, len(keys), size):
            batch = [{"key": k, "vector": v.tolist()}
                     for k, v in zip(keys[start:start + size], vectors[start:start + size])]
            self.driver.execute_query(Q_EMBEDDINGS, rows=batch, model=model, database_=self.database)
            if progress:
                progress(len(batch))

    # ------------------------------------------------------------------ reads
    def current_release(self) -> dict | None:
        records, _, _ = read(
            self.driver, "MATCH (r:AtlasRelease {status: 'complete'}) RETURN r ORDER BY r.completed_at DESC LIMIT 1",
            self.database)
        return dict(records[0]["r"]) if records else None

    def stats(self) -> dict:
        query = """
        CALL () { MATCH (o:Occupation) WHERE o.atlas_release IS NOT NULL
                  RETURN count(o) AS occupations, count(o.label_nl) AS occupations_with_dutch_label }
        CALL () { MATCH (c:Competency) WHERE c.atlas_release IS NOT NULL AND c.kind <> 'skill_group'
                  RETURN count(c) AS competencies,
                         count(CASE WHEN c.source = 'esco' THEN 1 END) AS esco_competencies,
                         count(CASE WHEN c.source = 'onet' THEN 1 END) AS onet_competencies }
        CALL () { MATCH (c:Competency {kind: 'skill_group'}) RETURN count(c) AS skill_groups }
        CALL () { MATCH (:Occupation)-[r:REQUIRES]->(:Competency) WHERE r.atlas_release IS NOT NULL
                  RETURN count(r) AS requirements,
                         count(CASE WHEN 'esco' IN r.sources THEN 1 END) AS esco_requirements,
                         count(CASE WHEN any(s IN r.sources WHERE s STARTS WITH 'onet:') THEN 1 END)
                             AS onet_requirements }
        CALL () { MATCH (o:Occupation) WHERE o.atlas_release IS NOT NULL AND NOT (o)-[:REQUIRES]->()
                  RETURN count(o) AS occupations_without_requirements }
        CALL () { MATCH (:Occupation)-[r:SIMILAR_TO]->(:Occupation) WHERE r.atlas_release IS NOT NULL
                  RETURN count(r) AS similar_to }
        CALL () { MATCH (:Occupation)-[r:CROSSWALK]->(:OnetOccupation) RETURN count(r) AS crosswalk }
        CALL () { MATCH (l:Label) WHERE l.atlas_release IS NOT NULL
                  RETURN count(l) AS labels, count(l.embedding) AS labels_with_embedding }
        CALL () { MATCH (n:OnetOccupation) RETURN count(n) AS onet_occupations }
        CALL () { MATCH (i:Instrument) RETURN count(i) AS instruments }
        CALL () { OPTIONAL MATCH (r:AtlasRelease {status: 'complete'})
                  RETURN r.version AS atlas_version ORDER BY r.completed_at DESC LIMIT 1 }
        RETURN *
        """
        records, _, _ = read(self.driver, query, self.database)
        return dict(records[0]) if records else {}

    def content_fingerprint(self) -> dict[str, str]:
        """A sha256 per node label and relationship family over (keys, properties) in key order.

        For idempotence checks; label embeddings are left out (they are optional and added later).
        The server sorts and sends one record per label and relationship family, not one per row:
        the driver's cost is per record, and the atlas has 560,000 rows.
        """
        import hashlib
        import json

        def digest(rows: list) -> str:
            return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()

        keys = {"Occupation": "uri", "Competency": "uri", "IscoGroup": "code", "OnetOccupation": "code",
                "Collection": "id", "Label": "key"}
        fingerprints = {}
        for label in ATLAS_NODE_LABELS:
            records, _, _ = read(
                self.driver, f"MATCH (n:{label}) WHERE n.atlas_release IS NOT NULL WITH n ORDER BY n.{keys[label]} "
                "RETURN collect([k IN keys(n) WHERE NOT k STARTS WITH 'embedding' | [k, n[k]]]) AS rows",
                self.database)
            fingerprints[label] = digest([dict(p) for p in records[0]["rows"]])
        for start, rel_type, end in ATLAS_RELATIONSHIPS:
            a, b = f"a.{keys[start]}", f"b.{keys[end]}"  # the atlas merges one relationship per pair
            records, _, _ = read(
                self.driver, f"MATCH (a:{start})-[r:{rel_type}]->(b:{end}) WHERE r.atlas_release IS NOT NULL "
                f"WITH {a} AS a, {b} AS b, properties(r) AS p ORDER BY a, b RETURN collect([a, b, p]) AS rows",
                self.database)
            fingerprints[f"{start}-{rel_type}-{end}"] = digest(records[0]["rows"])
        return fingerprints
