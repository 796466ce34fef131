"""Client services for the API: profile, measurements, gate, erasure — each read audited by the route."""
from __future__ import annotations

from neo4j import Driver

from api import client_repository as repo
from api.decision_repository import decisions_for
from api.decisions import AdviceKind, advice_ref
from ingest.measurement_repository import erase_client

# Client properties that are bookkeeping or shown elsewhere, not attributes.
_NOT_ATTRIBUTES = {"key", "gate", "gate_reasons", "gate_sources"}


def client_profile(driver: Driver, database: str, key: str) -> dict | None:
    found = repo.client_profile(driver, database, key)
    if found is None:
        return None
    c = found["client"]
    return {"key": key, "gate": c.get("gate"), "gate_reasons": c.get("gate_reasons") or [],
            "attributes": {k: v for k, v in c.items() if k not in _NOT_ATTRIBUTES},
            "identity": found["identity"], "competencies": found["competencies"],
            "work_history": found["work_history"], "consents": found["consents"],
            "decisions": list(decisions_for(driver, database, key, None).values())}


def client_gate(driver: Driver, database: str, key: str) -> dict | None:
    found = repo.client_profile(driver, database, key)
    if found is None:
        return None
    c = found["client"]
    gate = c.get("gate")
    ref = advice_ref(AdviceKind.GATE, gate or "unknown")
    return {"key": key, "gate": gate, "reasons": c.get("gate_reasons") or [], "sources": c.get("gate_sources") or [],
            "decision": decisions_for(driver, database, key, [ref]).get(ref)}


def erase(driver: Driver, database: str, key: str) -> dict:
    """Everything about the client goes (measurements, identity, decisions, consents); the audit
    trail stays without the key."""
    removed = erase_client(driver, database, key)
    return {"key": key, "erased": bool(removed.get("clients")), "removed": {k: int(v) for k, v in removed.items()}}
