"""The matcher as the CLI and the API use it: rank on the index, explain from the same numbers.

Every output carries, per requirement, met / partly met / missing / unknown with its evidence
(instrument measurement and date, or inferred from work history), and the parts add up to the
expected fit. Gated clients never appear as candidates; "needs support" is shown, not hidden.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError

from competency_atlas.lookup_repository import concept_names
from competency_atlas.not_advised import not_advised_occupations
from matcher import repository
from matcher.explain import (GOOD_MATCH, Explained, GapItem, gap_items, hypothetical, with_ranks,
                             with_unlocks)
from matcher import index_store
from matcher.freshness import changes_since, graph_state, key_hash, patchable, written_here
from matcher.index import MatchIndex, Ranked, Scope, Targets, distance_km
from matcher.index_repository import client_patches, load_index
from matcher.lru import LruMap
from matcher.preferences import preference
from matcher.rows import Names, RowScore, RowTarget, score_rows
from matcher.scoring import (Circumstances, Constraints, DistancePolicy, Evidence, MatchScore, Requirements,
                             distance_penalty, score_requirements, shortfall)


log = logging.getLogger("atlas.matcher")
# Labelled requirement lists kept for gaps, what-ifs and the CLI (~38 KiB a list); ranked rows keep
# what they need of a target apart, much smaller (6.6 KiB: matcher/rows.RowTarget)
REQUIREMENT_LISTS_KEPT = 512
ROW_TARGETS_KEPT = 2048
FACTS_KEPT = 8192  # occupations' display facts kept, per language (vacancies': in the index)


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
    preference: str | None = None  # "wished": the client's instruments list this occupation (never in the fit)

    @property
    def penalty(self) -> float:
        """What distance, hours and education take off the competency score."""
        return Circumstances(None, self.explained.distance_penalty, self.hours_short, self.education_short).penalty

    @property
    def fit(self) -> float:
        """The rank key: expected fit less what distance, hours and education take off."""
        return max(0.0, self.explained.match.fit - self.penalty)

    @property
    def fit_low(self) -> float:
        return max(0.0, self.explained.match.fit_low - self.penalty)

    @property
    def fit_high(self) -> float:
        return max(0.0, self.explained.match.fit_high - self.penalty)


@dataclass(frozen=True)
class WhatIf:
    """A client's fit for a target before and after some competencies reach given levels."""
    client: str
    target_kind: str  # vacancy | occupation
    target: str
    changes: tuple[tuple[str, float], ...]
    before: MatchScore
    after: MatchScore
    rank_before: int | None  # among matchable clients for the target; None: the client is not matchable
    rank_after: int | None
    vacancies_before: int  # open vacancies within the radius at GOOD_MATCH or better
    vacancies_after: int
    radius_km: float  # the client's own travel radius unless the caller named one
    circumstances: Circumstances = Circumstances()  # a vacancy's distance, hours, education: before and after alike

    @property
    def opens(self) -> int:
        return self.vacancies_after - self.vacancies_before


class ServiceStopping(RuntimeError):
    """A build asked for after shutdown began (the driver is closing)."""


class MatchService:
    def __init__(self, driver: Driver, database: str, index: MatchIndex | None = None,
                 traits: dict[str, str] | None = None, cache_dir: Path | None = None, check_every_s: float = 0.0,
                 not_advised: Iterable[str] | None = None):
        self.driver = driver
        self.database = database
        self.cache_dir = cache_dir  # compiled indexes on disk (matcher/index_store.py); None: none
        self._index = index
        self._generation: int | None = None
        self._graph_id: str | None = None  # the identity of the graph the index reflects (freshness.py)
        # Other processes' writes are looked for at most this often (0: on every call); this
        # process's own writes are seen at once (freshness.written_here).
        self.check_every_s = check_every_s
        self._checked_at = float("-inf")
        self.traits = traits or {}
        # occupations never advised (competency_atlas/not_advised.yaml), whatever the fit
        self.not_advised = frozenset(not_advised_occupations() if not_advised is None else not_advised)
        self._not_advised_mask: tuple[Targets, np.ndarray] | None = None
        self._build_lock = threading.Lock()  # single flight: one rebuild at a time
        self._stopping = False  # set at shutdown: no rebuild starts in the background any more
        self._patch_lock = threading.Lock()  # one patcher at a time; readers never wait for it
        self.counters = {"rebuilds": 0, "loads": 0, "patches": 0, "patched_clients": 0}
        self._labels: dict[str, dict[str, tuple[str, str]]] = {}  # lang -> uri -> (label, language)
        self._kinds: dict[str, str | None] = {}  # uri -> atlas kind, as read so far; emptied by a rebuild
        # (targets, key, lang) -> labelled requirements: they change only with a rebuild
        self._requirement_lists: LruMap[tuple[Targets, Requirements]] = LruMap(REQUIREMENT_LISTS_KEPT)
        # (targets, key, lang) -> what ranked rows need of a target's requirements (matcher/rows.py)
        self._row_targets: LruMap[tuple[Targets, RowTarget]] = LruMap(ROW_TARGETS_KEPT)
        self._names: dict[str, Names] = {}  # lang -> the index's competencies named; emptied by a rebuild
        self._facts_kept: LruMap[dict] = LruMap(FACTS_KEPT)  # (uri, lang) -> facts; emptied by a rebuild

    @property
    def index(self) -> MatchIndex:
        if self._index is None:
            with self._build_lock:
                if self._index is None:
                    self._rebuild()
        return self._index

    def status(self) -> dict:
        """For /readyz and /metrics: whether an index is loaded, its generation, and the counters."""
        return {"built": self._index is not None, "generation": self._generation, **self.counters}

    def refresh(self) -> None:
        """Rebuild now, on explicit request (waits for a rebuild already running, then builds)."""
        with self._build_lock:
            self._rebuild()

    def refresh_if_stale(self, wait: bool = False, now: bool = False) -> str:
        """Bring the index to the graph's generation: 'fresh'; 'patched' when only clients changed
        (their rows re-read, well under a second); else 'rebuilding': a rebuild runs in the
        background (one at a time) while this index keeps answering, and `wait` waits for it.
        `now`: read the generation even if it was read less than `check_every_s` ago."""
        if self._index is None:
            _ = self.index
            return "built"
        if not (now or self._check_due()):
            return "fresh"
        self._checked_at = time.monotonic()
        graph_id, target = graph_state(self.driver, self.database)
        if self._graph_id is None:
            self._graph_id = graph_id  # the graph's first bump gave it its identity
        if graph_id == self._graph_id and target == self._generation:
            return "fresh"
        replaced = graph_id != self._graph_id or target < (self._generation or 0)  # wiped or restored
        patched = None if replaced else self._patch(target)
        if patched:
            return patched
        self._rebuild_in_background()
        if wait:
            with self._build_lock:
                pass
        return "rebuilding"

    def _check_due(self) -> bool:
        behind_own_write = self._generation is None or written_here(self._graph_id) > self._generation
        return behind_own_write or time.monotonic() - self._checked_at >= self.check_every_s

    def _patch(self, target: int) -> str | None:
        """'patched', 'fresh' (another request got there first), or None: the log says rebuild."""
        with self._patch_lock:
            if self._generation is not None and self._generation >= target:
                return "fresh"
            found = patchable(changes_since(self.driver, self.database, self._generation or 0),
                              self._generation or 0, target)
            if found is None:
                return None
            keys, erased = found
            index = self._index
            patches, gone = client_patches(self.driver, self.database, index, sorted(keys))
            if not all(index.clients.patch(p) for p in patches):
                return None  # no spare rows left for new clients: rebuild
            if erased:
                gone += [k for k in index.clients.row if key_hash(k) in erased]
            for key in gone:
                index.clients.remove(key)
            self._generation = target
            self.counters["patches"] += 1
            self.counters["patched_clients"] += len(keys)
            return "patched"

    def _rebuild(self) -> None:
        """Caller holds _build_lock. The generation is read first: changes during the build are
        replayed from the change log afterwards."""
        if self._stopping:  # checked under the lock: `stop` has waited for builds, the driver may be closed
            raise ServiceStopping("the match service is shutting down")
        graph_id, generation = graph_state(self.driver, self.database)
        name = index_store.folder_name(graph_id, generation, date.today()) if graph_id and self.cache_dir else None
        if name:
            with index_store.building(self.cache_dir, name):  # one process builds, the others map its files
                index = index_store.load(self.cache_dir, name)
                if index is None:
                    index_store.save(self._build_from_graph(), self.cache_dir, name)
                    index = index_store.load(self.cache_dir, name)  # mapped: shared with other workers
                else:
                    self.counters["loads"] += 1
        else:
            index = self._build_from_graph()
        index.warm()
        with self._patch_lock:
            self._index, self._generation, self._graph_id = index, generation, graph_id
            self._labels = self._preloaded_labels(index)  # a rebuild may follow an atlas build
            self._kinds = {}
            self._requirement_lists = LruMap(REQUIREMENT_LISTS_KEPT)
            self._row_targets = LruMap(ROW_TARGETS_KEPT)
            self._names = {}
            self._facts_kept = LruMap(FACTS_KEPT)
        _settle_heap()

    def _build_from_graph(self) -> MatchIndex:
        self.counters["rebuilds"] += 1
        return load_index(self.driver, self.database)

    def stop(self, timeout_s: float) -> bool:
        """At shutdown, before the driver closes: start no background rebuild, and wait (at most
        `timeout_s`) for one that is reading the graph, so the driver is not closed under it.
        False: one still runs after the wait (closing the driver ends it with an error)."""
        self._stopping = True
        if not self._build_lock.acquire(timeout=timeout_s):
            return False
        self._build_lock.release()
        return True

    def _rebuild_in_background(self) -> None:
        if not self._build_lock.acquire(blocking=False):
            return  # one is running: it answers for this change too, or the next check starts another
        if self._stopping:
            self._build_lock.release()
            return

        def run() -> None:
            try:
                self._rebuild()
            except Exception:  # the old index keeps answering; the next request tries again
                log.exception("match index rebuild failed")
            finally:
                self._build_lock.release()
        threading.Thread(target=run, name="match-index-rebuild", daemon=True).start()

    def ensure(self, side: str, key: str) -> bool:
        """True when `key` (a client, vacancy or occupation) is in the index, after waiting for a
        rebuild that may bring it (a vacancy ingested a moment ago)."""
        if key in self._side(side).row:
            return True
        self.refresh_if_stale(wait=True, now=True)
        return key in self._side(side).row

    def _side(self, side: str):
        return {"client": self.index.clients, "vacancy": self.index.vacancies,
                "occupation": self.index.occupations}[side]

    # ---- vacancy -> candidates ----------------------------------------------------------------
    def candidates(self, vacancy: str, top: int = 50, constraints: Constraints = Constraints(),
                   lang: str = "nl", scope: Scope | Sequence[str] | None = None) -> list[Match]:
        return self.candidates_page(vacancy, top, constraints, lang, scope)[0]

    def candidates_page(self, vacancy: str, top: int = 50, constraints: Constraints = Constraints(),
                        lang: str = "nl", scope: Scope | Sequence[str] | None = None,
                        occupation: str | None = None, provenance: bool = True) -> tuple[list[Match], int]:
        """The top candidates, explained, and how many were eligible in all (for pagination)."""
        ranked = self.rank_candidates(vacancy, top, constraints, scope)
        return self.candidate_matches(vacancy, ranked.keys, constraints, lang, occupation, provenance), ranked.total

    def rank_candidates(self, vacancy: str, top: int, constraints: Constraints = Constraints(),
                        scope: Scope | Sequence[str] | None = None) -> Ranked:
        """The keys of the `top` best eligible clients for the vacancy, best first, and how many
        were eligible: what a caller needs to know whose data a page will show, before it is built."""
        self._require("vacancy", vacancy)
        return self.index.candidates(vacancy, top, constraints, scope)

    def candidate_matches(self, vacancy: str, keys: Sequence[str], constraints: Constraints = Constraints(),
                          lang: str = "nl", occupation: str | None = None, provenance: bool = True,
                          first_rank: int = 1, facts: dict[str, dict] | None = None) -> list[Match]:
        """Ranked clients (`keys`, the first at `first_rank`) explained for the vacancy. `occupation`:
        the vacancy's, when the caller has read it already (else it is read here). Without
        `provenance` the rows carry no `evidence` (source and date per competency shown); then
        `facts` (key -> the columns of repository.FACTS) may come from the caller's own read."""
        idx = self._require("vacancy", vacancy)
        if occupation is None:
            occupation = self.vacancy_facts([vacancy]).get(vacancy, {}).get("occupation")
        details = {}
        if facts is None or provenance:
            details = repository.client_details(self.driver, self.database, keys, provenance)
            facts = {key: d.facts for key, d in details.items()}
        index = self.index  # one index for the requirements and the rows they score (a rebuild may renumber columns)
        scores, requirements = self._scored(index, index.vacancies, [(key, vacancy) for key in keys], lang, provenance)
        uris = {r.competency for reqs in requirements.values() for r in reqs}
        evidence = {key: repository.provenance(key, d, uris) for key, d in details.items()} if provenance else {}
        out = []
        for rank, key, score in zip(range(first_rank, first_rank + len(keys)), keys, scores):
            pair = self._circumstances(index.clients.row[key], idx, constraints.distance)
            out.append(Match(
                rank, key, _explained(score, pair),
                hours_short=pair.hours_short, education_short=pair.education_short, facts=facts.get(key, {}),
                evidence=evidence.get(key, {}),
                preference=preference(occupation, facts.get(key, {}).get("preferred_occupations", []))))
        return out

    # ---- client -> vacancies / occupations ---------------------------------------------------
    def vacancies(self, client: str, top: int = 50, radius_km: float | None = None, filter_distance: bool = True,
                  lang: str = "nl", provenance: bool = True) -> list[Match]:
        return self.vacancies_page(client, top, radius_km, filter_distance, lang, provenance=provenance)[0]


    def vacancies_page(self, client: str, top: int = 50, radius_km: float | None = None, filter_distance: bool = True,
                       lang: str = "nl", filter_hours: bool = False, filter_education: bool = False,
                       provenance: bool = True, facts: dict | None = None) -> tuple[list[Match], int]:
        """The top open vacancies and how many were eligible. Each filter_* drops the vacancies that
        constraint fails instead of lowering their fit (in the index, so the total counts only the rest);
        `radius_km` with filter_distance: only those within it, farther than the client's own radius
        still costing what it costs on every other page (one fit for the pair)."""
        row = self._require("client", client)
        if self.index.clients.excluded[row]:
            return [], 0  # not matchable (ABC G6/G7, not fit for work): no job suggestions
        details = self._details(client, provenance, facts)
        distance = DistancePolicy(hard=filter_distance and radius_km is None,
                                  max_km=radius_km if filter_distance else None)
        constraints = Constraints(distance, filter_hours, filter_education)
        ranked = self.index.vacancies_for(client, top, constraints)
        return self._vacancy_matches(client, row, ranked.keys, details, constraints, lang, provenance), ranked.total

    def vacancy_match(self, client: str, vacancy: str, lang: str = "nl", facts: dict | None = None) -> Match | None:
        """One open vacancy explained for the client as a ranked row would be, wherever it ranks
        (rank 0: not ranked here), distance lowering the fit beyond the client's radius; None when
        the vacancy is not open or the client is not matchable. For the vacancy an employer desk
        asked an introduction for, which may lie outside the page the coach has open."""
        row = self._require("client", client)
        v = self._require("vacancy", vacancy)
        if self.index.clients.excluded[row] or not self.index.vacancies.is_open[v]:
            return None
        details = self._details(client, False, facts)
        constraints = Constraints(DistancePolicy(hard=False))
        return self._vacancy_matches(client, row, [vacancy], details, constraints, lang, False, first_rank=0)[0]

    def _vacancy_matches(self, client: str, row: int, keys: Sequence[str], details: repository.ClientDetails,
                         constraints: Constraints, lang: str, provenance: bool, first_rank: int = 1) -> list[Match]:
        facts = self.vacancy_facts(keys)
        wished = details.facts.get("preferred_occupations", [])
        index = self.index
        scores, requirements = self._scored(index, index.vacancies, [(client, vid) for vid in keys], lang, provenance)
        evidence = self._provenance(client, details, requirements.values()) if provenance else {}
        out = []
        for rank, vid, score in zip(range(first_rank, first_rank + len(keys)), keys, scores):
            pair = self._circumstances(row, index.vacancies.row[vid], constraints.distance)
            out.append(Match(
                rank, vid, _explained(score, pair), evidence=evidence,
                hours_short=pair.hours_short, education_short=pair.education_short, facts=facts.get(vid, {}), preference=preference(facts.get(vid, {}).get("occupation"), wished)))
        return out

    def occupations(self, client: str, top: int = 20, lang: str = "nl", provenance: bool = True,
                    facts: dict | None = None) -> list[Match]:
        """Best occupations by profile, marked when they lie in another sector than the work
        history, plus the SIMILAR_TO neighbours of the occupations the client worked in."""
        if self.index.clients.excluded[self._require("client", client)]:
            return []
        history = repository.work_history(self.driver, self.database, client)
        own_sectors = {h["isco"][:1] for h in history if h["isco"]}
        similar_from = {s["uri"]: h["occupation"] for h in history for s in h["similar"] if s["uri"]}
        ranked = self.index.occupations_for(client, top, self._not_advised_rows())
        keys = list(dict.fromkeys([*ranked.keys, *[u for u in similar_from if u in self.index.occupations.row
                                                   and u not in self.not_advised]]))
        occupation_facts = self.occupation_facts(keys, lang)
        details = self._details(client, provenance, facts)
        wished = details.facts.get("preferred_occupations", [])
        index = self.index
        scores, requirements = self._scored(index, index.occupations, [(client, uri) for uri in keys], lang, provenance)
        evidence = self._provenance(client, details, requirements.values()) if provenance else {}
        scored = [(Explained(score, None, 0.0), uri) for score, uri in zip(scores, keys)]
        scored.sort(key=lambda p: (-p[0].match.fit, p[1]))
        out = []
        for rank, (explained, uri) in enumerate(scored, start=1):
            f = dict(occupation_facts.get(uri, {}))
            isco = f.get("isco") or ""
            f["other_sector"] = bool(own_sectors) and isco[:1] not in own_sectors
            f["similar_to"] = similar_from.get(uri)
            out.append(Match(rank, uri, explained, facts=f, evidence=evidence, preference=preference(uri, wished)))
        return out

    @staticmethod
    def _provenance(client: str, details: repository.ClientDetails, requirements) -> dict:
        """Source, date and inferred flag of the client's evidence for the competencies shown."""
        return repository.provenance(client, details, {r.competency for reqs in requirements for r in reqs})

    def _details(self, client: str, provenance: bool = True, facts: dict | None = None) -> repository.ClientDetails:
        """Gate, place, preferred occupations, travel radius and (with provenance) stored profile;
        `facts`: those the caller read already (travel_radius_km, preferred_occupations), then
        without provenance nothing is read here."""
        if facts is not None and not provenance:
            return repository.ClientDetails(facts, {})
        found = repository.client_details(self.driver, self.database, [client], provenance)
        return found.get(client, repository.ClientDetails({}, {}))

    # ---- gap and what-if ----------------------------------------------------------------------
    def gap(self, client: str, target_kind: str, target: str, radius_km: float | None = None,
            lang: str = "nl", ranks: bool = False) -> list[GapItem]:
        """Competencies to develop for a vacancy or occupation: essential first, then by fit gain,
        each with how many open vacancies within the radius (the client's own travel radius unless
        given) it would bring within reach. With `ranks`, also the client's place on the target's
        list now and once each competency reached its level, as the what-if of that one change
        counts it ("rang 14 → 3"): every client is scored once for the target (~10 ms of CPU at
        100,000 clients), kept for the slider moves that follow."""
        t = self._require(target_kind, target)
        row = self._require("client", client)  # second: a rebuild the target waited for keeps it
        targets = self._targets(target_kind)
        profile = self.index.profile_of(client)
        requirements = self._requirements(targets, target, lang)
        items = gap_items(requirements, profile, self.traits)
        within = self.index.open_within(row, radius_km or self._own_radius(row))
        scores = self.index.ranked_scores(row)  # what a vacancy opens is judged by the fit its row shows
        # one change per competency (a target listing one twice: the last, as before)
        wanted = {g.requirement.competency: g.requirement.required_level for g in items}
        each = [self._raised(profile, [(c, level)]) for c, level in wanted.items()]
        unlocks = dict(zip(wanted, self.index.reached_changes(self.index.vacancies, scores, within, row, each,
                                                              GOOD_MATCH)))
        items = with_unlocks(items, unlocks)
        if not ranks or not items:
            return items
        places = self._places(targets, t, row, requirements, profile, wanted)
        return items if places is None else with_ranks(items, *places)

    def _places(self, targets: Targets, t: int, row: int, requirements: Requirements, profile: dict[str, Evidence],
                changes: dict[str, float]) -> tuple[int, dict[str, int]] | None:
        """The client's place on the target's list now and after each change alone, by the
        what-if's rule (the fit it adds, against every other client as held); None for a client
        who is not matchable."""
        before = score_requirements(requirements, profile).fit
        gains = [score_requirements(requirements, hypothetical(profile, [c])).fit - before for c in changes.items()]
        places = self.index.ranks(targets, t, row, [0.0, *gains])
        return None if places is None else (places[0], dict(zip(changes, places[1:])))

    def fit(self, client: str, target_kind: str, target: str, lang: str = "nl") -> tuple[MatchScore, Circumstances]:
        """The client's fit for one vacancy or occupation from the competencies, explained, and what
        the vacancy's distance, hours and education take off it (as on its ranked row; nothing for an
        occupation: not a job)."""
        t = self._require(target_kind, target)
        row = self._require("client", client)
        targets = self._targets(target_kind)
        score = score_requirements(self._requirements(targets, target, lang), self.index.profile_of(client))
        return score, self._target_circumstances(row, target_kind, t)

    def travel_radius(self, client: str) -> float:
        """The client's own travel radius (CTC reisbereidheid), else the default."""
        return self._own_radius(self._require("client", client))

    def what_if(self, client: str, changes: list[tuple[str, float]], target_kind: str, target: str,
                radius_km: float | None = None, lang: str = "nl") -> WhatIf:
        """The fit, the client's rank among all matchable clients and the vacancies within reach
        (the client's own travel radius unless given), before and after the changes (nothing is
        stored). The CLI, the API and the pages call this. For a vacancy both fits are what its
        ranked row would show (distance, hours and education taken off) and the rank is the place
        on its candidate list."""
        t = self._require(target_kind, target)
        row = self._require("client", client)
        targets = self._targets(target_kind)
        for competency, _ in changes:
            if competency not in self.index.column:
                raise NotFound(f"competency {competency!r} is not in the atlas")
        requirements = self._requirements(targets, target, lang)
        profile = self.index.profile_of(client)
        before = score_requirements(requirements, profile)
        after = score_requirements(requirements, hypothetical(profile, changes))
        pair = self._target_circumstances(row, target_kind, t)
        ranks = self.index.ranks(targets, t, row, [0.0, after.fit - before.fit]) or [None, None]
        radius = radius_km or self._own_radius(row)
        within = self.index.open_within(row, radius)
        # Open vacancies in `within` whose fit, as their ranked rows show it, is GOOD_MATCH or better
        scores = self.index.ranked_scores(row)
        reached = int((scores[within] >= GOOD_MATCH).sum())
        more = self.index.reached_changes(self.index.vacancies, scores, within, row,
                                          [self._raised(profile, changes)], GOOD_MATCH)[0]
        return WhatIf(client, target_kind, target, tuple(changes), before, after, *ranks, reached, reached + more,
                      radius, pair)

    def _raised(self, profile: dict[str, Evidence], changes: list[tuple[str, float]]) -> list[tuple[int, float, float]]:
        """(column, level, confidence) of each changed competency, once, as `hypothetical` raises it."""
        raised = hypothetical(profile, changes)
        return [(self.index.column[c], raised[c].level, raised[c].confidence) for c in dict.fromkeys(c for c, _ in changes)]

    # ---- helpers ------------------------------------------------------------------------------
    def _circumstances(self, client_row: int, vacancy_row: int,
                       policy: DistancePolicy = DistancePolicy()) -> Circumstances:
        """Distance (beyond the client's own radius unless the policy names one), hours and
        education of one client-vacancy pair, as the kernel (index._top) takes them off."""
        c, t = self.index.clients, self.index.vacancies
        km = distance_km(c.xyz[client_row], t.xyz[vacancy_row])
        return Circumstances(km, distance_penalty(km, policy, _val(c.radius[client_row])),
                             shortfall(_val(c.hours[client_row]), _val(t.hours[vacancy_row])),
                             shortfall(_val(c.education[client_row]), _val(t.education[vacancy_row])))

    def advised_occupations(self) -> int:
        """How many occupations a client may be advised: the length of their full list."""
        return int(len(self.index.occupations.keys) - self._not_advised_rows().sum())

    def _not_advised_rows(self) -> np.ndarray:
        """The occupations' rows no client is advised, as a mask (kept per index)."""
        t = self.index.occupations
        held = self._not_advised_mask
        if held is None or held[0] is not t:
            mask = np.zeros(len(t.keys), dtype=np.bool_)
            mask[[t.row[u] for u in self.not_advised if u in t.row]] = True
            held = self._not_advised_mask = (t, mask)
        return held[1]

    def _own_radius(self, client_row: int) -> float:
        return DistancePolicy().radius_for(_val(self.index.clients.radius[client_row]))

    def _target_circumstances(self, client_row: int, target_kind: str, target_row: int) -> Circumstances:
        return self._circumstances(client_row, target_row) if target_kind == "vacancy" else Circumstances()

    def _targets(self, kind: str) -> Targets:
        return self.index.vacancies if kind == "vacancy" else self.index.occupations

    def _scored(self, index: MatchIndex, targets: Targets, pairs: Sequence[tuple[str, str]], lang: str,
                provenance: bool) -> tuple[list[MatchScore | RowScore], dict[str, Requirements]]:
        """Each (client, target) pair scored: with provenance (the CLI lists every requirement with
        its evidence) as MatchScores, with the requirement lists they name; else as the rows a page
        names (matcher/rows.py: the same numbers, one compiled pass for the page, no lists)."""
        if provenance:
            lists = {t: self._requirements(targets, t, lang) for _, t in pairs}
            profiles = {client: index.profile_of(client) for client, _ in pairs}
            return [score_requirements(lists[t], profiles[client]) for client, t in pairs], lists
        row_targets = {t: self._row_target(index, targets, t, lang) for _, t in pairs}
        clients = index.clients
        evidence = {client: clients.entries(clients.row[client]) for client, _ in pairs}
        return score_rows([(row_targets[t], evidence[client]) for client, t in pairs]), {}

    def _row_target(self, index: MatchIndex, targets: Targets, key: str, lang: str) -> RowTarget:
        """A target's requirements as ranked rows need them, kept like the labelled lists (6.6 KiB
        each against 38.2 KiB)."""
        slot = (id(targets), key, lang)
        held = self._row_targets.get(slot)
        if held is not None and held[0] is targets:
            return held[1]
        names = self._names.get(lang)
        if names is None or names.competencies is not index.competencies:
            names = self._names[lang] = Names.of(index.competencies, self._all_known_labels(lang))
        made = index.row_target(targets, key, names)
        self._row_targets.put(slot, (targets, made))
        return made

    def _requirements(self, targets: Targets, key: str, lang: str):
        """A vacancy's or occupation's labelled requirements, kept (they change only with a rebuild):
        building them was a third of the time of a client's occupation list (~100 per occupation)."""
        slot = (id(targets), key, lang)
        held = self._requirement_lists.get(slot)
        if held is not None and held[0] is targets:
            return held[1]
        requirements = Requirements(self.index.requirements_of(targets, key, self._all_known_labels(lang)))
        self._requirement_lists.put(slot, (targets, requirements))
        return requirements

    def vacancy_facts(self, ids: Sequence[str]) -> dict[str, dict]:
        """Title, employer, status, place and occupation of each vacancy that exists, new dicts
        (a caller may add to its rows). The index holds them from its build: they change only with
        a vacancy ingest, whose change rebuilds the index, so a ranked page or a gap's target costs
        no read for them (20 of them cost ~1.9 ms of the service's CPU and ~2.0 ms of Neo4j's to
        read). A vacancy newer than the index is read from the graph."""
        index, found, missing = self._index, {}, []
        for key in dict.fromkeys(ids):
            facts = index.vacancies.facts_of(key) if index is not None else None
            if facts is None:
                missing.append(key)
            else:
                found[key] = facts
        if missing:
            found.update(repository.vacancy_facts(self.driver, self.database, missing))
        return found

    def occupation_facts(self, uris: Sequence[str], lang: str) -> dict[str, dict]:
        """Label (in `lang` where the atlas has it) and ISCO code of each occupation; atlas data,
        read once per index and language and kept."""
        kept = self._facts_kept
        found = {u: f for u in uris if (f := kept.get((u, lang))) is not None}
        missing = [u for u in dict.fromkeys(uris) if u not in found]
        if missing:
            for uri, facts in repository.occupation_facts(self.driver, self.database, missing, lang).items():
                kept.put((uri, lang), facts)
                found[uri] = facts
        return {u: dict(f) for u, f in found.items()}  # copies: a caller may add to its rows

    def _all_known_labels(self, lang: str) -> dict[str, tuple[str, str] | None]:
        """Every ranked competency's label in `lang` (None: it has none), read once per language."""
        kept = self._labels  # a rebuild meanwhile replaces the dict: this read does not land in the new one
        known = kept.get(lang)
        if known is None:
            known = kept[lang] = self._all_labels(self.index, lang)
        return known

    def labels(self, uris: list[str], lang: str) -> dict[str, tuple[str, str]]:
        """Competency labels (atlas data, changed only by an atlas build): read once per language
        and kept; a page of ranked rows costs at most one query, not one per row."""
        known = self._all_known_labels(lang)
        _read_missing(known, uris, lambda missing: repository.competency_labels(self.driver, self.database,
                                                                                missing, lang))
        return {u: known[u] for u in uris if known.get(u) is not None}

    def competency_kinds(self, uris: Sequence[str]) -> dict[str, str | None]:
        """Each competency's atlas kind (the client page's themes): atlas data, read the first time
        a competency is asked for and kept until a rebuild (a client page read ~90 of them, 3–4 ms
        of the service's CPU and ~3 ms of Neo4j's, every time)."""
        known = self._kinds
        _read_missing(known, uris, lambda missing: {
            u: n.kind for u, n in concept_names(self.driver, self.database, missing).items()})
        return {u: known[u] for u in uris if u in known}

    def _preloaded_labels(self, index: MatchIndex) -> dict:
        """Dutch labels read ahead; if that read fails the index still serves, reading them later."""
        try:
            return {"nl": self._all_labels(index, "nl")}
        except (Neo4jError, DriverError) as exc:
            log.warning("competency labels not read ahead (%s): read on first use", exc)
            return {}

    def _all_labels(self, index: MatchIndex, lang: str) -> dict[str, tuple[str, str] | None]:
        """Every ranked competency's label in one read (~14,000 short labels), not a read per
        page for the few not seen yet: a client's vacancy page met ~4 such reads."""
        known = dict.fromkeys(index.competencies)  # a competency without any label stays None
        known.update(repository.competency_labels(self.driver, self.database, list(index.competencies), lang))
        return known

    def _require(self, what: str, key: str) -> int:
        """The row of a client, vacancy or occupation (waiting for a rebuild that may bring it)."""
        if not self.ensure(what, key):
            raise NotFound(f"{what} {key!r} not found")
        return self._side(what).row[key]


def _read_missing(known: dict, uris: Sequence[str], read) -> None:
    """Atlas data kept per index: what `known` lacks of `uris` read in one query and kept, None
    for what the atlas does not have (not asked for again)."""
    missing = [u for u in dict.fromkeys(uris) if u not in known]
    if missing:
        found = read(missing)
        known.update({u: found.get(u) for u in missing})


def _explained(score: MatchScore | RowScore, pair: Circumstances) -> Explained:
    return Explained(score, pair.distance_km, pair.distance_penalty)


def _settle_heap() -> None:
    """After an index is built or mapped: first the heap a build freed goes back to the system
    (a build peaks at ~2.4 GB; once its index was saved and mapped glibc still held ~36 MB of it;
    only where glibc is the C library). Then the objects alive now (modules, the index, compiled
    kernels: ~230,000) live as long as it: frozen out of the garbage collector's sight. Each full
    collection walked them all, ~100 ms with the GIL held every few dozen requests — the tail of
    every endpoint. Unfrozen first, so what the previous index left behind is collected; what
    that collection frees stays with the allocator for the requests to reuse (trimming it too
    coincided with ~10 % fewer requests/s, not proven: docs/bench-api.md "Session 9")."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _val(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
