"""Neo4j adapter for stored client profiles (the format is matcher/profile_store.py).

Writers (the measurement ingest, the benchmarks, the demo slice) send rows {key, props} with
`props = profile_store.encode(...)`; readers fetch the properties and `decode` them.
"""
from __future__ import annotations

from neo4j import ManagedTransaction

from matcher.profile_store import PROFILE_PROPERTIES

# `SET c += r.props` replaces exactly the profile arrays: a rewrite needs no delete first.
Q_SET_PROFILES = """
UNWIND $rows AS r
MATCH (c:Client {key: r.key})
SET c += r.props, c.profile_updated_at = datetime()
"""

# A map projection of the profile properties, for readers: `RETURN <PROFILE> AS profile`.
PROFILE = "c {" + ", ".join("." + name for name in PROFILE_PROPERTIES) + "}"

Q_PROFILES = f"""
UNWIND $keys AS key
MATCH (c:Client {{key: key}})
RETURN c.key AS key, {PROFILE} AS profile
"""


def set_profiles(tx: ManagedTransaction, rows: list[dict]) -> None:
    tx.run(Q_SET_PROFILES, rows=rows).consume()


def read_profiles(tx: ManagedTransaction, keys: list[str]) -> dict[str, dict]:
    return {r["key"]: dict(r["profile"]) for r in tx.run(Q_PROFILES, keys=keys)}
