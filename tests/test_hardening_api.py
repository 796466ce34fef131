"""The findings of the probe of the running demo API (issue 17), each through the real app on the
real Neo4j: sensitive competencies on employer cards, attributable token issuance, hostile input
answered 422 (never 500), the consent pseudonym and audit, no redirect to another key, the
validation gaps, headers, /docs without a CDN, 413 for chunked bodies, the throttle, and the
ingest answer's counts."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api_fixtures import SUBJECTS, api, api_settings, seed_world  # noqa: F401  (fixture)

SENSITIVE = "onet:1.C.1.a"  # ABC ambitie maps to it; the seeded vacancies require it
MEASUREMENT = {"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", "scores": {"Samenwerken": 7}}
JSON = {"Content-Type": "application/json"}


def _problem(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def _audit(api, action: str) -> list[dict]:
    records, _, _ = api.driver.execute_query(
        "MATCH (a:AuditEntry {action: $action}) RETURN a {.*} AS a ORDER BY a.at", action=action, database_=api.db)
    return [r["a"] for r in records]


# ---------------------------------------------------------------- (a) sensitive scales

def test_employer_cards_never_name_a_competency_a_sensitive_scale_reaches(api):
    cards = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
    assert cards
    for card in cards:
        for status in ("met", "partly_met", "missing", "unknown"):
            assert SENSITIVE not in {c["uri"] for c in card[status]}, (status, card)
    coach = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
    assert any(SENSITIVE in {c["uri"] for s in ("met", "partly_met", "missing", "unknown") for c in row[s]}
               for row in coach)  # the coach still sees the whole requirement list


def test_employer_cards_never_count_a_sensitive_competency_among_the_unknowns_they_do_not_name(api, monkeypatch):
    monkeypatch.setattr("api.services.matching.NAMED", 0)  # every met and unknown one counted, none named
    cards = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
    coach = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
    counted = lambda row: (sum(len(row[s]) for s in ("partly_met", "missing"))  # noqa: E731
                           + row["met_more"] + row["unknown_more"])
    assert cards and not any(row["unknown"] or row["met"] for row in cards + coach)
    assert {counted(card) for card in cards} == {counted(row) - 1 for row in coach}  # one requirement less


# ---------------------------------------------------------------- (b) token issuance

def test_an_admin_cannot_mint_a_caseload_token_and_every_minted_token_is_audited(api):
    for role in ("coach", "ctc_advisor"):
        r = api.client.post("/admin/tokens", json={"subject": "coach-demo", "role": role}, headers=api.h("admin"))
        assert _problem(r, 422)["errors"][0]["field"] == "role"
    assert _audit(api, "token_created") == []
    r = api.client.post("/admin/tokens", json={"subject": "desk-9", "role": "employer_desk"},
                        headers={**api.h("admin"), "X-Request-ID": "mint-1"})
    assert r.status_code == 201 and r.json()["created_by"] == "admin:admin-1"
    [entry] = _audit(api, "token_created")
    assert entry["subject"] == "admin-1" and entry["role"] == "admin" and entry["request_id"] == "mint-1"
    assert entry["target"].startswith("employer_desk:desk-9 id ") and r.json()["token"] not in str(entry)
    listed = api.client.get("/admin/audit", headers=api.h("admin")).json()["items"]
    assert any(i["action"] == "token_created" and i["target"] == entry["target"] for i in listed)
    token_id = r.json()["token_id"]
    assert api.client.delete(f"/admin/tokens/{token_id}", headers=api.h("admin")).status_code == 204
    assert _audit(api, "token_revoked")[0]["target"] == f"id {token_id}"


# ---------------------------------------------------------------- (c) hostile input: 422, never 500

HOSTILE = [
    ("/measurements", b'[{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"scores": {"samenwerken": 1' + b"0" * 400 + b"}}]", "0.scores.samenwerken"),
    ("/measurements", b'[{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"blocks": {"locus_of_control": ' + b"7" * 400 + b"}}]", "0.blocks.locus_of_control"),
    ("/measurements", b'[{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"scores": {"samenwerken": NaN}}]', "0.scores.samenwerken"),
    ("/measurements", b'[{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"administered_by": "\\ud800", "scores": {"samenwerken": 7}}]', "0.administered_by"),
    ("/measurements", b'[{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"identity": {"name": "\\ud800"}, "scores": {"samenwerken": 7}}]', "0.identity.name"),
    ("/measurements", b'[{"client_key": "\\ud800", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"scores": {"samenwerken": 7}}]', "0.client_key"),
    ("/vacancies", b'[{"identifier": "V-9", "title": "\\ud800"}]', "0.title"),
    ("/vacancies", b'[{"identifier": "V-9", "title": "Kok", "jobLocation": {"geo": {"latitude": Infinity}}}]',
     "0.jobLocation.geo.latitude"),
    ("/vacancies", b'[{"identifier": "V-9", "title": "Kok", "skills": ' + b"[" * 300 + b"]" * 300 + b"}]", None),
    ("/clients/K-1/observations", b'{"scale": "samenwerken", "score": 1' + b"0" * 400 + b"}", "score"),
    ("/clients/K-1/decisions", b'{"kind": "vacancy", "target": "V-1", "choice": "override", '
                               b'"reason_code": "other", "reason_text": "a\\u0000b"}', "reason_text"),
    # a key given twice: the last one used to win silently (the measurement went to K-2)
    ("/measurements", b'[{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", '
                      b'"client_key": "K-2", "scores": {"samenwerken": 7}}]', "0.client_key"),
]


@pytest.mark.parametrize("path,body,field", HOSTILE)
def test_hostile_json_is_a_422_naming_the_field_and_nothing_lands(api, path, body, field):
    who = "employer_desk" if path == "/vacancies" else "coach"
    r = api.client.post(path, content=body, headers={**api.h(who), **JSON})
    problem = _problem(r, 422)
    error = problem["errors"][0]
    assert error["location"] == "body"
    if field is not None:
        assert error["field"] == field, error
    records, _, _ = api.driver.execute_query("MATCH (n) WHERE n:Measurement OR n:Vacancy RETURN count(n) AS n",
                                             database_=api.db)
    assert records[0]["n"] == 5  # the seeded 3 measurements and 2 vacancies: nothing new
    assert "Traceback" not in r.text


def test_a_lone_surrogate_in_a_query_is_a_422_naming_the_parameter(api):
    r = api.client.get("/occupations?q=%ED%A0%80", headers=api.h("coach"))
    error = _problem(r, 422)["errors"][0]
    assert (error["location"], error["field"]) == ("query", "q")


# ---------------------------------------------------------------- (d) consent

def test_withdrawing_consent_gives_the_client_a_new_pseudonym_and_each_act_is_audited(api):
    def card_of_k1() -> dict:
        items = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
        return next(c for c in items if c.get("client_key") == "K-1" or c["candidate"] in seen)

    before = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
    seen = {c["candidate"] for c in before}
    r = api.client.post("/clients/K-1/consents", json={"vacancy_id": "V-1"},
                        headers={**api.h("coach"), "X-Request-ID": "consent-1"})
    assert r.status_code == 201
    during = card_of_k1()
    assert during["consented"] is True and during["candidate"] in seen  # the same card, now with a name
    pseudonym_during = during["candidate"]
    asked = api.client.post("/vacancies/V-1/introductions", json={"candidate": pseudonym_during},
                            headers=api.h("employer_desk"))
    now = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
    assert asked.status_code == 200 and next(c for c in now if c["candidate"] == pseudonym_during).get("introduction_asked_at")
    assert api.client.delete("/clients/K-1/consents/V-1", headers=api.h("coach")).status_code == 200
    after = api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
    assert pseudonym_during not in {c["candidate"] for c in after}
    assert all(c["consented"] is False and "client_key" not in c for c in after)
    # the request asked under the old pseudonym is not said on the new card: it would link the two
    assert all(c.get("introduction_asked_at") is None for c in after)
    assert len(after) == len(before)
    given, withdrawn = _audit(api, "consent_given"), _audit(api, "consent_withdrawn")
    assert given[0]["client_key"] == "K-1" and given[0]["target"] == "vacancy:V-1"
    assert given[0]["subject"] == "coach-a" and given[0]["request_id"] == "consent-1"
    assert withdrawn[0]["client_key"] == "K-1" and withdrawn[0]["target"] == "vacancy:V-1"


def test_recording_a_decision_is_audited(api):
    r = api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "vacancy", "target": "V-1", "choice": "override", "reason_code": "travel_distance",
        "reason_text": "Geen auto."})
    assert r.status_code == 201
    [entry] = _audit(api, "decision_recorded")
    assert entry["client_key"] == "K-1" and entry["subject"] == "coach-a"
    assert entry["target"] == "vacancy:V-1 override travel_distance" and entry["request_id"]


# ---------------------------------------------------------------- (e) no redirect to another key

@pytest.mark.parametrize("path", ["/clients/PROBE-INJ'})%20DETACH%20DELETE%20n%20//", "/clients/K-1/",
                                  "/clients/K%201", "/clients/..%2FK-1", "/clients/" + "K" * 65])
def test_a_key_outside_the_rule_is_refused_without_a_redirect(api, path):
    for method in ("GET", "DELETE"):
        r = api.client.request(method, path, headers=api.h("coach"), follow_redirects=False)
        assert r.status_code in (404, 422), (method, path, r.status_code)
        assert "location" not in r.headers
    records, _, _ = api.driver.execute_query("MATCH (c:Client) RETURN count(c) AS n", database_=api.db)
    assert records[0]["n"] == 3


def test_ingest_and_assignment_use_the_same_key_rule(api):
    bad = {**MEASUREMENT, "client_key": "K 1'"}
    r = api.client.post("/measurements", json=[bad], headers=api.h("admin")).json()
    assert r["rejected"] == 1 and r["items"][0]["problems"][0]["field"] == "client_key"
    r = api.client.put("/admin/assignments", json={"client_key": "K/1", "role": "coach", "subject": "coach-a"},
                       headers=api.h("admin"))
    assert _problem(r, 422)["errors"][0]["field"] == "client_key"


# ---------------------------------------------------------------- (f) validation gaps

def test_measurement_gaps_are_rejected_with_their_field(api):
    cases = [({"measured_at": "0001-01-01"}, "measured_at"), ({"administered_by": "x" * 4001}, "administered_by")]
    for change, field in cases:
        r = api.client.post("/measurements", json=[{**MEASUREMENT, **change}], headers=api.h("coach")).json()
        assert r["rejected"] == 1 and r["items"][0]["problems"][0]["field"] == field, r


def test_what_if_with_an_unknown_competency_is_not_a_200(api):
    r = api.client.post("/clients/K-1/what-if", headers=api.h("coach"), json={
        "vacancy_id": "V-1", "changes": [{"competency": "onet:9.Z.9.z", "level": 0.9}]})
    assert _problem(r, 404)["detail"].startswith("competency 'onet:9.Z.9.z'")


def test_script_in_a_title_is_stored_as_given_and_escaped_where_shown(api):
    title = "<script>alert(1)</script> Kok"
    api.driver.execute_query("MATCH (v:Vacancy {id: 'V-1'}) SET v.title = $t", t=title, database_=api.db)
    assert api.client.get("/vacancies/V-1", headers=api.h("coach")).json()["title"] == title  # JSON: as given
    from test_pages import signed_in

    desk = signed_in(api, "employer_desk")
    html = desk.get("/werkgever/vacatures/V-1").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kok" in html and "<script>alert(1)" not in html
    csp = desk.get("/werkgever/vacatures/V-1").headers.get_list("content-security-policy")
    assert len(csp) == 1 and "script-src 'self'" in csp[0] and "frame-ancestors 'none'" in csp[0]


# ---------------------------------------------------------------- (g) headers and edges

def test_every_answer_carries_the_security_headers_and_client_data_is_not_cached(api):
    for r in (api.client.get("/clients/K-1", headers=api.h("coach")), api.client.get("/clients/K-404",
              headers=api.h("coach")), api.client.get("/nowhere"), api.client.get("/healthz")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-request-id"]
    assert "no-store" not in api.client.get("/static/atlas.css").headers.get("cache-control", "")


def test_docs_load_their_assets_from_the_service_itself(api):
    html = api.client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in html and "/static/swagger/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert api.client.get(f"/static/swagger/{asset}").status_code == 200
    assert api.client.get("/redoc").status_code == 404  # it would load from a CDN: not offered


def test_a_chunked_body_above_the_limit_is_413(api):
    def chunks():
        for _ in range(6):
            yield b" " * (1024 * 1024)

    r = api.client.post("/measurements", content=chunks(), headers={**api.h("coach"), **JSON})
    _problem(r, 413)
    r = api.client.post("/measurements", content=b" " * (6 * 1024 * 1024), headers={**api.h("coach"), **JSON})
    _problem(r, 413)


def test_failed_sign_ins_and_caseload_probes_are_logged_and_slowed_per_source(clean_db, settings, tmp_path, caplog):
    s = api_settings(settings, tmp_path, api_throttle_burst=3, api_throttle_refill_per_s=0.01)
    app = create_app(s)
    seed_world(clean_db, s.neo4j_database)
    coach, _ = app.state.tokens.create(SUBJECTS["coach"], "coach")
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.WARNING, "atlas.api"):
        bad = {"Authorization": "Bearer atm_guess"}
        assert client.get("/clients", headers=bad).status_code == 401
        assert client.get("/clients/K-2", headers={"Authorization": f"Bearer {coach}"}).status_code == 404
        assert client.get("/clients/K-404", headers={"Authorization": f"Bearer {coach}"}).status_code == 404
        r = client.get("/clients/K-1", headers={"Authorization": f"Bearer {coach}"})
        _problem(r, 429)
        assert int(r.headers["retry-after"]) > 0
        other = TestClient(app, raise_server_exceptions=False, client=("10.9.9.9", 5000))
        assert other.get("/clients/K-1", headers={"Authorization": f"Bearer {coach}"}).status_code == 200
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("failed sign-in from testclient") for m in messages)
    assert sum(m.startswith("client not found from testclient") for m in messages) == 2
    assert "atm_guess" not in caplog.text and coach not in caplog.text


def test_a_ctc_advisor_records_measurements_for_referred_clients_as_the_docs_say(api):
    r = api.client.post("/measurements", json=[MEASUREMENT], headers=api.h("ctc_advisor")).json()
    assert r["landed"] == 1
    r = api.client.post("/measurements", json=[{**MEASUREMENT, "client_key": "K-2"}], headers=api.h("ctc_advisor"))
    assert r.json()["rejected"] == 1  # not referred to them
    docs = (Path(__file__).parent.parent / "docs" / "api.md").read_text()
    row = next(line for line in docs.splitlines() if line.startswith("| `ctc_advisor` |"))
    assert "read-only" not in row and "records measurements" in row


def test_the_top_level_counts_equal_the_summary(api):
    r = api.client.post("/measurements", json=[MEASUREMENT, {**MEASUREMENT, "client_key": "K-2"}],
                        headers=api.h("coach")).json()
    assert (r["landed"], r["rejected"]) == (1, 1)
    assert {k: r["summary"][k] for k in ("landed", "unchanged", "rejected")} == {
        k: r[k] for k in ("landed", "unchanged", "rejected")}


def test_a_body_the_guard_would_read_otherwise_than_fastapi_is_refused(api):
    nan = {**MEASUREMENT, "scores": {"samenwerken": float("nan")}}
    before = _measurements(api, "K-1")
    utf16 = json.dumps([nan]).encode("utf-16-le")  # no mark: FastAPI still reads it (json.loads of bytes)
    assert _problem(api.client.post("/measurements", content=utf16, headers={**api.h("coach"), **JSON}),
                    422)["errors"][0]["location"] == "body"
    twice = [*api.h("coach").items(), ("Content-Type", "application/json"), ("Content-Type", "text/plain")]
    r = api.client.post("/measurements", content=json.dumps([nan]).encode(), headers=twice)
    assert _problem(r, 422)["errors"][0]["field"] == "0.scores.samenwerken"  # the first header, as FastAPI reads it
    assert _measurements(api, "K-1") == before  # nothing landed


def _measurements(api, key: str) -> int:
    records, _, _ = api.driver.execute_query("MATCH (:Client {key: $key})-[:HAS_MEASUREMENT]->(m) RETURN count(m) AS n",
                                             key=key, database_=api.db)
    return records[0]["n"]


def test_each_vacancy_item_gets_its_own_answer_in_request_order(api):
    posting = {"@type": "JobPosting", "identifier": "V-20", "title": "Kok", "description": "Wij zoeken een kok."}
    first = api.client.post("/vacancies", json=[posting], headers=api.h("employer_desk")).json()
    assert [i["status"] for i in first["items"]] == ["landed"]
    items = [{"@type": "Organization", "name": "De Haven"}, posting, {"title": "Kok zonder nummer"}]
    body = api.client.post("/vacancies", json=items, headers=api.h("employer_desk")).json()
    assert [(i["index"], i["status"]) for i in body["items"]] == [(0, "rejected"), (1, "unchanged"), (2, "rejected")]
    assert [i["problems"][0]["field"] for i in body["items"] if i["problems"]] == ["@type", "identifier"]
    assert (body["landed"], body["unchanged"], body["rejected"]) == (0, 1, 2)


def test_vacancy_gaps_through_the_api_rejected_or_warned_never_500(api):
    base = {"@type": "JobPosting", "title": "<script>alert(1)</script> Kok", "description": "Wij zoeken een kok.",
            "hiringOrganization": {"name": "<b>De Haven</b>"}}
    items = [{**base, "identifier": "V-10", "jobLocation": {"geo": {"latitude": "NaN", "longitude": "9" * 400}}},
             {**base, "identifier": "V-11", "datePosted": "0001-01-01"},
             {**base, "identifier": "V-12", "hoursPerWeek": -5},
             {**base, "identifier": "V-13", "employmentType": [{"a": 1}, [1, 2]]}]
    r = api.client.post("/vacancies", json=items, headers=api.h("employer_desk"))
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert [i["status"] for i in body["items"]] == ["landed", "rejected", "rejected", "rejected"]
    assert [i["problems"][0]["field"] for i in body["items"][1:]] == ["datePosted", "hoursPerWeek", "employmentType"]
    assert {w["field"] for w in body["warnings"]} >= {"jobLocation.geo.latitude", "jobLocation.geo.longitude"}
    stored = api.client.get("/vacancies/V-10", headers=api.h("coach")).json()
    assert stored["title"] == base["title"]  # stored and returned as given; pages escape it
