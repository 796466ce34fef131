"""Matching for the API: ranking through the compiled MatchService (matcher/service.py), shaped
into the rows the routes return. Targets and client facts are read through api/match_repository.py.
Clients whose gate is not_matchable (ABC G6/G7, "not fit for work") get no job suggestions and
never appear on a shortlist; needs_support clients do, flagged.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from neo4j import Driver

from api import match_repository as repo
from matcher.presenters import gap_as_dict, score_parts
from matcher.scoring import (DEFAULT_IMPORTANCE, DEFAULT_REQUIRED_LEVEL, Evidence, MatchScore, Requirement, Status,
                             score_requirements)
from matcher.service import Match, MatchService
from matcher.traits import competency_traits

MATCHABLE_GATES = ["matchable", "needs_support"]
WHAT_IF_CONFIDENCE = 0.7  # a hypothetical new test score counts like one fresh measured score


@dataclass(frozen=True)
class Target:
    kind: str  # vacancy | occupation
    id: str
    title: str | None
    requirements: list[Requirement]


def requirements_from_rows(rows: list[dict]) -> list[Requirement]:
    reqs = []
    for r in sorted(rows, key=lambda r: r["competency"]):
        level = r.get("required_level")
        importance = r.get("importance")
        reqs.append(Requirement(r["competency"], r.get("label") or r["competency"],
                                DEFAULT_REQUIRED_LEVEL if level is None else min(max(float(level), 0.0), 1.0),
                                DEFAULT_IMPORTANCE if importance is None or importance <= 0 else float(importance),
                                bool(r.get("essential"))))
    return reqs


def _date(value) -> date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def evidence_from_row(r: dict) -> Evidence:
    sources = r.get("sources") or []
    return Evidence(level=float(r["level"]), confidence=float(r.get("confidence") or 0.0),
                    source=", ".join(sources) if isinstance(sources, list) else str(sources),
                    measured_at=_date(r.get("as_of")), inferred=bool(r.get("inferred")))


def explain(match: MatchScore) -> dict:
    """Score, range, coverage and the competencies per status (labels), for cards and lists."""
    def names(status: Status) -> list[dict]:
        return [{"uri": r.requirement.competency, "label": r.requirement.label,
                 "essential": r.requirement.essential} for r in match.by_status(status)]
    return {"score": round(match.score, 4), "upper": round(match.upper, 4), "coverage": round(match.coverage, 4),
            "met": names(Status.MET), "partly_met": names(Status.PARTLY_MET), "missing": names(Status.MISSING),
            "unknown": names(Status.UNKNOWN)}


def detail(match: MatchScore) -> list[dict]:
    """Per requirement: what was asked, what the evidence shows, the status and the contribution."""
    out = []
    for r in match.results:
        e = r.evidence
        out.append({"competency": r.requirement.competency, "label": r.requirement.label,
                    "required_level": r.requirement.required_level, "importance": r.requirement.importance,
                    "essential": r.requirement.essential, "status": r.status.value,
                    "level": None if e is None else round(e.level, 4),
                    "confidence": None if e is None else round(e.confidence, 4),
                    "source": None if e is None else e.source,
                    "as_of": None if e is None or e.measured_at is None else e.measured_at.isoformat(),
                    "inferred": None if e is None else e.inferred,
                    "contribution": round(r.contribution, 6)})
    return out


# ---------------------------------------------------------------- targets

def vacancy_target(driver: Driver, database: str, vacancy_id: str) -> tuple[Target, dict] | None:
    found = repo.vacancy(driver, database, vacancy_id)
    if found is None:
        return None
    v = found["vacancy"]
    return Target("vacancy", vacancy_id, v.get("title"), requirements_from_rows(found["requirements"])), v


def occupation_target(driver: Driver, database: str, uri: str) -> Target | None:
    found = repo.occupation(driver, database, uri)
    if found is None:
        return None
    o = found["occupation"]
    return Target("occupation", uri, o.get("label_en") or o.get("label_nl"),
                  requirements_from_rows(found["requirements"]))


# ---------------------------------------------------------------- the compiled matcher

def matcher(app_state, driver: Driver, database: str) -> MatchService:
    """The process's MatchService, rebuilt when the graph's generation moved since it was built."""
    service = getattr(app_state, "matcher", None)
    if service is None or service.driver is not driver:
        service = MatchService(driver, database, traits=competency_traits())
        app_state.matcher = service
    service.refresh_if_stale()
    return service


def _explained(m: Match) -> dict:
    """A ranked row: the score after distance, hours and education, and what each took off."""
    return {**explain(m.explained.match), **score_parts(m), "upper": round(m.upper, 4)}


# ---------------------------------------------------------------- vacancy -> candidates

def candidates_for_vacancy(service: MatchService, target: Target, keys: list[str] | None,
                           offset: int, limit: int) -> tuple[list[dict], int]:
    """A page of matchable clients ranked for the vacancy (keys: the caller's scope), and the total."""
    if target.id not in service.index.vacancies.row:
        return [], 0
    matches, total = service.candidates_page(target.id, offset + limit, scope=keys)
    return [{"rank": m.rank, "client_key": m.subject, "gate": m.facts.get("gate", "matchable"), **_explained(m)}
            for m in matches[offset:offset + limit]], total


# ---------------------------------------------------------------- client -> vacancies / occupations

def client_evidence(driver: Driver, database: str, key: str) -> dict | None:
    found = repo.client(driver, database, key)
    if found is None:
        return None
    found["profile"] = {e["competency"]: evidence_from_row(e) for e in found["evidence"]}
    return found


def vacancies_for_client(service: MatchService, client: dict, max_km: float | None,
                         offset: int, limit: int) -> tuple[list[dict], int]:
    """Open vacancies ranked for the client; with max_km only those within it, otherwise distance
    beyond 25 km lowers the score."""
    key = client["key"]
    if client["gate"] == "not_matchable" or key not in service.index.clients.row:
        return [], 0
    radius, hard = (max_km, True) if max_km is not None else (25.0, False)
    matches, total = service.vacancies_page(key, offset + limit, radius, hard)
    return [{"rank": m.rank, "vacancy": {"id": m.subject, **{k: v for k, v in m.facts.items()
                                                             if k in ("title", "employer", "municipality", "status")}},
             **_explained(m)} for m in matches[offset:offset + limit]], total


def occupations_for_client(service: MatchService, client: dict, offset: int, limit: int) -> tuple[list[dict], int]:
    key = client["key"]
    if client["gate"] == "not_matchable" or key not in service.index.clients.row:
        return [], 0
    matches = service.occupations(key, offset + limit)
    return [{"rank": m.rank, "occupation": {"uri": m.subject, **m.facts}, **_explained(m)}
            for m in matches[offset:offset + limit]], len(service.index.occupations.keys)


# ---------------------------------------------------------------- gap and what-if

def gap(service: MatchService, client: dict, target: Target) -> dict:
    """What stands between the client and the target: essential first, then by how much each
    raises the score, with how many open vacancies within 25 km it would bring within reach."""
    kind = "vacancy" if target.kind == "vacancy" else "occupation"
    items = service.gap(client["key"], kind, target.id)
    match = explain_profile(service, client["key"], indexed_requirements(service, target))
    return {"target": {"kind": target.kind, "id": target.id, "title": target.title},
            "score": round(match.score, 4), "upper": round(match.upper, 4), "coverage": round(match.coverage, 4),
            "gaps": [gap_as_dict(g) for g in items], "requirements": detail(match)}


def indexed_requirements(service: MatchService, target: Target) -> list[Requirement]:
    """The target's requirements as the rankings weigh them (the index), labelled as stored; the
    stored ones when the index does not have the target yet."""
    targets = service.index.vacancies if target.kind == "vacancy" else service.index.occupations
    if target.id not in targets.row:
        return target.requirements
    return service.index.requirements_of(targets, target.id, {r.competency: r.label for r in target.requirements})


def explain_profile(service: MatchService, key: str, requirements: list[Requirement]) -> MatchScore:
    return score_requirements(requirements, service.index.profile_of(key))


def apply_changes(profile: dict[str, Evidence], changes: list[tuple[str, float]]) -> dict[str, Evidence]:
    """The profile as it would be if each competency reached the given level (pure)."""
    out = dict(profile)
    for uri, level in changes:
        old = out.get(uri)
        confidence = max(old.confidence if old else 0.0, WHAT_IF_CONFIDENCE)
        out[uri] = Evidence(level=level, confidence=confidence, source="what-if", measured_at=None, inferred=False)
    return out


def what_if(service: MatchService, client: dict, target: Target, changes: list[tuple[str, float]]) -> dict:
    """Before and after from the numbers the rankings use (the index), so "before" is the ranked score."""
    requirements = indexed_requirements(service, target)
    profile = service.index.profile_of(client["key"]) if client["key"] in service.index.clients.row else client["profile"]
    before = score_requirements(requirements, profile)
    after = score_requirements(requirements, apply_changes(profile, changes))
    changed = [{"competency": b.requirement.competency, "label": b.requirement.label, "before": b.status.value,
                "after": a.status.value} for b, a in zip(before.results, after.results) if b.status != a.status]
    return {"target": {"kind": target.kind, "id": target.id, "title": target.title},
            "before": explain(before), "after": explain(after), "changed": changed,
            "note": "Hypothetical: nothing is stored, no measurement changes."}
