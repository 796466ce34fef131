"""Every route of the OpenAPI document × every role × (own client, someone else's client, a client
that does not exist), generated from /openapi.json so that a new route is covered without being
listed here (issue 17, item 3). Asserted: no 5xx; "someone else's" answers exactly like "does not
exist" (status and body, the key aside; for an admin, who has no caseload, only where refused); a
role gate holds for all three alike; the caller reaches its own client; employer desks and admins
never see names, e-mail addresses or psychological blocks, and desks never see client keys. The
same for the pages under /klanten/{key}."""
from __future__ import annotations

import copy
import json
import re

from fastapi.testclient import TestClient

from api.problems import CLIENT_NOT_FOUND
from api_fixtures import NAME_1, NAME_2, OCC, api  # noqa: F401  (fixture)
from test_pages import signed_in

OWN, OTHERS, MISSING = "K-1", "K-2", "K-404"  # K-1: coach-a's and advisor-a's; K-2: coach-b's
# Desks first (before any consent exists); admins last: they may ingest for any key, which would
# make the missing client exist for the roles after them.
ROLES = ["employer_desk", "ctc_advisor", "coach", "admin"]
EXAMPLE_KEY, EXAMPLE_VACANCY = "K-000123", "V-0001"
SECRETS_OF_CLIENTS = [NAME_1, NAME_2, "anna@example.nl", "bram@example.nl", "cor@example.nl", '"dwang"',
                      '"cluster"', '"stabiliteit"']
KEYS = re.compile(r"\bK-[123]\b")
# Calls that would change who may see whom, or erase the fixtures the other calls need.
SKIP = {("PUT", "/admin/assignments"), ("DELETE", "/admin/assignments"), ("DELETE", "/admin/tokens/{token_id}")}
QUERY = {"q": "kok", "uri": OCC, "vacancy_id": "V-1", "region": "WR12"}


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _example_body(doc: dict, op: dict):
    content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content.get("schema", {})
    examples = schema.get("examples") or _resolve(doc, schema).get("examples")
    if examples:
        return copy.deepcopy(examples[0])
    return {}


def _with(value, key: str):
    """The example with the client and vacancy of this run in place of the documentation's."""
    text = json.dumps(value).replace(EXAMPLE_KEY, key).replace(EXAMPLE_VACANCY, "V-1")
    return json.loads(text.replace("http://data.europa.eu/esco/skill/b0096dc5-2e2d-4bc1-8172-05bf486c3968",
                                   "onet:2.B.1.a"))


def _calls(doc: dict):
    order = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
    ops = sorted(((m.upper(), path, op) for path, item in doc["paths"].items() for m, op in item.items()),
                 key=lambda c: (c[:2] == ("DELETE", "/clients/{key}"), order.get(c[0], 9), c[1]))  # erasure last
    return [c for c in ops if (c[0], c[1]) not in SKIP]


def _request(api, role: str, method: str, path: str, op: dict, key: str, body_template):
    url = path.replace("{key}", key).replace("{vacancy_id}", "V-1").replace("{token_id}", "0123456789ab")
    params = {p["name"]: QUERY[p["name"]] for p in op.get("parameters", [])
              if p["in"] == "query" and p["name"] in QUERY}
    if "client_key" in {p["name"] for p in op.get("parameters", [])}:
        params["client_key"] = key
    kwargs = {"params": params, "headers": api.h(role)}
    if body_template is not None:
        kwargs["json"] = _with(body_template, key)
    return api.client.request(method, url, **kwargs)


def _normalised(r, key: str) -> tuple[int, str]:
    body = r.text.replace(key, "<key>")
    try:
        data = json.loads(body)
    except ValueError:
        return r.status_code, body
    if isinstance(data, dict):
        data.pop("run_id", None)
        data.get("summary", {}).pop("run_id", None)
    return r.status_code, json.dumps(data, sort_keys=True)


def _client_scoped(path: str, body) -> bool:
    return "{key}" in path or EXAMPLE_KEY in json.dumps(body)


def test_every_route_every_role_own_others_and_missing_clients(api):
    doc = api.client.get("/openapi.json").json()
    failures, reached = [], set()
    for role in ROLES:
        for method, path, op in _calls(doc):
            template = _example_body(doc, op)
            if method == "DELETE" and path == "/clients/{key}" and role == "admin":
                variants = [OTHERS, MISSING][1:]  # an admin may erase any client: only the missing one here
            elif _client_scoped(path, template):
                variants = [OTHERS, MISSING, OWN] if method == "DELETE" else [OWN, OTHERS, MISSING]
            else:
                variants = [OWN]
            answers = {}
            for key in variants:
                r = _request(api, role, method, path, op, key, template)
                answers[key] = r
                label = f"{role} {method} {path} [{key}]"
                if r.status_code >= 500:
                    failures.append(f"{label}: {r.status_code} {r.text[:200]}")
                if role in ("employer_desk", "admin"):
                    leaked = [s for s in SECRETS_OF_CLIENTS if s in r.text]
                    if leaked:
                        failures.append(f"{label}: shows {leaked}")
                if role == "employer_desk" and KEYS.search(r.text.replace(r.request.url.path, "")):
                    failures.append(f"{label}: shows a client key")
            # An admin has no caseload: "someone else's" means nothing where the admin is let through.
            compare = role != "admin" or all(a.status_code >= 400 for a in answers.values())
            if OTHERS in answers and MISSING in answers and compare:
                if _normalised(answers[OTHERS], OTHERS) != _normalised(answers[MISSING], MISSING):
                    failures.append(f"{role} {method} {path}: someone else's client answers "
                                    f"{answers[OTHERS].status_code} {answers[OTHERS].text[:150]}, a missing one "
                                    f"{answers[MISSING].status_code} {answers[MISSING].text[:150]}")
                statuses = {a.status_code for a in answers.values()}
                if 403 in statuses and statuses != {403}:
                    failures.append(f"{role} {method} {path}: the role gate depends on the client: {statuses}")
                own = answers.get(OWN)
                if own is not None and role in ("coach", "ctc_advisor") and own.status_code != 403:
                    if CLIENT_NOT_FOUND in own.text:
                        failures.append(f"{role} {method} {path}: the caller's own client is not found")
                    else:
                        reached.add((role, method, path))
    assert failures == [], "\n".join(failures)
    # The generator did reach the client routes (a silent skip would make this test empty).
    assert ("coach", "GET", "/clients/{key}") in reached and ("ctc_advisor", "GET", "/clients/{key}/gates") in reached
    assert ("coach", "POST", "/clients/{key}/decisions") in reached


def test_every_client_page_answers_someone_elses_client_like_a_missing_one(api):
    from api.pages import routes_coach, routes_report

    pages = sorted({(m, r.path) for module in (routes_coach, routes_report) for r in module.router.routes
                    if r.path.startswith("/klanten/{key}") for m in r.methods if m == "GET"})
    assert len(pages) >= 5
    for who in ("coach", "ctc_advisor", "employer_desk"):
        browser: TestClient = signed_in(api, who)
        for _, path in pages:
            moved = {"vacature": "V-1", "l:onet:2.B.1.a": "90", "o:onet:2.B.1.a": "50"}  # a slider moved
            answers = {key: browser.get(path.replace("{key}", key), params=moved) for key in (OTHERS, MISSING)}
            other, missing = (_normalised(answers[k], k) for k in (OTHERS, MISSING))
            assert other == missing, (who, path, other[0], missing[0])
            assert other[0] in (303, 403, 404), (who, path, other[0])
            for r in answers.values():
                assert not [s for s in SECRETS_OF_CLIENTS if s in r.text], (who, path)
