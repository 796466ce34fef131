"""problem+json for 401/403/404/405/413/422/503, recovery when the database returns, the OpenAPI
document, a bounded schemathesis run, and management information suppression."""
from __future__ import annotations

import socket
import threading

from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.app import create_app
from api_fixtures import CLIENTS, api, api_settings  # noqa: F401  (fixture)
from matcher.freshness import bump_generation

PROBLEM = "application/problem+json"
FUZZ_EXAMPLES = 25  # per operation: 653 requests, ~15 s of the test


def _is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


def test_problem_shapes(api):
    _is_problem(api.client.get("/clients"), 401)
    assert api.client.get("/clients").headers["www-authenticate"].startswith("Bearer")
    _is_problem(api.client.get("/clients", headers={"Authorization": "Bearer nope"}), 401)
    _is_problem(api.client.get("/admin/tokens", headers=api.h("coach")), 403)
    _is_problem(api.client.get("/clients/K-404", headers=api.h("coach")), 404)
    _is_problem(api.client.get("/no/such/path", headers=api.h("coach")), 404)
    _is_problem(api.client.put("/vacancies", headers=api.h("coach")), 405)
    body = _is_problem(api.client.get("/vacancies?limit=0&offset=-1", headers=api.h("coach")), 422)
    assert {(e["location"], e["field"]) for e in body["errors"]} == {("query", "limit"), ("query", "offset")}
    body = _is_problem(api.client.post("/clients/K-1/what-if", headers=api.h("coach"), json={
        "vacancy_id": "V-1", "changes": [{"competency": "x", "level": 2}, {"level": 0.5}], "extra": 1}), 422)
    assert {e["pointer"] for e in body["errors"]} == {"/changes/0/level", "/changes/1/competency", "/extra"}


def test_request_size_limit(api, settings, tmp_path):
    small = create_app(api_settings(settings, tmp_path, max_request_bytes=1000))
    token, _ = small.state.tokens.create("admin-1", "admin")
    with TestClient(small) as client:
        r = client.post("/measurements", json=[{"client_key": "K-1", "pad": "x" * 2000}],
                        headers={"Authorization": f"Bearer {token}"})
    _is_problem(r, 413)


class _Proxy:
    """A TCP forwarder we can switch on and off: the database 'goes away' and 'comes back'."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.close()
        self.server = None

    def start(self):
        self.server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def stop(self):
        if self.server is not None:
            self.server.close()
            self.server = None


def test_database_unreachable_gives_503_and_recovers(clean_db, settings, tmp_path):
    proxy = _Proxy(settings.neo4j_bolt_port)
    s = api_settings(settings, tmp_path, neo4j_uri=f"bolt://127.0.0.1:{proxy.port}",
                     neo4j_password_env=settings.password())
    app = create_app(s)
    token, _ = app.state.tokens.create("coach-a", "coach")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/vacancies", headers=headers)
        _is_problem(r, 503)
        assert int(r.headers["retry-after"]) > 0
        _is_problem(client.get("/vacancies"), 401)  # authentication does not need the database
        proxy.start()
        try:
            assert client.get("/vacancies", headers=headers).status_code == 200
        finally:
            proxy.stop()


def test_openapi_document_validates_and_has_examples(api):
    doc = api.client.get("/openapi.json").json()
    validate(doc)
    schemas = doc["components"]["schemas"]
    assert "Problem" in schemas and "examples" in schemas["DecisionIn"]
    for path, ops in doc["paths"].items():
        for op in ops.values():
            if any(p["name"] == "limit" for p in op.get("parameters", [])):
                assert any(p["name"] == "offset" for p in op["parameters"]), path
            assert "application/problem+json" in op["responses"]["401"]["content"]


def test_schemathesis_finds_no_server_errors(api):
    """A bounded run of the fuzzer `atlas-match bench fuzz` runs at 10,000+ requests (api/bench_fuzz.py):
    no 5xx, every error problem+json, every role's token (and none) in turn."""
    from api.bench_fuzz import ANONYMOUS, fuzz

    known = {"key": [c["key"] for c in CLIENTS], "vacancy_id": ["V-1", "V-2"]}
    result = fuzz(api.app, api.tokens, examples=FUZZ_EXAMPLES, seed=17, known=known)
    assert result["failures"] == []
    assert result["operations"] >= 25 and result["requests"] >= 20 * result["operations"]
    assert set(result["per_caller"]) == {*api.tokens, ANONYMOUS}
    assert {"2xx", "4xx"} <= set(result["by_class"])


def test_mi_aggregates_suppress_small_groups(api):
    base = api.client.get("/mi/client-base", headers=api.h("admin")).json()
    # min_group 2: the two matchable A1 clients of WR12 form a cell; the one not_matchable client does not.
    assert base["cells"] == [{"gate": "matchable", "profile": "A1", "region": "WR12", "clients": 2, "suppressed": False}]
    assert base["suppressed_cells"] == 1 and "K-" not in str(base)
    missing = api.client.get("/mi/missing-competencies?region=WR12", headers=api.h("coach")).json()
    assert missing["clients"] == 2 and missing["competencies"] == []  # only K-2 misses onet:2.B.1.a: below 2
    excl = api.client.get("/mi/vacancies/V-1/exclusions", headers=api.h("employer_desk")).json()
    cell = next(c for c in excl["requirements"] if c["uri"] == "onet:2.B.1.a")
    assert cell["suppressed"] is True and cell["excluded"] is None
    assert cell["label"] == "skill onet:2.B.1.a"  # named from the vacancy's requirements, not its URI


def test_mi_shortfalls_count_evidence_and_missing_per_requirement(api):
    """The per-competency counts behind /mi/missing-competencies, read from the stored profiles:
    K-1 (0.6) and K-2 (0.2) have evidence on onet:2.B.1.a; only K-2 is more than PARTLY_MARGIN below 0.5. Nobody
    has evidence on onet:1.C.1.a: zero, not absent. The not-matchable K-3 is not counted."""
    from api import mi_repository
    from api.services.mi import missing_below

    rows = [{"uri": "onet:2.B.1.a", "required_level": 0.5}, {"uri": "onet:1.C.1.a", "required_level": 0.5},
            {"uri": "onet:2.A.1.a", "required_level": 0.75}]
    counts = mi_repository.shortfalls(api.driver, "neo4j", {r["uri"]: missing_below(r) for r in rows},
                                      ["matchable", "needs_support"], "WR12")
    assert counts == {"onet:2.B.1.a": {"with_evidence": 2, "missing": 1},
                      "onet:1.C.1.a": {"with_evidence": 0, "missing": 0},
                      "onet:2.A.1.a": {"with_evidence": 2, "missing": 0}}


def test_mi_exclusions_never_name_a_sensitive_competency_to_an_employer_desk(api):
    api.driver.execute_query("MATCH (:Vacancy {id: 'V-1'})-[r:REQUIRES]->(:Competency {uri: 'onet:1.C.1.a'}) "
                             "SET r.relation = 'essential'", database_=api.db)
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)
    coach = api.client.get("/mi/vacancies/V-1/exclusions", headers=api.h("coach")).json()
    desk = api.client.get("/mi/vacancies/V-1/exclusions", headers=api.h("employer_desk")).json()
    assert "onet:1.C.1.a" in {c["uri"] for c in coach["requirements"]}  # an ABC scale reaches it only sensitively
    assert "onet:1.C.1.a" not in {c["uri"] for c in desk["requirements"]}
    assert {c["uri"] for c in desk["requirements"]} == {c["uri"] for c in coach["requirements"]} - {"onet:1.C.1.a"}


# Routes that answer without the database: the process itself, its documents and its counters.
# /readyz answers 503 too, with its own readiness body (tests/test_hardening_observability.py).
NO_DATABASE = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_with_the_database_down_every_read_route_and_page_answers_503_and_recovers(clean_db, settings, tmp_path):
    """Every GET route of the API, for each role, is a 503 problem with Retry-After (or refused
    before the database is asked: 401/403/404 of the role rule), never a 500 or a trace; a page
    is a plain Dutch message; both recover without a restart."""
    from test_pages import csrf_of

    proxy = _Proxy(settings.neo4j_bolt_port)
    s = api_settings(settings, tmp_path, neo4j_uri=f"bolt://127.0.0.1:{proxy.port}",
                     neo4j_password_env=settings.password())
    app = create_app(s)
    roles = ("coach", "ctc_advisor", "employer_desk", "admin")
    tokens = {role: app.state.tokens.create(f"{role}-a", role)[0] for role in roles}
    paths = [path for path, ops in app.openapi()["paths"].items() if "get" in ops and path not in NO_DATABASE]
    with TestClient(app, raise_server_exceptions=False) as client:
        unavailable = set()
        for path in paths:
            url = path.replace("{key}", "K-1").replace("{vacancy_id}", "V-1").replace("{token_id}", "t1")
            for role in roles:
                r = client.get(url, headers={"Authorization": f"Bearer {tokens[role]}"},
                               params={"uri": "onet:2.A.1.a", "q": "lasser", "target": "V-1"})
                assert r.status_code in (401, 403, 404, 422, 503), (url, role, r.status_code, r.text[:200])
                assert r.headers["content-type"].startswith(PROBLEM), (url, role)
                if r.status_code == 503:
                    assert int(r.headers["retry-after"]) > 0
                    unavailable.add(path)
        assert len(unavailable) >= len(paths) - 2, sorted(set(paths) - unavailable)  # each asks the database
        page = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        page.post("/aanmelden", data={"token": tokens["coach"], "csrf": csrf_of(page.get("/aanmelden").text),
                                      "next": ""})
        down = page.get("/klanten")
        assert down.status_code == 503 and "text/html" in down.headers["content-type"]
        assert "Traceback" not in down.text and "niet bereikbaar" in down.text, down.text[:500]
        assert int(down.headers["retry-after"]) > 0
        proxy.start()
        try:
            assert page.get("/klanten").status_code == 200
            assert client.get("/vacancies", headers={"Authorization": f"Bearer {tokens['coach']}"}).status_code == 200
        finally:
            proxy.stop()
