"""Matching services for the API: read through api/match_repository.py, score with the pure
matcher/scoring.py, shape rows the routes return.

Written against the graph contract (HAS_COMPETENCY evidence, Vacancy/Occupation REQUIRES) until
the matcher's compiled MatchIndex service is wired in; the scores are the same function either way.
Clients whose gate is not_matchable (ABC G6/G7, "not fit for work") get no job suggestions and
never appear on a shortlist; needs_support clients do, flagged.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from neo4j import Driver

from api import match_repository as repo
from matcher.scoring import Evidence, MatchScore, Requirement, Status, score_requirements

DEFAULT_REQUIRED_LEVEL = 0.5  # a requirement without a stated level: "a working command of it"
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
                                1.0 if importance is None or importance <= 0 else float(importance),
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


def ranked(rows: list[tuple[str, MatchScore, dict]]) -> list[tuple[str, MatchScore, dict]]:
    """Best evidence first; among equals the higher upper bound, then the id (stable pages)."""
    return sorted(rows, key=lambda t: (-t[1].score, -t[1].upper, t[0]))


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


# ---------------------------------------------------------------- vacancy -> candidates

def candidates_for_vacancy(driver: Driver, database: str, target: Target,
                           keys: list[str] | None) -> list[dict]:
    """Every matchable client with evidence on at least one requirement, ranked (keys: the scope)."""
    if not target.requirements:
        return []
    rows = repo.evidence_for(driver, database, [r.competency for r in target.requirements], keys, MATCHABLE_GATES)
    profiles: dict[str, dict[str, Evidence]] = {}
    gates: dict[str, str] = {}
    for r in rows:
        profiles.setdefault(r["client"], {})[r["competency"]] = evidence_from_row(r)
        gates[r["client"]] = r["gate"]
    scored = [(key, score_requirements(target.requirements, profile), {}) for key, profile in profiles.items()]
    return [{"rank": i + 1, "client_key": key, "gate": gates[key], **explain(match)}
            for i, (key, match, _) in enumerate(ranked(scored))]


# ---------------------------------------------------------------- client -> vacancies / occupations

def client_evidence(driver: Driver, database: str, key: str) -> dict | None:
    found = repo.client(driver, database, key)
    if found is None:
        return None
    found["profile"] = {e["competency"]: evidence_from_row(e) for e in found["evidence"]}
    return found


def vacancies_for_client(driver: Driver, database: str, client: dict, max_km: float | None) -> list[dict]:
    if client["gate"] == "not_matchable" or not client["profile"]:
        return []
    found = repo.open_vacancies_touching(driver, database, sorted(client["profile"]), client["location"])
    scored = []
    for f in found:
        if max_km is not None and (f["distance_km"] is None or f["distance_km"] > max_km):
            continue
        match = score_requirements(requirements_from_rows(f["requirements"]), client["profile"])
        scored.append((f["vacancy"]["id"], match, {"vacancy": f["vacancy"], "distance_km":
                                                     None if f["distance_km"] is None else round(f["distance_km"], 1)}))
    return [{"rank": i + 1, **extra, **explain(match)} for i, (_, match, extra) in enumerate(ranked(scored))]


def occupations_for_client(driver: Driver, database: str, client: dict) -> list[dict]:
    if client["gate"] == "not_matchable" or not client["profile"]:
        return []
    found = repo.occupations_touching(driver, database, sorted(client["profile"]))
    scored = [(f["occupation"]["uri"], score_requirements(requirements_from_rows(f["requirements"]), client["profile"]),
               {"occupation": f["occupation"], "open_vacancies": f["open_vacancies"]}) for f in found]
    return [{"rank": i + 1, **extra, **explain(match)} for i, (_, match, extra) in enumerate(ranked(scored))]


# ---------------------------------------------------------------- gap and what-if

def gap(driver: Driver, database: str, client: dict, target: Target) -> dict:
    """What stands between the client and the target, the gaps ranked by weight, then by how many
    open vacancies also require the competency (what closing it unlocks)."""
    match = score_requirements(target.requirements, client["profile"])
    rows = detail(match)
    open_gaps = [r for r in rows if r["status"] != Status.MET.value]
    demand = repo.demand(driver, database, [r["competency"] for r in open_gaps])
    weight = {r.competency: r.weight for r in target.requirements}
    for r in open_gaps:
        r["open_vacancies_requiring"] = demand.get(r["competency"], 0)
        # Unknown is not a shortfall: it is listed to be measured, after what is known to be missing.
    open_gaps.sort(key=lambda r: (r["status"] == Status.UNKNOWN.value, -weight[r["competency"]],
                                  -r["open_vacancies_requiring"], r["competency"]))
    return {"target": {"kind": target.kind, "id": target.id, "title": target.title},
            "score": round(match.score, 4), "upper": round(match.upper, 4), "coverage": round(match.coverage, 4),
            "gaps": open_gaps, "requirements": rows}


def apply_changes(profile: dict[str, Evidence], changes: list[tuple[str, float]]) -> dict[str, Evidence]:
    """The profile as it would be if each competency reached the given level (pure)."""
    out = dict(profile)
    for uri, level in changes:
        old = out.get(uri)
        confidence = max(old.confidence if old else 0.0, WHAT_IF_CONFIDENCE)
        out[uri] = Evidence(level=level, confidence=confidence, source="what-if", measured_at=None, inferred=False)
    return out


def what_if(client: dict, target: Target, changes: list[tuple[str, float]]) -> dict:
    before = score_requirements(target.requirements, client["profile"])
    after = score_requirements(target.requirements, apply_changes(client["profile"], changes))
    changed = [{"competency": b.requirement.competency, "label": b.requirement.label, "before": b.status.value,
                "after": a.status.value} for b, a in zip(before.results, after.results) if b.status != a.status]
    return {"target": {"kind": target.kind, "id": target.id, "title": target.title},
            "before": explain(before), "after": explain(after), "changed": changed,
            "note": "Hypothetical: nothing is stored, no measurement changes."}
