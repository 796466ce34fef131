"""Management information: aggregates with a minimum group size, so no individual can be singled out.

Small-cell suppression: a count below the minimum group size is reported as null with
`suppressed: true`. No totals or margins are published next to a suppressed table (a total minus
the visible cells would give the hidden cell back).
"""
from __future__ import annotations

from neo4j import Driver

from api import match_repository, mi_repository as repo
from api.services.matching import MATCHABLE_GATES
from matcher.scoring import DEFAULT_REQUIRED_LEVEL, partly_margin, prior_of
from matcher.service import MatchService


def suppress(count: int, min_group: int) -> int | None:
    return count if count >= min_group else None


def client_base(driver: Driver, database: str, min_group: int) -> dict:
    cells = []
    for r in repo.client_base(driver, database):
        shown = suppress(r["clients"], min_group)
        cells.append({"gate": r["gate"], "profile": r["profile"], "region": r["region"], "clients": shown,
                      "suppressed": shown is None})
    return {"min_group": min_group, "cells": [c for c in cells if not c["suppressed"]],
            "suppressed_cells": sum(c["suppressed"] for c in cells)}


def missing_competencies(driver: Driver, database: str, min_group: int, *, region: str | None,
                         occupation: str | None) -> dict | None:
    """The competencies most often missing among matchable clients (of a region), against the open
    vacancies of that region or an occupation's profile: what training to buy. None: unknown occupation."""
    if occupation is not None:
        requirements = repo.occupation_requirements(driver, database, occupation, DEFAULT_REQUIRED_LEVEL)
        if not requirements and match_repository.occupation(driver, database, occupation) is None:
            return None
    else:
        requirements = repo.region_requirements(driver, database, region, DEFAULT_REQUIRED_LEVEL)
    group = repo.group_size(driver, database, MATCHABLE_GATES, region)
    base = {"region": region, "occupation": occupation, "min_group": min_group, "clients": suppress(group, min_group)}
    if group < min_group:
        return {**base, "suppressed": True, "competencies": []}
    counts = repo.shortfalls(driver, database, {r["uri"]: missing_below(r) for r in requirements}, MATCHABLE_GATES,
                             region)
    rows = []
    for req in requirements:
        c = counts.get(req["uri"], {"with_evidence": 0, "missing": 0})
        missing = suppress(c["missing"], min_group)
        if missing is None:
            continue
        rows.append({"uri": req["uri"], "label": req["label"], "vacancies": req["vacancies"],
                     "clients_missing": missing, "clients_unknown": suppress(group - c["with_evidence"], min_group)})
    rows.sort(key=lambda r: (-r["clients_missing"], -r["vacancies"], r["uri"]))
    return {**base, "suppressed": False, "competencies": rows}


def missing_below(requirement: dict) -> float:
    """The level below which a requirement is "missing" (matcher/scoring.status_of's rule)."""
    return float(requirement["required_level"]) - partly_margin(prior_of(requirement["uri"]))


def exclusions_for_vacancy(service: MatchService, driver: Driver, database: str, vacancy_id: str,
                           min_group: int, hidden: frozenset[str] = frozenset()) -> dict | None:
    """Per essential requirement: how many clients fall short on THAT requirement only — otherwise
    suitable candidates it excludes. A client is otherwise suitable when every other essential
    requirement is met or partly met (unknown counts as not disqualifying). Counted on the match
    index's columns (MatchIndex.sole_shortfalls), bounded by the vacancy's requirements, not by
    the number of clients' profiles read one by one. `hidden` competencies are left out (what
    only a sensitive scale reaches, for employer desks)."""
    found = match_repository.vacancy(driver, database, vacancy_id)
    if found is None:
        return None
    labels = {r["competency"]: r.get("label") or r["competency"] for r in found["requirements"]}
    sole, with_evidence = service.index.sole_shortfalls(service.index.vacancies, vacancy_id) \
        if service.ensure("vacancy", vacancy_id) else ({}, 0)
    cells = [{"uri": uri, "label": labels.get(uri, uri), "excluded": suppress(n, min_group),
              "suppressed": n < min_group} for uri, n in sorted(sole.items(), key=lambda kv: (-kv[1], kv[0]))
             if uri not in hidden]
    return {"vacancy_id": vacancy_id, "min_group": min_group,
            "candidates_with_evidence": suppress(with_evidence, min_group), "requirements": cells}
