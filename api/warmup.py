"""Neo4j's query plans made at start, not in a coach's first requests.

Neo4j plans a Cypher statement the first time it sees it, and after a restart that took ~1.3 s for
one read of a client (the same read 0.03 s once planned). Every kind of read a page or ranking
sends waited for it once, so the first request after a restart took 1.23 s and the first ranking
0.86 s; with this warm-up 0.43-0.50 s and 0.38-0.40 s (docs/bench-api.md, session 23). At start, beside the index warm-up, the service sends each hot
read once with a key that matches nothing: nothing is read, nothing is audited, and the plans
are there when the first coach arrives. The audit write is sent with no rows: nothing is written.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from neo4j import Driver

from api import audit, client_repository, decision_repository, match_repository
from matcher import repository

log = logging.getLogger("atlas.warmup")

NOBODY = ""  # no client, vacancy, occupation or subject has an empty key


def hot_reads(driver: Driver, database: str) -> list[Callable[[], object]]:
    """The reads of a caseload, a client, a ranking, a gap and a shortlist, each with a key that
    matches nothing."""
    d, db, none = driver, database, [NOBODY]
    calls: list[Callable[[], object]] = [
        lambda: match_repository.client(d, db, NOBODY),
        lambda: match_repository.vacancy(d, db, NOBODY),
        lambda: match_repository.occupation(d, db, NOBODY),
        lambda: match_repository.occupation(d, db, NOBODY, requirements=True),
        lambda: match_repository.candidates_with_decisions(d, db, none, NOBODY),
        lambda: client_repository.client_profile(d, db, NOBODY),
        lambda: client_repository.last_measured(d, db, none),
        lambda: repository.client_details(d, db, none),
        lambda: repository.client_details(d, db, none, provenance=False),
        lambda: repository.vacancy_facts(d, db, none),
        lambda: repository.occupation_facts(d, db, none),
        lambda: repository.competency_labels(d, db, none),
        lambda: decision_repository.decisions_for_many(d, db, none, None),
        lambda: audit.record_nothing(d, db),
    ]
    for role in client_repository.ROLES_WITH_CASELOADS:
        calls.append(lambda role=role: client_repository.scope_keys(d, db, role, NOBODY))
        calls.append(lambda role=role: client_repository.client_rows(d, db, role, NOBODY, none))
    return calls


def plan_hot_reads(driver: Driver, database: str) -> int:
    """Sends each hot read once; returns how many were answered. A failure (Neo4j going away, a
    shutdown closing the driver) only means that plan is made by the first request instead."""
    answered = 0
    for call in hot_reads(driver, database):
        try:
            call()
            answered += 1
        except Exception as exc:  # noqa: BLE001 - a warm-up never stops the service
            log.debug("warm-up read failed: %s", exc)
    return answered
