"""The service observable in operation (issue 17, item 6): /healthz, /readyz, /metrics, request
ids in responses, logs and audit entries, and JSON log lines."""
from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from api import request_context
from api.app import create_app
from api.bench_api import free_port
from api.logs import JsonFormatter
from api_fixtures import api, api_settings  # noqa: F401  (fixture)



def test_healthz_answers_without_a_token_or_the_database(settings, tmp_path):
    s = api_settings(settings, tmp_path, neo4j_uri=f"bolt://127.0.0.1:{free_port()}", neo4j_password_env="x")
    with TestClient(create_app(s), raise_server_exceptions=False) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 503 and int(ready.headers["retry-after"]) > 0
        assert ready.json()["database"] == "unreachable"


def test_readyz_says_whether_the_index_is_built_and_its_generation(api):
    api.app.state.__dict__.pop("matcher", None)
    body = api.client.get("/readyz").json()
    assert body["status"] == "ready" and body["database"] == "reachable"
    assert body["index"] == {"state": "not built yet", "generation": None, "counters": {}}
    assert api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).status_code == 200
    index = api.client.get("/readyz").json()["index"]
    assert index["state"] == "built" and isinstance(index["generation"], int) and index["counters"]["rebuilds"] == 1


def test_metrics_count_requests_per_route_template_index_updates_and_ingests(api):
    api.client.get("/clients/K-1", headers=api.h("coach"))
    api.client.get("/clients/K-2", headers=api.h("coach"))  # not theirs: 404, same template
    api.client.get("/vacancies/V-1/candidates", headers=api.h("coach"))
    api.client.post("/measurements", headers=api.h("coach"), json=[
        {"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", "scores": {"Samenwerken": 8}},
        {"client_key": "K-2", "instrument": "abc", "measured_at": "2024-04-12", "scores": {"Samenwerken": 8}}])
    api.client.get("/vacancies/V-1/candidates", headers=api.h("coach"))  # (the write patched the index itself)
    r = api.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'atlas_http_requests_total{method="GET",route="/clients/{key}",status="200"} 1.0' in text
    assert 'atlas_http_requests_total{method="GET",route="/clients/{key}",status="404"} 1.0' in text
    assert 'atlas_http_request_duration_seconds_bucket{le="0.5",method="GET",route="/clients/{key}"}' in text
    assert "K-1" not in text and "K-2" not in text  # templates, never keys
    assert "atlas_match_index_rebuilds_total 1.0" in text
    assert "atlas_match_index_patches_total 1.0" in text and "atlas_match_index_built 1.0" in text
    assert 'atlas_ingest_items_total{kind="measurements",outcome="landed"} 1.0' in text
    assert 'atlas_ingest_items_total{kind="measurements",outcome="rejected"} 1.0' in text


def test_the_request_id_is_echoed_or_made_and_goes_into_every_audit_entry_of_the_request(api):
    given = api.client.get("/clients/K-1", headers={**api.h("coach"), "X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = api.client.get("/clients/K-1", headers={**api.h("coach"), "X-Request-ID": "bad id\twith tab"})
    assert made.headers["x-request-id"] != "bad id\twith tab" and len(made.headers["x-request-id"]) == 32
    api.client.get("/vacancies/V-1/candidates", headers={**api.h("coach"), "X-Request-ID": "list-7"})
    records, _, _ = api.driver.execute_query(
        "MATCH (a:AuditEntry) RETURN a.request_id AS rid, a.action AS action, a.client_key AS key", database_=api.db)
    by_rid = {}
    for r in records:
        by_rid.setdefault(r["rid"], []).append((r["action"], r["key"]))
    assert by_rid["abc-123"] == [("read_profile", "K-1")]
    assert by_rid[made.headers["x-request-id"]] == [("read_profile", "K-1")]
    assert sorted(by_rid["list-7"]) == [("candidate_list", "K-1")]
    assert None not in by_rid


def test_log_lines_are_json_with_the_request_id():
    record = logging.LogRecord("atlas.access", logging.INFO, __file__, 1, "%s %s %s", ("GET", "/clients/{key}", 200),
                               None)
    record.route, record.status = "/clients/{key}", 200
    info = request_context.RequestInfo("rid-9", "127.0.0.1")
    token = request_context.begin(info)
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_context.end(token, info)
    assert line["request_id"] == "rid-9" and line["message"] == "GET /clients/{key} 200"
    assert line["route"] == "/clients/{key}" and line["status"] == 200 and line["level"] == "info"


def test_the_access_log_names_route_template_and_status_not_the_token(api, caplog):
    with caplog.at_level(logging.INFO, "atlas.access"):
        api.client.get("/clients/K-1", headers={**api.h("coach"), "X-Request-ID": "log-1"})
    [line] = [r for r in caplog.records if r.name == "atlas.access"]
    assert (line.route, line.status) == ("/clients/{key}", 200)
    assert api.tokens["coach"] not in caplog.text


def test_an_unexpected_error_is_a_logged_problem_500_with_the_edge_headers(api, monkeypatch, caplog):
    from api.services import caseload

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(caseload, "list_clients", broken)
    with caplog.at_level(logging.ERROR, "atlas.api"):
        r = api.client.get("/clients", headers={**api.h("coach"), "X-Request-ID": "err-1"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
    assert "boom" not in r.text and "Traceback" not in r.text
    assert r.headers["x-request-id"] == "err-1" and r.headers["x-content-type-options"] == "nosniff"
    assert any(rec.getMessage() == "unhandled error on GET /clients" for rec in caplog.records)
    assert 'route="/clients",status="500"' in api.client.get("/metrics").text
