"""`client erase KEY`: every trace of the client goes; audit entries stay but lose the key.
Verified by searching every property of every node and relationship for the key afterwards."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ingest.measurement_ingest import ingest_paths
from measurement_helpers import profile_of, seed_atlas

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "measurements"
KEY = "K-000101"


def traces(driver, text: str) -> list[str]:
    """Every node or relationship with a property value (or list item) containing `text`."""
    rows = driver.execute_query("""
        CALL () { MATCH (n) RETURN labels(n) AS what, properties(n) AS props
                  UNION ALL MATCH ()-[r]->() RETURN [type(r)] AS what, properties(r) AS props }
        WITH what, props UNWIND keys(props) AS k
        WITH what, k, props[k] AS v
        WITH what, k, CASE WHEN valueType(v) STARTS WITH 'LIST' THEN [x IN v | toString(x)] ELSE [toString(v)] END AS vs
        WHERE any(x IN vs WHERE x CONTAINS $text)
        RETURN what, k""", text=text, database_="neo4j")[0]
    return [f"{r['what']}.{r['k']}" for r in rows]


def test_erase_removes_every_trace_and_keeps_the_rest(clean_db):
    seed_atlas(clean_db)
    ingest_paths([EXAMPLES], clean_db, "neo4j")
    clean_db.execute_query("""
        MATCH (c:Client {key: $key})
        CREATE (d:Decision {id: 'D-1', client_key: $key, reason: 'override'})-[:ABOUT]->(c)
        CREATE (:Decision {id: 'D-2', client_key: $key})
        CREATE (:AuditEntry {id: 'A-1', client_key: $key, action: 'viewed profile'})
        CREATE (:AuditEntry {id: 'A-2', client_key: 'K-000104', action: 'viewed profile'})""", key=KEY, database_="neo4j")
    # the search finds the key: client, identity, 2 measurements, 2 decisions, audit, the index change log
    assert len(traces(clean_db, KEY)) == 8
    before_other = clean_db.execute_query("MATCH (m:Measurement) WHERE m.client_key <> $key RETURN count(m) AS n",
                                          key=KEY, database_="neo4j")[0][0]["n"]
    from api.cli import app
    result = CliRunner().invoke(app, ["client", "erase", KEY, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["clients"], out["measurements"], out["identities"], out["decisions"]) == (1, 2, 1, 1)
    assert out["other_keyed_nodes"] == 1 and out["audit_entries_scrubbed"] == 1
    assert traces(clean_db, KEY) == []
    assert traces(clean_db, "Anna de Vries") == [] and traces(clean_db, "anna.devries") == []
    # the audit trail survives without the key; other clients are untouched
    [audit] = clean_db.execute_query("MATCH (a:AuditEntry {id: 'A-1'}) RETURN a", database_="neo4j")[0]
    assert audit["a"]["client_key"] is None and audit["a"]["client_erased_at"] is not None
    after_other = clean_db.execute_query("MATCH (m:Measurement) RETURN count(m) AS n", database_="neo4j")[0][0]["n"]
    assert after_other == before_other
    assert profile_of(clean_db, "K-000104")  # the other client keeps their profile
    again = CliRunner().invoke(app, ["client", "erase", KEY])
    assert again.exit_code == 1
