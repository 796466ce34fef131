"""Vacancy -> ranked candidates: the repository reads, the pure scoring ranks."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from neo4j import Driver

from matcher import repository
from matcher.scoring import Evidence, MatchScore, Requirement, score_requirements


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Candidate:
    rank: int
    client: str
    match: MatchScore


def requirements_from_rows(rows: list[dict]) -> list[Requirement]:
    return [Requirement(r["competency"], r["label"], r["required_level"], r["importance"], r["essential"])
            for r in rows]


def profiles_from_rows(rows: list[dict]) -> dict[str, dict[str, Evidence]]:
    profiles: dict[str, dict[str, Evidence]] = defaultdict(dict)
    for r in rows:
        measured_at = r["measured_at"].to_native() if hasattr(r["measured_at"], "to_native") else r["measured_at"]
        profiles[r["client"]][r["competency"]] = Evidence(
            level=r["level"], confidence=1.0, source=r["instrument"], measured_at=measured_at)
    return profiles


def rank(scores: dict[str, MatchScore], top: int) -> list[Candidate]:
    """Best evidence first; among equals the higher upper bound, then the key (stable output)."""
    order = sorted(scores.items(), key=lambda kv: (-kv[1].score, -kv[1].upper, kv[0]))
    return [Candidate(i + 1, client, match) for i, (client, match) in enumerate(order[:top])]


def candidates_for_vacancy(driver: Driver, database: str, vacancy_id: str, top: int = 50):
    title, rows = repository.vacancy_requirements(driver, database, vacancy_id)
    if title is None:
        raise NotFound(f"vacancy {vacancy_id!r} not found (or it has no occupation with requirements)")
    requirements = requirements_from_rows(rows)
    profiles = profiles_from_rows(repository.client_evidence(driver, database, [r.competency for r in requirements]))
    scores = {client: score_requirements(requirements, profile) for client, profile in profiles.items()}
    return title, rank(scores, top)
