"""Neo4j adapter for stored client profiles (the format is matcher/profile_store.py).

Writers (the measurement ingest, the benchmarks, the demo slice) send rows {key, props} with
`props = profile_store.encode(...)`; readers fetch the properties and `decode` them.
"""
from __future__ import annotations

from neo4j import ManagedTransaction

from graph_schema.db import Bulk
from matcher.profile_store import PROFILE_PROPERTIES

# `SET c += r.props` replaces exactly the profile arrays: a rewrite needs no delete first.
# Two arrays travel as references into tables, rebuilt by the server: the as-of dates into a
# per-client table of distinct dates (the driver packs every date value in Python: 2,000 clients
# took 2.1 s CPU with dates inline, 0.4 s without), and the competency URIs into one table per
# batch (~100 URIs of ~70 characters per client were most of the bytes packed and sent).
Q_SET_PROFILES = """
UNWIND $rows AS r
MATCH (c:Client {key: r.key})
SET c += r.props, c.profile_competencies = [i IN r.competency_refs | $competencies[i]],
    c.profile_as_of = [i IN r.as_of_refs | r.as_of_dates[i]], c.profile_updated_at = datetime()
"""

# The as-of dates as yyyymmdd numbers: the driver turns every date value into a Python object one
# by one (a page of 20 candidates carried ~2,800 of them: half of its time), numbers it unpacks
# natively. matcher/profile_store.py `native_date` reads them back.
AS_OF_NUMBERS = "[d IN coalesce(c.profile_as_of, []) | d.year * 10000 + d.month * 100 + d.day]"

# A map projection of the profile properties, for readers: `RETURN <PROFILE> AS profile`.
PROFILE = ("c {" + ", ".join("." + name for name in PROFILE_PROPERTIES if name != "profile_as_of")
           + f", profile_as_of: {AS_OF_NUMBERS}" + "}")

def set_profiles(tx: ManagedTransaction, rows: list[dict]) -> None:
    """rows: {key, props} with props from matcher/profile_store.py."""
    competencies: dict[str, int] = {}
    wire = Bulk(_wire(r, competencies) for r in rows)
    tx.run(Q_SET_PROFILES, rows=wire, competencies=list(competencies)).consume()


def _wire(row: dict, competencies: dict[str, int]) -> dict:
    props = dict(row["props"])
    dates: dict = {}
    as_of = [dates.setdefault(d, len(dates)) for d in props.pop("profile_as_of")]
    refs = [competencies.setdefault(u, len(competencies)) for u in props.pop("profile_competencies")]
    return {"key": row["key"], "props": props, "competency_refs": refs, "as_of_dates": list(dates),
            "as_of_refs": as_of}
