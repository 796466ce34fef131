"""What the report pages read and write, over api/services/report.py: the access check first (a
client that is not yours is not found), every read of the report audited like the other client
reads, and saving and acknowledging audited as writes."""
from __future__ import annotations

from functools import lru_cache

from api import audit
from api.access import sees_sensitive_on_pages
from api.deps import Ctx, visible_client
from api.pages.adapters import instrument_names
from api.pages.i18n import REASONS, reason_label
from api.pages.views import OBSERVATION_INSTRUMENTS
from api.problems import client_not_found
from api.report import for_other_reader, options
from api.services import report as service


@lru_cache(maxsize=2)
def words_for(lang: str) -> dict:
    return {"instruments": instrument_names(lang), "reasons": {c: reason_label(c, lang) for c in REASONS},
            "observation": OBSERVATION_INSTRUMENTS}


def read_report(ctx: Ctx, app_state, key: str) -> dict:
    """The current report; its read audited while it is built (api/audit.recording_reads)."""
    visible_client(ctx, key)
    with audit.recording_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_report", ctx.endpoint):
        now = service.current(ctx.driver, ctx.database, app_state, key, words_for)
    if now is None:
        raise client_not_found()
    return _as_read_by(ctx, now)


def read_version(ctx: Ctx, key: str, digest: str) -> dict:
    """A stored (earlier) version: read like the report, audited like it."""
    visible_client(ctx, key)
    found = service.stored(ctx.driver, ctx.database, key, digest)
    if found is None:
        raise client_not_found()
    audit.record_reads(ctx.driver, ctx.database, ctx.principal, [key], "read_report", ctx.endpoint)
    return _as_read_by(ctx, found)


def _as_read_by(ctx: Ctx, found: dict) -> dict:
    """The psychological blocks a coach included are the coach's only: another reader gets the
    report without them, and a line saying so (its hash still names the whole version)."""
    return found if sees_sensitive_on_pages(ctx.principal) else {**found, "content": for_other_reader(found["content"])}


def save_report(ctx: Ctx, app_state, key: str, agreements: str, include_sensitive: bool, lang: str) -> str:
    visible_client(ctx, key)
    digest = service.save(ctx.driver, ctx.database, app_state, key, options(agreements, include_sensitive, lang),
                          ctx.principal.subject, words_for, _entry(ctx, key, "save_report"))
    if digest is None:
        raise client_not_found()
    return digest


def acknowledge(ctx: Ctx, app_state, key: str, role: str, seen_hash: str) -> str:
    """ok | changed (the report on the screen is no longer the current one: nothing stored)."""
    visible_client(ctx, key)
    result = service.acknowledge(ctx.driver, ctx.database, app_state, key, role, seen_hash, ctx.principal.subject,
                                 words_for, _entry(ctx, key, f"acknowledge_report_{role}"))
    if result == "not_found":
        raise client_not_found()
    return result


def _entry(ctx: Ctx, key: str, action: str):
    """The audit entry of a report act, written in the act's own transaction."""
    return lambda tx: audit.act_recorded(tx, ctx.principal, action, ctx.endpoint, client_key=key)
