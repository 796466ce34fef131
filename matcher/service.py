"""The matcher as the CLI and the API use it: rank on the index, explain from the same numbers.

Every output carries, per requirement, met / partly met / missing / unknown with its evidence
(instrument measurement and date, or inferred from work history), and the parts add up to the
score. Gated clients never appear as candidates; "needs support" is shown, not hidden.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from neo4j import Driver

from matcher import repository
from matcher.explain import GOOD_MATCH, Explained, GapItem, explain, gap_items, raise_level, with_unlocks
from matcher.freshness import current_generation
from matcher.index import MatchIndex, Targets, distance_km
from matcher.index_repository import load_index
from matcher.scoring import SHORTFALL_PENALTY, Constraints, DistancePolicy, shortfall


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Match:
    """One ranked pair, explained. `subject` is a client key, a vacancy id or an occupation URI."""
    rank: int
    subject: str
    explained: Explained
    hours_short: bool = False
    education_short: bool = False
    facts: dict = field(default_factory=dict)  # gate, title, place, ... for display
    evidence: dict = field(default_factory=dict)  # competency uri -> provenance

    @property
    def penalty(self) -> float:
        """What distance, hours and education take off the competency score."""
        return self.explained.distance_penalty + SHORTFALL_PENALTY * (self.hours_short + self.education_short)

    @property
    def score(self) -> float:
        return max(0.0, self.explained.match.score - self.penalty)

    @property
    def upper(self) -> float:
        return max(0.0, self.explained.match.upper - self.penalty)


@dataclass(frozen=True)
class WhatIf:
    client: str
    competency: str
    level: float
    vacancy: str
    score_before: float
    score_after: float
    rank_before: int | None  # None: the client is not matchable
    rank_after: int | None
    vacancies_before: int
    vacancies_after: int
    radius_km: float

    @property
    def opens(self) -> int:
        return self.vacancies_after - self.vacancies_before


class MatchService:
    def __init__(self, driver: Driver, database: str, index: MatchIndex | None = None,
                 traits: dict[str, str] | None = None):
        self.driver = driver
        self.database = database
        self._index = index
        self._generation: int | None = None
        self.traits = traits or {}

    @property
    def index(self) -> MatchIndex:
        if self._index is None:
            self.refresh()
        return self._index

    def refresh(self) -> None:
        """Rebuilds the index from the graph (on start, and when the graph's generation moved)."""
        generation = current_generation(self.driver, self.database)
        self._index = load_index(self.driver, self.database)
        self._generation = generation

    def refresh_if_stale(self) -> bool:
        if self._index is not None and current_generation(self.driver, self.database) == self._generation:
            return False
        self.refresh()
        return True

    # ---- vacancy -> candidates ----------------------------------------------------------------
    def candidates(self, vacancy: str, top: int = 50, constraints: Constraints = Constraints(),
                   lang: str = "en", scope: list[str] | None = None) -> list[Match]:
        return self.candidates_page(vacancy, top, constraints, lang, scope)[0]

    def candidates_page(self, vacancy: str, top: int = 50, constraints: Constraints = Constraints(),
                        lang: str = "en", scope: list[str] | None = None) -> tuple[list[Match], int]:
        """The top candidates and how many were eligible in all (for pagination)."""
        idx = self._require(self.index.vacancies, vacancy, "vacancy")
        ranked = self.index.candidates(vacancy, top, constraints, scope)
        facts = repository.client_facts(self.driver, self.database, ranked.keys)
        requirements = self._requirements(self.index.vacancies, vacancy, lang)
        evidence = repository.evidence_details(self.driver, self.database, ranked.keys,
                                               [r.competency for r in requirements])
        out = []
        for rank, key in enumerate(ranked.keys, start=1):
            row = self.index.clients.row[key]
            km = distance_km(self.index.clients.xyz[row], self.index.vacancies.xyz[idx])
            out.append(Match(
                rank, key, explain(requirements, self.index.profile_of(key), km, constraints.distance),
                hours_short=shortfall(_val(self.index.clients.hours[row]), _val(self.index.vacancies.hours[idx])),
                education_short=shortfall(_val(self.index.clients.education[row]),
                                          _val(self.index.vacancies.education[idx])),
                facts=facts.get(key, {}),
                evidence={uri: e for (c, uri), e in evidence.items() if c == key}))
        return out, ranked.total

    # ---- client -> vacancies / occupations ---------------------------------------------------
    def vacancies(self, client: str, top: int = 50, radius_km: float = 25.0, filter_distance: bool = True,
                  lang: str = "en") -> list[Match]:
        return self.vacancies_page(client, top, radius_km, filter_distance, lang)[0]

    def vacancies_page(self, client: str, top: int = 50, radius_km: float = 25.0, filter_distance: bool = True,
                       lang: str = "en") -> tuple[list[Match], int]:
        row = self._require(self.index.clients, client, "client")
        if self.index.clients.excluded[row]:
            return [], 0  # not matchable (ABC G6/G7, not fit for work): no job suggestions
        constraints = Constraints(DistancePolicy(radius_km=radius_km, hard=filter_distance))
        ranked = self.index.vacancies_for(client, top, constraints)
        facts = repository.vacancy_facts(self.driver, self.database, ranked.keys)
        profile = self.index.profile_of(client)
        out = []
        for rank, vid in enumerate(ranked.keys, start=1):
            v = self.index.vacancies.row[vid]
            km = distance_km(self.index.clients.xyz[row], self.index.vacancies.xyz[v])
            out.append(Match(
                rank, vid, explain(self._requirements(self.index.vacancies, vid, lang), profile, km,
                                   constraints.distance),
                hours_short=shortfall(_val(self.index.clients.hours[row]), _val(self.index.vacancies.hours[v])),
                education_short=shortfall(_val(self.index.clients.education[row]),
                                          _val(self.index.vacancies.education[v])),
                facts=facts.get(vid, {})))
        return out, ranked.total

    def occupations(self, client: str, top: int = 20, lang: str = "en") -> list[Match]:
        """Best occupations by profile, marked when they lie in another sector than the work
        history, plus the SIMILAR_TO neighbours of the occupations the client worked in."""
        if self.index.clients.excluded[self._require(self.index.clients, client, "client")]:
            return []
        history = repository.work_history(self.driver, self.database, client)
        own_sectors = {h["isco"][:1] for h in history if h["isco"]}
        similar_from = {s["uri"]: h["occupation"] for h in history for s in h["similar"] if s["uri"]}
        ranked = self.index.occupations_for(client, top)
        keys = list(dict.fromkeys([*ranked.keys, *[u for u in similar_from if u in self.index.occupations.row]]))
        facts = repository.occupation_facts(self.driver, self.database, keys, lang)
        profile = self.index.profile_of(client)
        scored = [(explain(self._requirements(self.index.occupations, uri, lang), profile), uri) for uri in keys]
        scored.sort(key=lambda p: (-p[0].score, p[1]))
        out = []
        for rank, (explained, uri) in enumerate(scored, start=1):
            f = dict(facts.get(uri, {}))
            isco = f.get("isco") or ""
            f["other_sector"] = bool(own_sectors) and isco[:1] not in own_sectors
            f["similar_to"] = similar_from.get(uri)
            out.append(Match(rank, uri, explained, facts=f))
        return out

    # ---- gap and what-if ----------------------------------------------------------------------
    def gap(self, client: str, target_kind: str, target: str, radius_km: float = 25.0,
            lang: str = "en") -> list[GapItem]:
        """Competencies to develop for a vacancy or occupation: essential first, then by score gain,
        each with how many open vacancies within the radius it would bring within reach."""
        row = self._require(self.index.clients, client, "client")
        targets = self.index.vacancies if target_kind == "vacancy" else self.index.occupations
        self._require(targets, target, target_kind)
        requirements = self._requirements(targets, target, lang)
        profile = self.index.profile_of(client)
        items = gap_items(requirements, profile, self.traits)
        within = self._open_within(row, radius_km)
        before = int((self.index.target_scores(self.index.vacancies, row)[within] >= GOOD_MATCH).sum())
        unlocks = {}
        for g in items:
            col = self.index.column[g.requirement.competency]
            after = self.index.target_scores(self.index.vacancies, row, {col: g.requirement.required_level})
            unlocks[g.requirement.competency] = int((after[within] >= GOOD_MATCH).sum()) - before
        return with_unlocks(items, unlocks)

    def what_if(self, client: str, competency: str, level: float, vacancy: str, radius_km: float = 25.0) -> WhatIf:
        row = self._require(self.index.clients, client, "client")
        v = self._require(self.index.vacancies, vacancy, "vacancy")
        if competency not in self.index.column:
            raise NotFound(f"competency {competency!r} is not in the atlas")
        requirements = self.index.requirements_of(self.index.vacancies, vacancy)
        profile = self.index.profile_of(client)
        before = explain(requirements, profile).match.score
        after = explain(requirements, raise_level(profile, competency, level)).match.score
        others = self.index.client_scores(self.index.vacancies, v)
        others[self.index.clients.excluded] = -np.inf
        others[row] = -np.inf
        excluded = bool(self.index.clients.excluded[row])
        within = self._open_within(row, radius_km)
        col = self.index.column[competency]
        count = lambda scores: int((scores[within] >= GOOD_MATCH).sum())  # noqa: E731
        return WhatIf(
            client, competency, level, vacancy, before, after,
            None if excluded else int((others > before).sum()) + 1,
            None if excluded else int((others > after).sum()) + 1,
            count(self.index.target_scores(self.index.vacancies, row)),
            count(self.index.target_scores(self.index.vacancies, row, {col: level})), radius_km)

    # ---- helpers ------------------------------------------------------------------------------
    def _open_within(self, client_row: int, radius_km: float) -> np.ndarray:
        t = self.index.vacancies
        centre = self.index.clients.xyz[client_row]
        if np.isnan(centre).any():
            return t.is_open.copy()
        km = 6371.0 * np.sqrt(((t.xyz - centre) ** 2).sum(axis=1))
        return t.is_open & ~(km > radius_km)  # unknown vacancy positions count as near

    def _requirements(self, targets: Targets, key: str, lang: str):
        uris = [self.index.competencies[c] for c in targets.competency[targets.span(targets.row[key])]]
        labels = repository.competency_labels(self.driver, self.database, uris, lang)
        return self.index.requirements_of(targets, key, labels)

    @staticmethod
    def _require(side, key: str, what: str) -> int:
        try:
            return side.row[key]
        except KeyError:
            raise NotFound(f"{what} {key!r} not found") from None


def _val(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
