"""Reads are reads: every repository function sends its reads with read routing (a follower or read
replica in a cluster) and its writes with write routing (the leader), checked against a driver
that records what each call asked for (docs/cluster.md).

The recording driver wraps the real one and writes down, per call: the API used
(`execute_query`, `session.run`, `execute_read`, `execute_write`), the routing or access mode, the
Cypher sent, and whether the call is chained to the driver's shared bookmarks (so that a read after
a write of this process sees it). Rules:
- a call whose Cypher writes is WRITE-routed; a read transaction never writes;
- a single read-only query (`execute_query`, an auto-commit `session.run`) is READ-routed — except
  the few leader reads in LEADER_READS, each with its reason; a write transaction may read (the
  reads decide what it writes, in the same transaction);
- a read function sends only READ calls; a write function sends at least one WRITE call;
- every call is chained to `driver.execute_query_bookmark_manager`.

Functions that take a transaction (`matcher.freshness.bump_generation`, `log_erasure`,
`matcher.profile_repository.set_profiles`) run inside their caller's write transaction and are
covered through those callers. The cases of api/client_repository.py and api/audit.py that are
not read-routed yet are expected failures (strict: when they are fixed, the mark must go).
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest
from neo4j import WRITE_ACCESS, RoutingControl

from api import (audit, client_repository, decision_repository, desk_repository, introduction_repository,
                 match_repository, mi_repository, report_repository, vacancy_reads)
from api.access import Principal, Role
from api.services import lookup as lookup_service
from api.services import measurements as measurement_service
from api_fixtures import OCC, SKILLS, seed_world
from competency_atlas import instrument_repository, lookup_repository
from competency_atlas.atlas_repository import Q_ISCO, AtlasRepository
from competency_atlas.instrument_profiles import load_profiles
from conftest import wipe_data
from graph_schema import migrate as migrations
from graph_schema.db import write_unit
from ingest import measurement_repository, vacancy_repository
from ingest.measurement_ingest import ClientContext
from ingest.vacancy_models import EnrichedVacancy, OccupationMatch, Place, Vacancy
from matcher import freshness, index_repository
from matcher import repository as match_details
from measurement_helpers import WAREHOUSE, seed_atlas

READ, WRITE = "READ", "WRITE"
# Cypher that changes the graph (keywords are upper case throughout the code base).
WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP)\b|setNodeVectorProperty")
# Reads that go to the leader on purpose.
LEADER_READS = {
    "MATCH (m:SchemaMigration)": "migrate() decides what to apply where it writes it",
    "CALL db.awaitIndexes": "waits for the indexes the migration has just created, where it created them",
}


@dataclass
class Call:
    api: str
    mode: str
    chained: bool
    queries: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return any(WRITES.search(q) for q in self.queries)

    @property
    def leader_read(self) -> bool:
        return any(q.lstrip().startswith(prefix) for q in self.queries for prefix in LEADER_READS)

    def __str__(self) -> str:
        first = " | ".join(" ".join(q.split())[:90] for q in self.queries)
        return f"{self.api} {self.mode}{'' if self.chained else ' (no shared bookmarks)'}: {first}"


class RecordingTx:
    def __init__(self, tx, queries: list[str]):
        self._tx, self._queries = tx, queries

    def run(self, query, *args, **kwargs):
        self._queries.append(str(query))
        return self._tx.run(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._tx, name)


class RecordingSession:
    def __init__(self, session, mode: str, chained: bool, calls: list[Call]):
        self._session, self._mode, self._chained, self._calls = session, mode, chained, calls

    def __enter__(self):
        self._session.__enter__()
        return self

    def __exit__(self, *exc):
        return self._session.__exit__(*exc)

    def run(self, query, *args, **kwargs):
        self._calls.append(Call("session.run", self._mode, self._chained, [str(query)]))
        return self._session.run(query, *args, **kwargs)

    def execute_read(self, work, *args, **kwargs):
        return self._transaction("execute_read", READ, self._session.execute_read, work, args, kwargs)

    def execute_write(self, work, *args, **kwargs):
        return self._transaction("execute_write", WRITE, self._session.execute_write, work, args, kwargs)

    def _transaction(self, api: str, mode: str, method, work, args, kwargs):
        call = Call(api, mode, self._chained)
        self._calls.append(call)

        def recorded(tx, *a, **k):
            call.queries.clear()  # a retried transaction sends its queries again
            return work(RecordingTx(tx, call.queries), *a, **k)
        return method(recorded, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)


class RecordingDriver:
    """The real driver; every query sent through it is recorded with its routing."""

    def __init__(self, driver):
        self._driver = driver
        self.calls: list[Call] = []

    def execute_query(self, query_, parameters_=None, routing_=RoutingControl.WRITE, **kwargs):
        manager = kwargs.get("bookmark_manager_", self._driver.execute_query_bookmark_manager)
        chained = manager is self._driver.execute_query_bookmark_manager
        self.calls.append(Call("execute_query", READ if routing_ == RoutingControl.READ else WRITE, chained,
                               [str(query_)]))
        return self._driver.execute_query(query_, parameters_, routing_=routing_, **kwargs)

    def session(self, **config):
        mode = READ if config.get("default_access_mode", WRITE_ACCESS) != WRITE_ACCESS else WRITE
        chained = config.get("bookmark_manager") is self._driver.execute_query_bookmark_manager
        return RecordingSession(self._driver.session(**config), mode, chained, self.calls)

    def __getattr__(self, name):
        return getattr(self._driver, name)


def check(calls: list[Call], kind: str) -> None:
    assert calls, "no query reached the driver"
    shown = "\n".join(map(str, calls))
    for call in calls:
        assert call.chained, f"not on the shared bookmarks: {call}\n{shown}"
        if call.writes:
            assert call.mode == WRITE, f"a write sent with read routing: {call}\n{shown}"
        elif call.api in ("execute_query", "session.run") and not call.leader_read:
            assert call.mode == READ, f"a read sent with write routing: {call}\n{shown}"
    if kind == "read":
        assert all(c.mode == READ for c in calls), f"a read function sent a WRITE call:\n{shown}"
    else:
        assert any(c.mode == WRITE for c in calls), f"a write function sent no WRITE call:\n{shown}"


# ---------------------------------------------------------------- the seeded graph

RUN = "routing-run"
EXTRA = """
MATCH (o:Occupation {uri: $occ})
CREATE (:Label {key: 'routing-kok', text: 'kok', lang: 'nl', kind: 'preferred'})-[:LABEL_OF]->(o)
CREATE (:AtlasRelease {version: 'routing', status: 'complete', completed_at: datetime()})
WITH o
UNWIND ['K-ERASE', 'K-DEL-1', 'K-DEL-2'] AS key
CREATE (c:Client {key: key, gate: 'matchable', gate_reasons: [], gate_sources: []})
CREATE (:Measurement {id: 'M-' + key, client_key: key, instrument: 'abc', measured_at: date('2024-04-12')})
       <-[:HAS_MEASUREMENT]-(c)
"""


@pytest.fixture(scope="module")
def world(driver, settings):
    """One small graph for every case: the API tests' world (competencies, an occupation, two
    vacancies, three clients with measurements, identities and assignments), the measurement tests'
    atlas stubs, a label, a release, and clients that the erasure cases may remove."""
    db = settings.neo4j_database
    wipe_data(driver, db)
    seed_world(driver, db)
    seed_atlas(driver, db)
    driver.execute_query(EXTRA, occ=OCC, database_=db)
    write_unit(driver, db, lambda tx: client_repository.consent_given(tx, "K-1", "V-1", "coach-a"))
    yield SimpleNamespace(driver=driver, db=db, settings=dataclasses.replace(settings, api_semantic=False))
    wipe_data(driver, db)


def _vacancy() -> EnrichedVacancy:
    return EnrichedVacancy(vacancy=Vacancy(id="V-ROUTING", title="Routeringstest"),
                           occupation=OccupationMatch(occupation_uri=OCC, method="title", confidence=0.9),
                           place=Place(), content_hash="routing-1")


def _measurement_rows() -> tuple[list[dict], list[dict]]:
    measurement = {"id": "M-ROUTING", "client_key": "K-ROUTING", "instrument": "abc",
                   "measured_at": date(2024, 5, 1), "scale_ids": ["samenwerken"], "levels": [0.6]}
    client = {"key": "K-ROUTING", "attrs": {}, "as_of": None, "lat": None, "lon": None}
    return [measurement], [client]


def _ingest_observation(d, w):
    scale = measurement_service.observation_scales()[0][0]
    from competency_atlas.lookup_repository import release_tag

    # the context of this release already made (a plain one: no postcode table, no title look-up)
    cache = {"measurement_context": (release_tag(d, w.db), ClientContext()), "instrument_profiles": load_profiles()}
    item = measurement_service.observation_item("K-1", scale, 4, "coach:coach-a", date(2026, 11, 2))
    out = measurement_service.ingest_measurement_batch(SimpleNamespace(cache=cache), d, w.db, w.settings,
                                                       Principal("admin-1", Role.ADMIN), [item], date(2026, 11, 30))
    assert out["rejected"] == 0, out


def _client_patches(d, w):
    index = index_repository.load_index(w.driver, w.db)  # built unrecorded: the case is the patch read
    index_repository.client_patches(d, w.db, index, ["K-1", "K-2"])


ADMIN = Principal("admin-1", Role.ADMIN)


def case(name: str, kind: str, call, *marks):
    return pytest.param(kind, call, id=name, marks=marks)


CASES = [
    # ingest/measurement_repository.py
    case("measurement_repository.start_run", "write",
         lambda d, w: measurement_repository.start_run(d, w.db, RUN, "measurements", ["routing"])),
    case("measurement_repository.finish_run", "write",
         lambda d, w: measurement_repository.finish_run(d, w.db, RUN, "done", 1, 0, 0, ["routing"])),
    case("measurement_repository.write_batch", "write",
         lambda d, w: measurement_repository.write_batch(d, w.db, *_measurement_rows(), [], lambda new, old: ([], []))),
    case("measurement_repository.load_occupation_requirements", "read",
         lambda d, w: measurement_repository.load_occupation_requirements(d, w.db, [WAREHOUSE, OCC])),
    case("measurement_repository.load_occupation_labels", "read",
         lambda d, w: measurement_repository.load_occupation_labels(d, w.db)),
    case("measurement_repository.erase_client", "write",
         lambda d, w: measurement_repository.erase_client(d, w.db, "K-ERASE")),
    case("measurement_repository.delete_clients_with_prefix", "write",
         lambda d, w: measurement_repository.delete_clients_with_prefix(d, w.db, "K-DEL-")),
    case("measurement_repository.rederive_profiles", "write",
         lambda d, w: measurement_repository.rederive_profiles(d, w.db, lambda stored: {}, batch=2)),
    # ingest/vacancy_repository.py
    case("vacancy_repository.load_occupation_codes", "read",
         lambda d, w: vacancy_repository.load_occupation_codes(d, w.db)),
    case("vacancy_repository.load_profiles", "read", lambda d, w: vacancy_repository.load_profiles(d, w.db, [OCC])),
    case("vacancy_repository.stored_state", "read", lambda d, w: vacancy_repository.stored_state(d, w.db, ["V-1"])),
    case("vacancy_repository.write_vacancies", "write",
         lambda d, w: vacancy_repository.write_vacancies(d, w.db, [_vacancy()], RUN)),
    case("vacancy_repository.close_expired", "write",
         lambda d, w: vacancy_repository.close_expired(d, w.db, date(2026, 11, 30))),
    case("vacancy_repository.record_run", "write",
         lambda d, w: vacancy_repository.record_run(d, w.db, RUN, 1, 0, 0, ["routing"])),
    case("vacancy_repository.load_generator_occupations", "read",
         lambda d, w: vacancy_repository.load_generator_occupations(d, w.db)),
    case("vacancy_repository.delete_run_vacancies", "write",
         lambda d, w: vacancy_repository.delete_run_vacancies(d, w.db, RUN)),
    # competency_atlas/atlas_repository.py
    case("AtlasRepository.begin_release", "write",
         lambda d, w: AtlasRepository(d, w.db).begin_release("routing-test", "sum", {"esco": "1.2.0"})),
    case("AtlasRepository.write", "write",
         lambda d, w: AtlasRepository(d, w.db).write(Q_ISCO, [{"code": "9999", "uri": None, "label_en": "routing"}],
                                                     "routing-test")),
    case("AtlasRepository.complete_release", "write",
         lambda d, w: AtlasRepository(d, w.db).complete_release("routing-test", {"isco": 1}, 0.1)),
    case("AtlasRepository.labels_without_embedding", "read",
         lambda d, w: AtlasRepository(d, w.db).labels_without_embedding("routing-model")),
    case("AtlasRepository.write_embeddings", "write",
         lambda d, w: AtlasRepository(d, w.db).write_embeddings(["routing-kok"], np.full((1, 384), 0.05), "routing")),
    case("AtlasRepository.sweep_stale", "write", lambda d, w: AtlasRepository(d, w.db).sweep_stale("routing-test")),
    case("AtlasRepository.current_release", "read", lambda d, w: AtlasRepository(d, w.db).current_release()),
    case("AtlasRepository.stats", "read", lambda d, w: AtlasRepository(d, w.db).stats()),
    case("AtlasRepository.content_fingerprint", "read", lambda d, w: AtlasRepository(d, w.db).content_fingerprint()),
    # competency_atlas/lookup_repository.py
    case("lookup_repository.load_label_rows", "read",
         lambda d, w: lookup_repository.load_label_rows(d, w.db, "Occupation", "nl")),
    case("lookup_repository.concept_names", "read", lambda d, w: lookup_repository.concept_names(d, w.db, [OCC])),
    case("lookup_repository.release_tag", "read", lambda d, w: lookup_repository.release_tag(d, w.db)),
    case("lookup_repository.occupation_profile", "read",
         lambda d, w: lookup_repository.occupation_profile(d, w.db, OCC)),
    # competency_atlas/instrument_repository.py
    case("instrument_repository.write_instruments", "write",
         lambda d, w: instrument_repository.write_instruments(d, load_profiles(), w.db)),
    case("instrument_repository.count_instrument_graph", "read",
         lambda d, w: instrument_repository.count_instrument_graph(d, w.db)),
    # graph_schema/migrate.py
    case("migrate.migrate", "write", lambda d, w: migrations.migrate(d, w.db)),
    case("migrate.applied_versions", "read", lambda d, w: migrations.applied_versions(d, w.db)),
    case("migrate.current_version", "read", lambda d, w: migrations.current_version(d, w.db)),
    # matcher/repository.py
    case("matcher.repository.competency_labels", "read",
         lambda d, w: match_details.competency_labels(d, w.db, SKILLS, "nl")),
    case("matcher.repository.client_details", "read", lambda d, w: match_details.client_details(d, w.db, ["K-1"])),
    case("matcher.repository.vacancy_facts", "read", lambda d, w: match_details.vacancy_facts(d, w.db, ["V-1"])),
    case("matcher.repository.occupation_facts", "read",
         lambda d, w: match_details.occupation_facts(d, w.db, [OCC], "nl")),
    case("matcher.repository.work_history", "read", lambda d, w: match_details.work_history(d, w.db, "K-1")),
    # matcher/index_repository.py
    case("index_repository.load_index", "read", lambda d, w: index_repository.load_index(d, w.db)),
    case("index_repository.client_patches", "read", _client_patches),
    # matcher/freshness.py
    case("freshness.graph_state", "read", lambda d, w: freshness.graph_state(d, w.db)),
    case("freshness.changes_since", "read", lambda d, w: freshness.changes_since(d, w.db, 0)),
    # api/vacancy_reads.py
    case("vacancy_reads.list_vacancies", "read",
         lambda d, w: vacancy_reads.list_vacancies(d, w.db, status="open", region=None, municipality=None,
                                                   offset=0, limit=10)),
    case("vacancy_reads.get_vacancy", "read", lambda d, w: vacancy_reads.get_vacancy(d, w.db, "V-1")),
    # api/desk_repository.py
    case("desk_repository.regions", "read", lambda d, w: desk_repository.regions(d, w.db, "desk-1")),
    case("desk_repository.set_regions", "write",
         lambda d, w: desk_repository.set_regions(d, w.db, "desk-routing", ["AM13"], "admin-1")),
    case("desk_repository.desks", "read", lambda d, w: desk_repository.desks(d, w.db)),
    case("desk_repository.regions_and_owner", "read",
         lambda d, w: desk_repository.regions_and_owner(d, w.db, "desk-1", "V-1")),
    case("desk_repository.busiest_regions", "read", lambda d, w: desk_repository.busiest_regions(d, w.db, 3)),
    # api/match_repository.py
    case("match_repository.vacancy", "read", lambda d, w: match_repository.vacancy(d, w.db, "V-1")),
    case("match_repository.occupation", "read", lambda d, w: match_repository.occupation(d, w.db, OCC)),
    case("match_repository.client", "read", lambda d, w: match_repository.client(d, w.db, "K-1")),
    case("match_repository.candidates_with_decisions", "read",
         lambda d, w: match_repository.candidates_with_decisions(d, w.db, ["K-1", "K-2"], "candidate:V-1")),
    # api/mi_repository.py
    case("mi_repository.client_base", "read", lambda d, w: mi_repository.client_base(d, w.db)),
    case("mi_repository.group_size", "read", lambda d, w: mi_repository.group_size(d, w.db, ["matchable"], "WR12")),
    case("mi_repository.region_requirements", "read",
         lambda d, w: mi_repository.region_requirements(d, w.db, "WR12", 0.5)),
    case("mi_repository.occupation_requirements", "read",
         lambda d, w: mi_repository.occupation_requirements(d, w.db, OCC, 0.5)),
    case("mi_repository.shortfalls", "read",
         lambda d, w: mi_repository.shortfalls(d, w.db, {SKILLS[0]: 0.3}, ["matchable"], None)),
    # api/report_repository.py
    case("report_repository.version_saved (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: report_repository.version_saved(tx, "K-1", "routing-hash", "{}",
                                                                                    "coach-a"))),
    case("report_repository.latest_version", "read", lambda d, w: report_repository.latest_version(d, w.db, "K-1")),
    case("report_repository.version", "read",
         lambda d, w: report_repository.version(d, w.db, "K-1", "routing-hash")),
    case("report_repository.acknowledged (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: report_repository.acknowledged(tx, "K-1", "routing-hash", "{}",
                                                                                   "client", "coach-a", None))),
    case("report_repository.acknowledgements", "read",
         lambda d, w: report_repository.acknowledgements(d, w.db, "K-1")),
    # api/decision_repository.py
    case("decision_repository.decision_recorded (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: decision_repository.decision_recorded(
             tx, client_key="K-1", coach="coach-a", kind="vacancy", advice_ref="V-1", choice="follow",
             reason_code="agrees_with_advice", reason_text=""))),
    case("decision_repository.advice_target_exists", "read",
         lambda d, w: decision_repository.advice_target_exists(d, w.db, "occupation", OCC)),
    case("decision_repository.decisions_for_many", "read",
         lambda d, w: decision_repository.decisions_for_many(d, w.db, ["K-1", "K-2"], None)),
    case("decision_repository.list_decisions", "read",
         lambda d, w: decision_repository.list_decisions(d, w.db, "K-1", 0, 10)),
    # api/services/lookup.py (its own release tag reads, and the look-up repository under it)
    case("services.lookup.lookup_index", "read",
         lambda d, w: lookup_service.lookup_index({}, d, w.db, w.settings, "Occupation")),
    case("services.lookup.search_concepts", "read",
         lambda d, w: lookup_service.search_concepts({}, d, w.db, w.settings, "Occupation", "kok", "nl", 5)),
    case("services.lookup.occupation_profile_view", "read",
         lambda d, w: lookup_service.occupation_profile_view(d, w.db, OCC, "nl")),
    # api/services/measurements.py: its read of stored ids, then the measurement ingest's reads and writes
    case("services.measurements.ingest_measurement_batch", "write", _ingest_observation),
    # api/client_repository.py (not editable in this change: pending cases are expected failures)
    case("client_repository.assignments", "read",
         lambda d, w: client_repository.assignments(d, w.db, ["K-1", "K-2"])),
    case("client_repository.assign", "write",
         lambda d, w: client_repository.assign(d, w.db, "K-2", "coach", "coach-routing")),
    case("client_repository.unassign", "write",
         lambda d, w: client_repository.unassign(d, w.db, "K-2", "coach", "coach-routing")),
    case("client_repository.client_rows", "read",
         lambda d, w: client_repository.client_rows(d, w.db, "coach", "coach-a", ["K-1", "K-3"])),
    case("client_repository.scope_keys", "read",
         lambda d, w: client_repository.scope_keys(d, w.db, "coach", "coach-a")),
    case("client_repository.last_measured", "read",
         lambda d, w: client_repository.last_measured(d, w.db, ["K-1", "K-3"])),
    case("client_repository.client_profile", "read",
         lambda d, w: client_repository.client_profile(d, w.db, "K-1")),
    case("client_repository.measurements", "read",
         lambda d, w: client_repository.measurements(d, w.db, "K-1", 0, 10)),
    case("client_repository.measurement_snapshot", "read",
         lambda d, w: client_repository.measurement_snapshot(d, w.db, "K-1")),
    case("client_repository.consent_given (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: client_repository.consent_given(tx, "K-2", "V-1", "coach-b"))),
    case("client_repository.consent_withdrawn (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: client_repository.consent_withdrawn(tx, "K-2", "V-1"))),
    case("client_repository.consent_states", "read",
         lambda d, w: client_repository.consent_states(d, w.db, "V-1", ["K-1", "K-2"])),
    # api/audit.py (not editable in this change)
    case("audit.record_reads", "write",
         lambda d, w: audit.record_reads(d, w.db, ADMIN, ["K-1"], "routing", "TEST")),
    case("audit.record_act", "write",
         lambda d, w: audit.record_act(d, w.db, ADMIN, "routing", "TEST", client_key="K-1", target="V-1")),
    case("audit.act_recorded (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db,
                                 lambda tx: audit.act_recorded(tx, ADMIN, "routing", "TEST", client_key="K-1"))),
    case("audit.list_entries", "read", lambda d, w: audit.list_entries(d, w.db, client_key="K-1")),
    # api/introduction_repository.py
    case("introduction_repository.request_recorded (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: introduction_repository.request_recorded(tx, "K-1", "V-1",
                                                                                             "desk-a"))),
    case("introduction_repository.open_requests", "read",
         lambda d, w: introduction_repository.open_requests(d, w.db, ["K-1"])),
    case("introduction_repository.request_answered (in a write unit)", "write",
         lambda d, w: write_unit(d, w.db, lambda tx: introduction_repository.request_answered(tx, "K-1", "V-1",
                                                                                             "consent", "coach-a"))),
    case("audit.record_nothing", "write", lambda d, w: audit.record_nothing(d, w.db)),
]


@pytest.mark.parametrize(("kind", "call"), CASES)
def test_reads_are_read_routed_and_writes_write_routed(world, kind, call):
    recorder = RecordingDriver(world.driver)
    call(recorder, world)
    check(recorder.calls, kind)


def test_the_recorder_sees_each_kind_of_routing(world):
    """The checks above would pass vacuously if the recorder missed a routing: each kind once."""
    from graph_schema.db import read, read_session, write_session

    d = RecordingDriver(world.driver)
    assert read(d, "RETURN 1 AS one", world.db).records[0]["one"] == 1  # graph_schema.db.read: auto-commit
    d.execute_query("RETURN 1", routing_=RoutingControl.READ, database_=world.db)
    d.execute_query("CREATE (n:RoutingProbe) DELETE n", database_=world.db)
    with read_session(d, world.db) as session:
        session.run("RETURN 1").consume()
        session.execute_read(lambda tx: tx.run("RETURN 2").consume())
    with write_session(d, world.db) as session:
        session.execute_write(lambda tx: tx.run("CREATE (n:RoutingProbe) DELETE n").consume())
    bare = RecordingDriver(world.driver)
    with bare.session(database=world.db) as session:  # a bare session: write mode, no shared bookmarks
        session.run("RETURN 3").consume()
    assert [(c.api, c.mode, c.chained, c.writes) for c in d.calls + bare.calls] == [
        ("session.run", READ, True, False), ("execute_query", READ, True, False), ("execute_query", WRITE, True, True),
        ("session.run", READ, True, False),
        ("execute_read", READ, True, False), ("execute_write", WRITE, True, True),
        ("session.run", WRITE, False, False)]
    with pytest.raises(AssertionError, match="read sent with write routing"):
        check([dataclasses.replace(bare.calls[0], chained=True)], "read")
    with pytest.raises(AssertionError, match="shared bookmarks"):
        check(bare.calls, "read")


def test_a_write_session_hands_its_bookmark_to_the_reads_after_it(world):
    """On the real server: a bare session's bookmark never reaches execute_query's bookmark manager
    (a read after it could come from a follower that has not applied it); a write_session's does."""
    from graph_schema.db import write_session

    manager = world.driver.execute_query_bookmark_manager
    with world.driver.session(database=world.db) as bare:
        bare.execute_write(lambda tx: tx.run("CREATE (:RoutingProbe)").consume())
        assert not set(bare.last_bookmarks().raw_values) <= set(manager.get_bookmarks())
    with write_session(world.driver, world.db) as session:
        session.execute_write(lambda tx: tx.run("MATCH (p:RoutingProbe) DELETE p").consume())
        assert set(session.last_bookmarks().raw_values) <= set(manager.get_bookmarks())
