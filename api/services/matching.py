"""Matching for the API: ranking through the compiled MatchService (matcher/service.py), shaped
into the rows the routes return. Targets and client facts are read through api/match_repository.py.
Clients whose gate is not_matchable (ABC G6/G7, "not fit for work") get no job suggestions and
never appear on a shortlist; needs_support clients do, flagged.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError

from api import match_repository as repo
from api.warmup import plan_hot_reads
from competency_atlas.instrument_profiles import shipped_profiles
from competency_atlas.names import name_in
from matcher.presenters import fit_parts, gap_as_dict, penalised_parts, score_parts, what_if_as_dict
from matcher.rows import RowScore
from matcher.scoring import MET_CODE, NOT_NAMED, PARTLY_MET_CODE, UNKNOWN_CODE, MatchScore
from matcher.index import Scope
from matcher.service import Match, MatchService, ServiceStopping
from matcher.traits import competency_traits

MATCHABLE_GATES = ["matchable", "needs_support"]
log = logging.getLogger("atlas.api")


@dataclass(frozen=True)
class Target:
    kind: str  # vacancy | occupation
    id: str
    title: str | None
    occupation: str | None = None  # a vacancy's occupation
    title_lang: str | None = None  # an occupation's title in another language than asked: en


NAMED = 10  # met and unknown requirements a ranked row names, each; the gap lists every one


def explain(match: MatchScore | RowScore, hidden: frozenset[str] = frozenset()) -> dict:
    """Fit, range, coverage and the competencies per status (labels), for cards and lists.

    Met and unknown requirements are named up to NAMED each, essential first and the heaviest
    first within each, and `met_more` / `unknown_more` count the rest; partly met and missing
    ones are all named (what a client lacks is the point of the row). A typical client has no
    evidence for ~80 of a vacancy's ~100 requirements, and a client with a rich profile meets as
    many: naming them all on every ranked row made a page of 20 rows 150-300 KB, most of its
    serialising and sending time. `hidden` (an employer desk's sensitive competencies) is neither
    named nor counted."""
    codes = match.codes.tolist()
    if hidden:
        codes = [NOT_NAMED if match.named(i)[0] in hidden else c for i, c in enumerate(codes)]
    met, partly, missing = [], [], []
    for i, code in enumerate(codes):  # in requirement order
        if code > UNKNOWN_CODE:
            (met if code == MET_CODE else partly if code == PARTLY_MET_CODE else missing).append(i)
    met.sort(key=match.place.__getitem__)  # essential and heaviest first
    unknown = []
    for i in match.heaviest:  # essential and heaviest first: the first NAMED are shown
        if len(unknown) >= NAMED:
            break
        if codes[i] == UNKNOWN_CODE:
            unknown.append(i)
    return {**fit_parts(match), "met": _refs(match, met[:NAMED]), "met_more": max(0, len(met) - NAMED),
            "partly_met": _refs(match, partly), "missing": _refs(match, missing),
            "unknown": _refs(match, unknown), "unknown_more": max(0, codes.count(UNKNOWN_CODE) - NAMED)}


def _refs(match: MatchScore | RowScore, indices: list[int]) -> list[dict]:
    return [{"uri": uri, "label": label, "label_lang": lang, "essential": essential}
            for uri, label, lang, essential in map(match.named, indices)]


def detail(match: MatchScore) -> list[dict]:
    """Per requirement: what was asked, what the evidence shows, the status and the contribution."""
    out = []
    for r in match.results:
        e = r.evidence
        out.append({"competency": r.requirement.competency, "label": r.requirement.label,
                    "label_lang": r.requirement.label_lang, "required_level": r.requirement.required_level, "importance": r.requirement.importance,
                    "essential": r.requirement.essential, "status": r.status.value,
                    "level": None if e is None else round(e.level, 4),
                    "confidence": None if e is None else round(e.confidence, 4),
                    "source": None if e is None else e.source,
                    "as_of": None if e is None or e.measured_at is None else e.measured_at.isoformat(),
                    "inferred": None if e is None else e.inferred,
                    "contribution": round(r.contribution, 6)})
    return out


# ---------------------------------------------------------------- targets

def vacancy_target(service: MatchService, vacancy_id: str) -> Target | None:
    """The vacancy as a gap's, what-if's or shortlist's target; None when there is no such vacancy.
    Its facts come with the match index (no read per request)."""
    v = service.vacancy_facts([vacancy_id]).get(vacancy_id)
    if v is None:
        return None
    return Target("vacancy", vacancy_id, v.get("title"), v.get("occupation"))


def occupation_target(driver: Driver, database: str, uri: str, lang: str = "nl") -> Target | None:
    found = repo.occupation(driver, database, uri)
    if found is None:
        return None
    title, title_lang = name_in(found["occupation"], lang, None)
    return Target("occupation", uri, title, title_lang=title_lang)


# ---------------------------------------------------------------- the compiled matcher

_MATCHER_LOCK = threading.Lock()


def matcher(app_state, driver: Driver, database: str) -> MatchService:
    """The process's one MatchService, brought up to the graph's generation (matcher/service.py:
    changed clients patched at once, other changes rebuilt in the background)."""
    with _MATCHER_LOCK:
        service = getattr(app_state, "matcher", None)
        if service is None or service.driver is not driver:
            settings = getattr(app_state, "settings", None)
            service = MatchService(driver, database, traits=competency_traits(),
                                   cache_dir=settings.work_dir / "index" if settings else None,
                                   check_every_s=settings.api_generation_check_ms / 1000 if settings else 0.0)
            app_state.matcher = service
    service.refresh_if_stale()
    return service


def warm(app_state, driver: Driver, database: str) -> None:
    """At start, beside the first requests: the instrument profiles parsed (every client page
    reads them), the hot reads planned by Neo4j (seconds; api/warmup.py), then the index built
    (or mapped from disk). A shutdown that comes first ends it quietly."""
    shipped_profiles()
    plan_hot_reads(driver, database)
    try:
        matcher(app_state, driver, database)
    except ServiceStopping:
        pass


def stop(app_state, timeout_s: float) -> None:
    """At shutdown, before the driver closes: let a running index build finish reading the graph
    (a driver closed under it fails the build and can fail the close itself). The warm-up thread
    first: it may not have made the service yet."""
    deadline = time.monotonic() + timeout_s
    warming = getattr(app_state, "warming", None)
    if warming is not None:
        warming.join(timeout_s)
    service = getattr(app_state, "matcher", None)
    if service is not None and not service.stop(max(0.0, deadline - time.monotonic())):
        log.warning("match index still building after %.0f s at shutdown; closing the driver under it", timeout_s)


def catch_up(app_state) -> None:
    """After a write of this process: its index (if it has one yet) patched now, in the writer's
    request, rather than in the next ranking's (~9 ms for one client: the coach's next page would
    wait for it). A failure here is the next ranking's to retry: the write has committed."""
    service = getattr(app_state, "matcher", None)
    if service is None:
        return
    try:
        service.refresh_if_stale(now=True)
    except (DriverError, Neo4jError):
        log.warning("match index not brought up to date after a write; the next ranking will", exc_info=True)


def _explained(m: Match, hidden: frozenset[str] = frozenset()) -> dict:
    """A ranked row: the fit after distance, hours and education, and what each took off."""
    return {**explain(m.explained.match, hidden), **score_parts(m)}


# ---------------------------------------------------------------- vacancy -> candidates

def candidates_for_vacancy(service: MatchService, target: Target, keys: Scope | None, offset: int, limit: int,
                           lang: str = "nl", hidden: frozenset[str] = frozenset()) -> tuple[list[dict], int]:
    """A page of matchable clients ranked for the vacancy (keys: the caller's scope), and the total."""
    page, total = rank_candidates(service, target, keys, offset, limit)
    return candidate_rows(service, target, page, offset, lang, hidden), total


def rank_candidates(service: MatchService, target: Target, keys: Scope | None, offset: int,
                    limit: int) -> tuple[list[str], int]:
    """The clients on one page of the vacancy's ranking, best first, and how many were eligible."""
    if not service.ensure("vacancy", target.id):
        return [], 0
    ranked = service.rank_candidates(target.id, offset + limit, scope=keys)
    return ranked.keys[offset:offset + limit], ranked.total


def candidate_rows(service: MatchService, target: Target, client_keys: list[str], offset: int, lang: str = "nl",
                   hidden: frozenset[str] = frozenset(), facts: dict[str, dict] | None = None) -> list[dict]:
    """The rows of those clients (ranked from `offset` + 1 on), explained for the vacancy;
    `hidden`: competencies the rows neither name nor count (see `explain`); `facts`: the clients'
    facts when the caller read them (else they are read here)."""
    if not client_keys:
        return []
    matches = service.candidate_matches(target.id, client_keys, lang=lang, occupation=target.occupation,
                                        provenance=False, first_rank=offset + 1, facts=facts)
    return [{"rank": m.rank, "client_key": m.subject, "gate": m.facts.get("gate", "matchable"), **_explained(m, hidden)}
            for m in matches]


# ---------------------------------------------------------------- client -> vacancies / occupations

def client_for_ranking(driver: Driver, database: str, key: str) -> dict | None:
    """The client's gate, who may see them, and what ranking asks of them besides the index (travel
    radius, preferred occupations); None when there is no such client. Ranking reads the profile
    from the index, so the stored one is not read here (it was a third of a client's read)."""
    return repo.client(driver, database, key)


def vacancies_for_client(service: MatchService, client: dict, max_km: float | None,
                         offset: int, limit: int, lang: str = "nl", only_hours: bool = False,
                         only_education: bool = False, hidden: frozenset[str] = frozenset()) -> tuple[list[dict], int]:
    """Open vacancies ranked for the client; with max_km only those within it, otherwise distance
    beyond the client's travel radius (CTC reisbereidheid; else 25 km) lowers the fit. With
    only_hours / only_education a vacancy asking more hours or education is left out, not lowered."""
    key = client["key"]
    if client["gate"] == "not_matchable" or not service.ensure("client", key):
        return [], 0
    radius, hard = (max_km, True) if max_km is not None else (None, False)  # None: the client's own radius
    matches, total = service.vacancies_page(key, offset + limit, radius, hard, lang, filter_hours=only_hours,
                                            filter_education=only_education, provenance=False, facts=client)
    return [_vacancy_row(m, hidden) for m in matches[offset:offset + limit]], total


def vacancy_for_client(service: MatchService, client: dict, vacancy_id: str, lang: str = "nl",
                       hidden: frozenset[str] = frozenset()) -> dict | None:
    """One open vacancy as a row of the client's ranked list (rank 0: wherever it ranks), or None."""
    if client["gate"] == "not_matchable" or not service.ensure("client", client["key"]) \
            or not service.ensure("vacancy", vacancy_id):
        return None
    found = service.vacancy_match(client["key"], vacancy_id, lang, facts=client)
    return None if found is None else _vacancy_row(found, hidden)


def _vacancy_row(m: Match, hidden: frozenset[str]) -> dict:
    shown = {k: v for k, v in m.facts.items() if k in ("title", "employer", "municipality", "status", "hours")}
    return {"rank": m.rank, "vacancy": {"id": m.subject, **shown}, **_explained(m, hidden)}


def occupations_for_client(service: MatchService, client: dict, offset: int, limit: int,
                           lang: str = "nl", hidden: frozenset[str] = frozenset()) -> tuple[list[dict], int]:
    key = client["key"]
    if client["gate"] == "not_matchable" or not service.ensure("client", key):
        return [], 0
    matches = service.occupations(key, offset + limit, lang, provenance=False, facts=client)
    return [{"rank": m.rank, "occupation": {"uri": m.subject, **m.facts}, **_explained(m, hidden)}
            for m in matches[offset:offset + limit]], service.advised_occupations()


# ---------------------------------------------------------------- gap and what-if

def gap(service: MatchService, client: dict, target: Target, lang: str = "nl",
        hidden: frozenset[str] = frozenset(), ranks: bool = False) -> dict:
    """What stands between the client and the target: essential first, then by how much each
    raises the fit, with how many open vacancies within the client's travel radius it would bring
    within reach. The fit is the one its ranked row shows (for a vacancy: distance, hours and
    education taken off, each named).
    `hidden` competencies (what a sensitive scale measured, for a reader who is not the client's
    coach) are left out of the lists, as from a ranked row. `ranks`: each with the client's place on
    the target's list once reached (matcher/service.py)."""
    items = service.gap(client["key"], target.kind, target.id, lang=lang, ranks=ranks)
    match, pair = service.fit(client["key"], target.kind, target.id, lang)
    return {"target": {"kind": target.kind, "id": target.id, "title": target.title, "title_lang": target.title_lang},
            **penalised_parts(match, pair),
            "gaps": [gap_as_dict(g) for g in items if g.requirement.competency not in hidden],
            "requirements": [d for d in detail(match) if d["competency"] not in hidden],
            "reach_km": service.travel_radius(client["key"]), "gate": client["gate"]}


def what_if(service: MatchService, client: dict, target: Target, changes: list[tuple[str, float]],
            lang: str = "nl") -> dict:
    """The one what-if (matcher/service.py), with the title of the target."""
    result = what_if_as_dict(service.what_if(client["key"], changes, target.kind, target.id, lang=lang))
    result["target"]["title"] = target.title
    return result
