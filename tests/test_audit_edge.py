"""The edge holds an answer until its audit entries are committed, with the handler's thread free
meanwhile; an answer whose entries could not be committed is the error, never the data. And the
audit writer lingers for more requests' entries only while other requests are in flight."""
from __future__ import annotations

import threading
import time

import httpx
from neo4j.exceptions import ServiceUnavailable

from api import audit, request_context
from api.access import Role
from api.app import create_app
from api_fixtures import NAME_1, api, api_settings, audit_count, seed_world, served  # noqa: F401  (fixture)


def _held_writes(monkeypatch):
    """audit.write_once held until `release` is set; `taken` is set once the writer has rows."""
    taken, release, real = threading.Event(), threading.Event(), audit.write_once

    def held(driver, query, database, **params):
        taken.set()
        assert release.wait(20), "the test never released the audit write"
        return real(driver, query, database, **params)

    monkeypatch.setattr(audit, "write_once", held)
    return taken, release


def test_a_read_waiting_for_its_audit_commit_holds_no_thread(clean_db, settings, tmp_path, monkeypatch):
    # One handler thread: a read waiting in that thread for its commit would stop every other
    # handler until the commit is done.
    app = create_app(api_settings(settings, tmp_path, api_threads=1))
    seed_world(clean_db, settings.neo4j_database)
    token, _ = app.state.tokens.create("coach-a", Role.COACH, "test")
    answered = {}
    with served(app) as url:
        taken, release = _held_writes(monkeypatch)  # after start: its warm-up writes no entry, but plans one
        def read_profile():
            r = httpx.get(f"{url}/clients/K-1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            answered["status"], answered["entries"] = r.status_code, audit_count_now()

        def audit_count_now():
            return clean_db.execute_query("MATCH (a:AuditEntry {client_key: 'K-1'}) RETURN count(a) AS n",
                                          database_=settings.neo4j_database).records[0]["n"]

        reader = threading.Thread(target=read_profile)
        reader.start()
        assert taken.wait(20)
        health = httpx.get(f"{url}/healthz", timeout=5)  # a handler in the one thread, while the read waits
        assert health.status_code == 200 and "status" not in answered  # the read is still held
        release.set()
        reader.join(30)
    assert answered == {"status": 200, "entries": 1}  # answered only once its entry was committed


def test_an_answer_whose_audit_entries_could_not_be_committed_is_a_503_without_the_data(api, monkeypatch):
    def refused(*args, **kwargs):
        raise ServiceUnavailable("Neo4j went away")

    monkeypatch.setattr(audit, "write_once", refused)
    r = api.client.get("/clients/K-1", headers=api.h("coach"))
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
    assert r.headers["content-type"].startswith("application/problem+json") and NAME_1 not in r.text
    assert r.headers["x-request-id"] and r.headers["cache-control"] == "no-store"  # the edge's headers
    ranked = api.client.get("/clients/K-1/vacancies", headers=api.h("coach"))  # entries sent before the work
    assert ranked.status_code == 503 and "V-1" not in ranked.text
    assert audit_count(api, "K-1") == 0


def test_any_other_audit_failure_is_a_500_without_the_data(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "write_once", broken)
    r = api.client.get("/clients/K-1", headers=api.h("coach"))
    assert r.status_code == 500 and NAME_1 not in r.text


def _gathered(commit: audit.GroupCommit, arrivals: list[float], monkeypatch, in_flight: int):
    """The batch the writer forms from a first row at once and one more row at each `arrivals` delay."""
    monkeypatch.setattr(request_context, "in_flight", lambda: in_flight)
    item = ("driver", "db", [{"id": "r"}], None)

    def later():
        for delay in arrivals:
            time.sleep(delay)
            commit._queue.put(item)

    feeder = threading.Thread(target=later)
    feeder.start()
    started = time.monotonic()
    batch = commit._gather(item)
    took = time.monotonic() - started
    feeder.join()
    return len(batch), took


def test_the_writer_lingers_while_other_requests_may_still_send_entries(monkeypatch):
    lingering = audit.GroupCommit(linger_s=5.0)
    size, took = _gathered(lingering, [0.1, 0.1], monkeypatch, in_flight=3)
    assert size == 3 and took < 2.0  # all three in flight sent theirs: no need to wait longer
    size, took = _gathered(audit.GroupCommit(linger_s=0.4), [0.1], monkeypatch, in_flight=5)
    assert size == 2 and 0.35 < took < 2.0  # two never came: committed when the linger was over


def test_one_request_at_a_time_never_waits_for_others(monkeypatch):
    size, took = _gathered(audit.GroupCommit(linger_s=5.0), [0.5], monkeypatch, in_flight=1)
    assert size == 1 and took < 0.3
    size, took = _gathered(audit.GroupCommit(linger_s=0.0), [0.1], monkeypatch, in_flight=8)
    assert size == 1 and took < 0.3  # no linger configured: at once, as before


def test_an_act_whose_audit_entry_cannot_be_written_is_not_stored_either(api, monkeypatch):
    # The consent, the desk's request it answers and the entry are one transaction: before, a
    # failure after the consent left the client's identity visible to the desk without an entry.
    api.driver.execute_query("CREATE (:IntroductionRequest {client_key: 'K-1', vacancy_id: 'V-1', status: 'open'})",
                             database_=api.db)

    def refused(*args, **kwargs):
        raise RuntimeError("disk full")  # not retried by the driver (a ServiceUnavailable is, for 30 s)

    monkeypatch.setattr(audit, "act_recorded", refused)
    given = api.client.post("/clients/K-1/consents", json={"vacancy_id": "V-1"}, headers=api.h("coach"))
    decided = api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "vacancy", "target": "V-1", "choice": "follow", "reason_code": "agrees_with_advice"})
    assert given.status_code == 500 and decided.status_code == 500
    [state] = api.driver.execute_query(
        "MATCH (c:Client {key: 'K-1'}) RETURN EXISTS { (c)-[:CONSENTED]->() } AS consented, "
        "EXISTS { (:Decision)-[:ABOUT]->(c) } AS decided, "
        "COLLECT { MATCH (r:IntroductionRequest {client_key: 'K-1'}) RETURN r.status } AS requests",
        database_=api.db).records
    assert (state["consented"], state["decided"], state["requests"]) == (False, False, ["open"])
    monkeypatch.undo()
    assert api.client.post("/clients/K-1/consents", json={"vacancy_id": "V-1"}, headers=api.h("coach")).status_code == 201
    acts = api.driver.execute_query("MATCH (a:AuditEntry {client_key: 'K-1', action: 'consent_given'}) "
                                    "RETURN count(a) AS n", database_=api.db).records[0]["n"]
    assert acts == 1


def test_an_introduction_request_whose_audit_entry_cannot_be_written_is_not_stored_either(api, monkeypatch):
    # The desk's request and its entry are one transaction (were two: the request, then the entry).
    card = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"][0]

    def state() -> tuple[list, int]:
        requests = api.driver.execute_query("MATCH (r:IntroductionRequest) RETURN properties(r) AS p ORDER BY r.client_key, "
                                            "r.vacancy_id", database_=api.db).records
        entries = api.driver.execute_query("MATCH (a:AuditEntry {action: 'introduction_request'}) RETURN count(a) AS n",
                                           database_=api.db).records[0]["n"]
        return [dict(r["p"]) for r in requests], entries

    before = state()
    monkeypatch.setattr(audit, "act_recorded", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    asked = api.client.post("/vacancies/V-1/introductions", json={"candidate": card["candidate"]},
                            headers=api.h("employer_desk"))
    assert asked.status_code == 500 and state() == before
    monkeypatch.undo()
    assert api.client.post("/vacancies/V-1/introductions", json={"candidate": card["candidate"]},
                           headers=api.h("employer_desk")).status_code == 200
    assert state()[1] == before[1] + 1


def test_every_request_leaves_the_in_flight_count_as_it_found_it(api, monkeypatch):
    # A request left counted would make every later lone request linger for the others.
    before = request_context.in_flight()
    api.client.get("/clients/K-1", headers=api.h("coach"))
    api.client.get("/clients/K-404", headers=api.h("coach"))
    api.client.get("/healthz")
    monkeypatch.setattr(audit, "write_once", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    assert api.client.get("/clients/K-1", headers=api.h("coach")).status_code == 500
    assert request_context.in_flight() == before
