"""Client services: profile, measurements, gate, erasure. The functions taking a Ctx are the use
cases the JSON API and the pages share: the client must be visible to the caller (else the shared
404), and each read is audited."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from neo4j import Driver

from api import audit
from api import client_repository as repo
from api.access import may_erase_client
from api.decisions import AdviceKind, advice_ref
from api.deps import Ctx, read_visible, visible_client
from api.problems import client_not_found
from api.services.matching import catch_up
from competency_atlas.instrument_profiles import shipped_profiles
from competency_atlas.lookup_repository import concept_names
from ingest.measurement_repository import erase_client
from ingest.measurement_validation import education_block

# Client properties that are bookkeeping or shown elsewhere, not attributes.
_NOT_ATTRIBUTES = {"key", "gate", "gate_measured", "gate_reasons", "gate_sources"}
AVAILABILITY_KEYS = {"hours": ("hours_available",), "radius": ("travel_radius_km", "radius_km"),
                     "education": ("education_level",)}


def availability(driver: Driver, database: str, attrs: dict, lang: str) -> dict:
    """Hours, travel distance, education and the wished occupations, in words (never a URI or a
    code): the client page and the report show the same."""
    out = {name: next((attrs[k] for k in keys if attrs.get(k) not in (None, "", [])), None)
           for name, keys in AVAILABILITY_KEYS.items()}
    if isinstance(out["radius"], (int, float)):
        out["radius"] = int(round(out["radius"]))
    out["education"] = _education_labels(lang).get(out["education"], out["education"])
    uris = [u for u in attrs.get("preferred_occupations") or [] if isinstance(u, str)]
    names = concept_names(driver, database, uris) if uris else {}
    out["preferences"] = ", ".join(sorted(names[u].label(lang) for u in uris if u in names)) or None
    return out


@lru_cache(maxsize=2)
def _education_labels(lang: str) -> dict[str, str]:
    """WCM's education levels (the ones the product knows) by id, in `lang`."""
    block = education_block(shipped_profiles())
    return {v.id: (v.label_en if lang == "en" else v.label_nl) or v.id for v in (block.values if block else None) or []}


def client_profile(driver: Driver, database: str, key: str) -> dict | None:
    """The client's profile with its latest decisions and who may see it (`assignment`), in one read."""
    found = repo.client_profile(driver, database, key)
    if found is None:
        return None
    c = found["client"]
    return {"key": key, "gate": c.get("gate"), "gate_measured": c.get("gate_measured"),
            "gate_reasons": c.get("gate_reasons") or [],
            "attributes": {k: v for k, v in c.items() if k not in _NOT_ATTRIBUTES},
            "identity": found["identity"], "competencies": found["competencies"],
            "work_history": found["work_history"], "consents": found["consents"],
            "decisions": list(found["decisions"].values()), "assignment": found["assignment"]}


def client_gate(driver: Driver, database: str, key: str) -> dict | None:
    found = repo.client_profile(driver, database, key)
    if found is None:
        return None
    c = found["client"]
    gate = c.get("gate")
    return {"key": key, "gate": gate, "measured": c.get("gate_measured"), "reasons": c.get("gate_reasons") or [],
            "sources": c.get("gate_sources") or [],
            "decision": found["decisions"].get(advice_ref(AdviceKind.GATE, gate or "unknown")),
            "assignment": found["assignment"]}


def erase(driver: Driver, database: str, key: str) -> dict:
    """Everything about the client goes (measurements, identity, decisions, consents); the audit
    trail stays without the key."""
    removed = erase_client(driver, database, key)
    return {"key": key, "erased": bool(removed.get("clients")), "removed": {k: int(v) for k, v in removed.items()}}


# ---------------------------------------------------------------- as the caller sees them, audited

def _visible(ctx: Ctx, key: str, read) -> dict:
    """A visible client's data (api/deps.read_visible), without who may see it."""
    return {k: v for k, v in read_visible(ctx, key, read).items() if k != "assignment"}


def _audited(ctx: Ctx, key: str, read, action: str) -> dict:
    """One visible client's data, its read audited before it is returned."""
    found = _visible(ctx, key, read)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], action, ctx.endpoint)
    return found


def read_profile(ctx: Ctx, key: str) -> dict:
    return _audited(ctx, key, client_profile, "read_profile")


def read_measurements(ctx: Ctx, key: str, offset: int, limit: int) -> dict:
    """A page of the client's measurements, newest first."""
    visible_client(ctx, key)
    total, items = repo.measurements(ctx.driver, ctx.database, key, offset, limit)
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_measurements", ctx.endpoint)
    return {"total": total, "offset": offset, "limit": limit, "items": items}


def read_profile_and_measurements(ctx: Ctx, key: str, limit: int) -> tuple[dict, list[dict]]:
    """The client page: the profile and the newest measurements, with one access check (from the
    profile's read) and both reads audited, as read_profile and read_measurements, in one write."""
    profile = _visible(ctx, key, client_profile)
    _, measurements = repo.measurements(ctx.driver, ctx.database, key, 0, limit)
    audit.record_reads_of(ctx.driver, ctx.database, ctx.principal, key, ["read_profile", "read_measurements"],
                          ctx.endpoint)
    return profile, measurements


def read_gate(ctx: Ctx, key: str) -> dict:
    return _audited(ctx, key, client_gate, "read_gate")


def erase_on_request(ctx: Ctx, app_state: Any, key: str) -> dict:
    """The right to erasure, by the client's coach or an admin (anyone else: the shared 404)."""
    found = repo.assignments(ctx.driver, ctx.database, [key]).get(key)
    if not may_erase_client(ctx.principal, found):
        raise client_not_found()
    # Committed before the erasure (not left to the edge): the erasure then removes the key from
    # every entry, this one included, and a failed entry stops it.
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "erase", ctx.endpoint, before_an_act=True)
    erased = erase(ctx.driver, ctx.database, key)
    catch_up(app_state)  # gone from this process's rankings before the answer, not at its next check
    return erased
