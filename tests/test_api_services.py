"""The use cases the JSON API and the pages share (api/services), called directly: the caseload
overview (search, newest measurement and open gate decisions in a fixed number of queries), the
hours/education filters done in the index, decisions and consent."""
from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from api.access import Principal, Role
from api.deps import Ctx
from api.problems import ApiProblem
from api.services import advice, caseload, consent, decisions
from api_fixtures import OCC, api, audit_count  # noqa: F401  (fixture)
from matcher.freshness import bump_generation


class CountingDriver:
    """The real driver, counting the queries sent: execute_query and auto-commit session.run
    (graph_schema.db.read)."""

    def __init__(self, driver):
        self.driver, self.queries, self.texts = driver, 0, []

    def execute_query(self, *args, **kwargs):
        self.queries += 1
        self.texts.append(str(args[0]))
        return self.driver.execute_query(*args, **kwargs)

    def session(self, **config):
        session, counter = self.driver.session(**config), self

        class Counted:
            def __enter__(self):
                session.__enter__()
                return self

            def __exit__(self, *exc):
                return session.__exit__(*exc)

            def run(self, *args, **kwargs):
                counter.queries += 1
                counter.texts.append(str(args[0]))
                return session.run(*args, **kwargs)
        return Counted()

    @property
    def execute_query_bookmark_manager(self):
        return self.driver.execute_query_bookmark_manager


class InFlight:
    """How many threads are inside `with` at once now, and the most there ever were."""

    def __init__(self):
        self.now = self.most = 0
        self._lock = threading.Lock()

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        with self._lock:
            self.now -= 1


def ctx_of(api, subject: str = "coach-a", role: Role = Role.COACH, driver=None) -> Ctx:
    return Ctx(Principal(subject, role), driver or api.driver, api.db, api.settings, "TEST")


def test_caseload_overview_searches_by_key_and_reads_a_page_in_a_fixed_number_of_queries(api):
    all_rows = caseload.overview(ctx_of(api), {}, "", 0, 25)
    assert [r["key"] for r in all_rows["items"]] == ["K-1", "K-3"] and all_rows["total"] == 2
    assert {r["key"]: r["last_measured"] for r in all_rows["items"]} == {"K-1": "2024-04-12", "K-3": "2024-04-12"}
    assert {r["key"]: r["open_gate_decision"] for r in all_rows["items"]} == {"K-1": False, "K-3": True}
    found = caseload.overview(ctx_of(api), {}, " k-3 ", 0, 25)  # any case, spaces ignored
    assert [r["key"] for r in found["items"]] == ["K-3"] and found["total"] == 1
    assert caseload.overview(ctx_of(api), {}, "K-9", 0, 25)["items"] == []
    assert audit_count(api, "K-3") == 2 and audit_count(api, "K-1") == 1  # only the listed clients

    two, one = CountingDriver(api.driver), CountingDriver(api.driver)
    caseload.overview(ctx_of(api, driver=two), {}, "", 0, 25)
    caseload.overview(ctx_of(api, driver=one), {}, "K-3", 0, 25)
    # the caseload (read here: each call starts with an empty cache), the page's rows, audit, newest
    # measurements, gate decisions, introduction requests: not one per row
    assert two.queries == one.queries == 6

    decisions.record_decision(ctx_of(api), "K-3", "gate", "not_matchable", "follow", "agrees_with_advice", "")
    assert not caseload.overview(ctx_of(api), {}, "K-3", 0, 25)["items"][0]["open_gate_decision"]


def test_a_client_page_is_one_access_checked_read_per_kind_and_one_audit_write(api):
    from api.services import clients

    counted = CountingDriver(api.driver)
    profile, measurements = clients.read_profile_and_measurements(ctx_of(api, driver=counted), "K-1", 500)
    assert profile["key"] == "K-1" and "assignment" not in profile and measurements
    assert counted.queries == 3  # the profile with who may see it and the decisions, the measurements, audit
    counted = CountingDriver(api.driver)
    assert clients.read_profile(ctx_of(api, driver=counted), "K-1")["key"] == "K-1" and counted.queries == 2
    with pytest.raises(ApiProblem) as other:
        clients.read_profile_and_measurements(ctx_of(api, "coach-b"), "K-1", 500)
    assert other.value.status == 404


def test_a_coachs_candidate_page_reads_facts_and_decisions_together(api):
    from api.services import matching, shortlist

    # A fact the row shows (its occupation is one the client wishes), read with the decisions.
    api.driver.execute_query(f"MATCH (c:Client {{key: 'K-1'}}) SET c.preferred_occupations = ['{OCC}']",
                             database_=api.db)
    decisions.record_decision(ctx_of(api), "K-1", "candidate", "V-1", "follow", "agrees_with_advice", "")
    decisions.record_decision(ctx_of(api), "K-1", "candidate", "V-1", "override", "travel_distance", "Te ver.")
    decisions.record_decision(ctx_of(api), "K-1", "candidate", "V-2", "follow", "agrees_with_advice", "")
    counted = CountingDriver(api.driver)
    page = shortlist.candidates(ctx_of(api, driver=counted), api.app.state, "V-1", 0, 20)
    shown = {r["candidate"]: r for r in page["items"]}
    # the latest on this shortlist, not V-2's newer one
    assert shown["K-1"]["decision"]["choice"] == "override" and shown["K-1"]["decision"]["reason_code"] == "travel_distance"
    assert shown["K-1"]["preference"] == "wished"
    service = matching.matcher(api.app.state, api.driver, api.db)
    apart = matching.candidate_rows(service, matching.vacancy_target(service, "V-1"), list(shown), 0)  # reads its own
    assert [{k: v for k, v in r.items() if k not in ("candidate", "decision")} for r in page["items"]] == apart
    rows_read = [q for q in counted.texts if "$clients" in q]  # the rows' client facts
    assert len(rows_read) == 1 and "Decision" in rows_read[0]
    assert [q for q in counted.texts if "Decision" in q] == rows_read  # no read of their own


def test_hours_and_education_filters_leave_vacancies_out_in_the_index(api):
    api.driver.execute_query(
        "MATCH (c:Client {key: 'K-1'}) SET c.hours_available = 20 "
        "WITH c MATCH (v:Vacancy {id: 'V-2'}) SET v.hours_per_week = 36", database_=api.db)
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)
    ctx = ctx_of(api)
    every = advice.client_vacancies(ctx, api.app.state, "K-1", None, 0, 20)
    assert every["total"] == 2
    assert {r["vacancy"]["id"]: r["hours_short"] for r in every["items"]} == {"V-1": False, "V-2": True}
    fitting = advice.client_vacancies(ctx, api.app.state, "K-1", None, 0, 20, only_hours=True)
    assert [r["vacancy"]["id"] for r in fitting["items"]] == ["V-1"] and fitting["total"] == 1
    assert advice.client_vacancies(ctx, api.app.state, "K-1", None, 0, 20, only_education=True)["total"] == 2


def test_decision_and_consent_services(api):
    ctx = ctx_of(api)
    with pytest.raises(decisions.InvalidDecision) as bad:
        decisions.record_decision(ctx, "K-1", "vacancy", "V-1", "override", "no-such-code", "x")
    assert bad.value.problems == [("reason_code", "unknown value")]
    for kind, target in (("vacancy", "V-404"), ("candidate", "V-404"), ("occupation", "foo")):
        with pytest.raises(decisions.InvalidDecision) as nowhere:  # stored with a 201 before
            decisions.record_decision(ctx, "K-1", kind, target, "follow", "agrees_with_advice", "")
        assert [f for f, _ in nowhere.value.problems] == ["target"]
    assert decisions.record_decision(ctx, "K-1", "occupation", OCC, "follow", "agrees_with_advice", "")["choice"] == "follow"
    with pytest.raises(ApiProblem) as hidden:  # coach-b's client: the shared 404, before anything else
        decisions.record_decision(ctx, "K-2", "vacancy", "V-1", "follow", "agrees_with_advice", "")
    assert hidden.value.status == 404
    assert consent.give_consent(ctx, "K-1", "V-404") is None
    assert consent.give_consent(ctx, "K-1", "V-1")["consented"] is True
    assert consent.withdraw_consent(ctx, "K-1", "V-404") == {"client_key": "K-1", "vacancy_id": "V-404",
                                                            "consented": False, "at": None}


# ---------------------------------------------------------------- a ranked row's requirement lists

def test_a_ranked_row_names_its_heaviest_unknowns_and_counts_the_rest_without_hidden_ones():
    from api.services.matching import NAMED, explain
    from matcher.scoring import Evidence, Requirement, score_requirements

    # importance 1-3 on essential and optional alike: a heavy optional one outweighs a light essential one
    reqs = [Requirement(f"onet:u{i:02d}", f"eis {i:02d}", 0.5, importance=1.0 + i % 3, essential=i % 4 < 2)
            for i in range(NAMED + 6)]
    reqs.append(Requirement("onet:m", "gemeten", 0.5))
    row = explain(score_requirements(reqs, {"onet:m": Evidence(0.9, 1.0, "ABC")}))
    assert [c["uri"] for c in row["met"]] == ["onet:m"]
    essential = sorted((q for q in reqs[:-1] if q.essential), key=lambda q: (-q.weight, q.label))
    optional = sorted((q for q in reqs[:-1] if not q.essential), key=lambda q: (-q.weight, q.label))
    assert max(q.weight for q in optional) > min(q.weight for q in essential)
    heaviest = (essential + optional)[:NAMED]
    assert [c["uri"] for c in row["unknown"]] == [q.competency for q in heaviest]
    assert row["unknown_more"] == 6
    hidden = frozenset({heaviest[0].competency, "onet:m"})
    cut = explain(score_requirements(reqs, {"onet:m": Evidence(0.9, 1.0, "ABC")}), hidden)
    assert cut["met"] == [] and cut["unknown_more"] == 5
    assert hidden.isdisjoint(c["uri"] for c in cut["unknown"]) and len(cut["unknown"]) == NAMED


def test_a_ranked_row_names_its_heaviest_met_requirements_and_counts_the_rest_but_names_every_shortfall():
    from api.services.matching import NAMED, explain
    from matcher.scoring import Evidence, Requirement, score_requirements

    reqs = [Requirement(f"onet:m{i:02d}", f"eis {i:02d}", 0.5, importance=1.0 + i % 3, essential=i % 4 < 2)
            for i in range(NAMED + 4)]
    short = [Requirement(f"onet:s{i:02d}", f"tekort {i:02d}", 0.9) for i in range(NAMED + 2)]
    profile = {q.competency: Evidence(0.95, 1.0, "ABC") for q in reqs} | {q.competency: Evidence(0.1, 1.0, "ABC")
                                                                         for q in short}
    row = explain(score_requirements(reqs + short, profile))
    heaviest = sorted(reqs, key=lambda q: (not q.essential, -q.weight, q.label))[:NAMED]
    assert [c["uri"] for c in row["met"]] == [q.competency for q in heaviest] and row["met_more"] == 4
    assert len(row["missing"]) == NAMED + 2 and row["unknown_more"] == 0  # what a client lacks: every one
    cut = explain(score_requirements(reqs + short, profile), frozenset({heaviest[0].competency}))
    assert cut["met_more"] == 3 and heaviest[0].competency not in {c["uri"] for c in cut["met"]}


def _named_plainly(match, hidden):
    """A ranked row's lists by the rule itself: a pass over every result (what explain did before it
    looked only at the evidenced ones)."""
    from api.services.matching import NAMED
    from matcher.scoring import Status

    shown = [r for r in match.results if r.requirement.competency not in hidden]
    by_weight = [match.results[i] for i in match.heaviest if match.results[i].requirement.competency not in hidden]
    met = [r for r in by_weight if r.status is Status.MET]
    unknown = [r for r in by_weight if r.status is Status.UNKNOWN]
    uris = lambda rs: [r.requirement.competency for r in rs]  # noqa: E731
    return {"met": uris(met[:NAMED]), "met_more": max(0, len(met) - NAMED),
            "partly_met": uris(r for r in shown if r.status is Status.PARTLY_MET),
            "missing": uris(r for r in shown if r.status is Status.MISSING),
            "unknown": uris(unknown[:NAMED]), "unknown_more": max(0, len(unknown) - NAMED)}


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.floats(0, 1), st.floats(0.5, 5), st.booleans()), max_size=40),
       st.dictionaries(st.integers(0, 30), st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=30),
       st.sets(st.integers(0, 30), max_size=6), st.sampled_from([0, 1, 3, 10]))
def test_a_ranked_rows_lists_follow_the_rule_whatever_the_requirements_evidence_and_hidden(asked, held, hidden, named):
    """Any requirements (a competency listed twice among them), evidence, hidden competencies and
    number named."""
    from unittest import mock

    from api.services import matching
    from matcher.scoring import Evidence, Requirement, score_requirements

    reqs = [Requirement(f"onet:k{c}", f"eis {c}", level, importance=weight, essential=essential)
            for c, level, weight, essential in asked]
    profile = {f"onet:k{c}": Evidence(level, conf, "ABC") for c, (level, conf) in held.items()}
    hidden = frozenset(f"onet:k{c}" for c in hidden)
    match = score_requirements(reqs, profile)
    with mock.patch.object(matching, "NAMED", named):
        row = matching.explain(match, hidden)
        got = {k: [c["uri"] for c in v] if isinstance(v, list) else v for k, v in row.items() if k in
               ("met", "met_more", "partly_met", "missing", "unknown", "unknown_more")}
        assert got == _named_plainly(match, hidden)


def test_request_handlers_run_on_as_many_threads_as_configured(clean_db, settings, tmp_path):
    import time

    import anyio.to_thread
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api_fixtures import api_settings

    app = create_app(api_settings(settings, tmp_path, api_threads=2))
    handling = InFlight()

    @app.get("/_slow")
    def slow() -> dict:  # a sync handler, as every route of the API is
        with handling:
            time.sleep(0.2)
        return {}

    with TestClient(app) as client:
        assert client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens) == 2
        calls = [threading.Thread(target=client.get, args=("/_slow",)) for _ in range(6)]
        for t in calls:
            t.start()
        for t in calls:
            t.join(10)
    assert handling.most == 2  # six at once, two handled at a time


def test_an_api_read_takes_one_trip_to_the_thread_pool_and_its_answer_is_still_validated(api, monkeypatch):
    """FastAPI would validate a sync endpoint's answer in a second trip to the pool, queueing again
    behind every request that arrived meanwhile (api/json_route.py): one trip, the same answer."""
    import anyio.to_thread

    from api.app import API_MODULES
    from api.json_route import JsonRoute
    from api.routes import clients

    trips, run_sync = [], anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        trips.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    r = api.client.get("/clients/K-1", headers=api.h("coach"))
    assert r.status_code == 200 and r.json()["key"] == "K-1" and r.headers["content-type"] == "application/json"
    assert len(trips) == 1
    assert all(isinstance(route, JsonRoute) for module in API_MODULES for route in module.router.routes)
    # what the endpoint returns is still checked against the model: a wrong answer is a 500, not sent
    monkeypatch.setattr(clients.service, "read_profile", lambda *a, **k: {"key": "K-1"})
    wrong = api.client.get("/clients/K-1", headers=api.h("coach"))
    assert wrong.status_code == 500 and wrong.headers["content-type"].startswith("application/problem+json")
    assert "key" not in wrong.json()


def test_a_long_running_handler_never_holds_the_threads_of_a_session(clean_db, settings, tmp_path):
    """One session thread: while a long handler (an upload, management information) runs on its own
    threads, a session's request is still answered; long ones queue among themselves."""
    import time

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.threads import long_running
    from api_fixtures import api_settings

    app = create_app(api_settings(settings, tmp_path, api_threads=1, api_long_threads=1))
    release, handling = threading.Event(), InFlight()

    @app.get("/_long")
    @long_running
    def long() -> dict:
        with handling:
            release.wait(30)
        return {"long": True}

    @app.get("/_quick")
    def quick() -> dict:  # a plain handler, on the session's one thread
        return {"quick": True}

    with TestClient(app) as client:
        answers = []
        calls = [threading.Thread(target=lambda: answers.append(client.get("/_long").json())) for _ in range(2)]
        for t in calls:
            t.start()
        try:
            deadline = time.monotonic() + 10
            while handling.now == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            sent = time.monotonic()
            assert client.get("/_quick").json() == {"quick": True}
            assert time.monotonic() - sent < 5  # not after a long one gave up its wait (30 s)
            assert handling.now == 1  # the second long one waits for the first
        finally:
            release.set()
        for t in calls:
            t.join(10)
    assert answers == [{"long": True}] * 2 and handling.most == 1


def test_a_long_running_handlers_answer_is_validated_on_its_thread_not_the_event_loop():
    """An upload's answer (a thousand rows' outcomes) is validated and serialised where the handler
    ran, as a session's is: never on the event loop, which every request of the worker waits on."""
    from fastapi import APIRouter, FastAPI
    from fastapi.testclient import TestClient
    from pydantic import BaseModel, field_validator

    from api.json_route import JsonRoute
    from api.threads import long_running

    where: dict[str, int] = {}

    class Out(BaseModel):
        n: int

        @field_validator("n")
        @classmethod
        def seen(cls, n: int) -> int:
            where["validated"] = threading.get_ident()
            return n

    router = APIRouter(route_class=JsonRoute)

    @router.get("/_long", response_model=Out)
    @long_running
    def long(bad: bool = False) -> dict:
        where["handled"] = threading.get_ident()
        return {"n": "not a number"} if bad else {"n": 7}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/_long")
        assert r.status_code == 200 and r.json() == {"n": 7}
        assert where["validated"] == where["handled"]
        assert client.get("/_long", params={"bad": True}).status_code == 500  # still checked against the model
    assert router.routes[0].endpoint.__code__.co_name == "on_long_threads"


def test_the_handlers_that_may_run_long_are_the_ones_on_their_own_threads():
    """Batch ingests, the desk's upload, management information and the report PDF never hold a
    session's threads (api/threads.py); every other handler is a session's."""
    from api.app import API_MODULES
    from api.pages import MODULES as PAGE_MODULES

    long = {(method, route.path) for module in (*API_MODULES, *PAGE_MODULES) for route in module.router.routes
            for method in route.methods if route.endpoint.__code__.co_name == "on_long_threads"}
    assert long == {("POST", "/measurements"), ("POST", "/vacancies"), ("GET", "/mi/client-base"),
                    ("GET", "/mi/missing-competencies"), ("GET", "/mi/vacancies/{vacancy_id}/exclusions"),
                    ("POST", "/werkgever/bestand"), ("GET", "/klanten/{key}/rapport.pdf")}
