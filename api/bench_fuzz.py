"""Fuzzing the whole OpenAPI document with schemathesis: no 5xx, and every error a problem document.

`fuzz(target, tokens, examples, seed)` is the one implementation of the rule, used by the CI test
(tests/test_api_errors.py, a few examples per operation) and by `atlas-match bench fuzz` (enough
examples for 10,000+ requests). For every operation of /openapi.json it draws `examples` cases
from schemathesis's positive and negative strategies (valid and schema-violating parameters and
bodies) and sends each one as the next caller in turn: each role's bearer token, then no token,
so the access paths (401, 403, other caseloads' 404) are fuzzed along with the inputs.

A failure is
- a response with status >= 500;
- an error response (status >= 400) that is not application/problem+json, or whose body is not
  the documented problem object (api/models.py `Problem`, emitted by api/problems.py): a JSON
  object with string `type`, `title` and `detail` and an integer `status` equal to the response's;
- an exception raised while sending (the app crashed past its own handlers, the connection failed,
  or no answer came within TIMEOUT_S).

Skipped: /admin/tokens* (minting and revoking tokens would only churn the token store, and revoking
the run's own tokens would turn the rest of the run into 401s) and every DELETE (an erasure or
withdrawal only exercises itself and removes what later cases would reach). Everything else is
sent, writes included: run it against a database you do not mind fuzzed.
"""
from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

PROBLEM = "application/problem+json"
ANONYMOUS = "anonymous"  # the caller without a token, rotated in beside the roles
SKIPPED_PREFIX = "/admin/tokens"
TIMEOUT_S = 60  # longer is a hang (schemathesis's own 10 s is shorter than the first semantic look-up's cold start)


_DESK_VACANCIES = """
MATCH (d:Desk {subject: $desk}) MATCH (v:Vacancy) WHERE v.region_code IN d.regions
RETURN v.id AS v ORDER BY v LIMIT 25
"""

def skipped(method: str, path: str) -> bool:
    return path.startswith(SKIPPED_PREFIX) or method.upper() == "DELETE"


def problem_violation(status: int, content_type: str, body: bytes) -> str | None:
    """Why this response breaks the rule, or None when it keeps it."""
    if status >= 500:
        return "server error"
    if status < 400:
        return None
    if content_type.split(";")[0].strip().lower() != PROBLEM:
        return f"error with content-type {content_type or 'none'!r}, not {PROBLEM}"
    try:
        doc = json.loads(body)
    except ValueError:
        return "problem body is not JSON"
    if not isinstance(doc, dict):
        return "problem body is not a JSON object"
    missing = [k for k in ("type", "title", "detail") if not isinstance(doc.get(k), str)]
    if missing:
        return f"problem without string {', '.join(missing)}"
    if doc.get("status") != status:
        return f"problem status {doc.get('status')!r} differs from the response's {status}"
    return None


def fuzz(target, tokens: dict[str, str], examples: int, seed: int = 0,
         known: dict[str, list[str]] | None = None) -> dict:
    """Fuzz every operation of `target` (an ASGI app, fuzzed in-process, or a base URL).

    `tokens` maps a role name to its bearer token; `examples` is the number of cases drawn per
    operation (Hypothesis stops earlier for an operation whose inputs run out, e.g. one without
    parameters); `seed` makes the run repeatable. `known` maps a path parameter (`key`,
    `vacancy_id`) to values that exist: every other request takes one of them in place of the
    generated value, so the fuzz gets past "not found" into the code behind it. Returns plain data:
    requests, per-operation and per-caller counts, responses by status class and by status, the
    skipped operations and the failures (see the module docstring).
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed as hseed, settings, strategies as st
    from schemathesis import GenerationMode

    if isinstance(target, str):
        schema = schemathesis.openapi.from_url(target.rstrip("/") + "/openapi.json")
    else:
        schema = schemathesis.openapi.from_asgi("/openapi.json", target)
    callers = [*tokens.items(), (ANONYMOUS, None)]
    per_operation, per_caller, by_class, by_status = Counter(), Counter(), Counter(), Counter()
    failures, skipped_ops = [], []

    def send(operation, case) -> None:
        n = sum(per_caller.values())
        caller, token = callers[n % len(callers)]
        per_caller[caller] += 1
        per_operation[operation.label] += 1
        turn = n // len(callers)  # every caller in turn; every other turn on values that exist
        for name in case.path_parameters or {}:
            if known and known.get(name) and turn % 2 == 0:
                case.path_parameters[name] = known[name][turn // 2 % len(known[name])]
        for name in [h for h in case.headers or {} if h.lower() == "authorization"]:
            del case.headers[name]  # the caller's token below, or none at all
        headers = {"Authorization": f"Bearer {token}"} if token else None
        request = f"{case.method.upper()} {case.formatted_path}"
        try:
            response = case.call(headers=headers, timeout=TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001: a crash past the app's handlers is a finding, not an abort
            by_class["exception"] += 1
            failures.append({"operation": operation.label, "request": request, "caller": caller, "status": None,
                             "reason": f"exception: {type(exc).__name__}: {exc}"[:300], "body": ""})
            return
        status = response.status_code
        by_class[f"{status // 100}xx"] += 1
        by_status[str(status)] += 1
        content_type = (response.headers.get("content-type") or [""])[0]
        reason = problem_violation(status, content_type, response.content)
        if reason:
            url = urlsplit(response.request.url)  # as sent: the path and query, encoded
            request = f"{case.method.upper()} {url.path}{'?' + url.query if url.query else ''}"
            failures.append({"operation": operation.label, "request": request,
                             "caller": caller, "status": status, "reason": reason,
                             "body": response.content[:200].decode("utf-8", "replace")})

    def fuzz_operation(operation) -> None:
        @hseed(seed)
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        def run(case):
            send(operation, case)

        run()

    for result in schema.get_all_operations():
        operation = result.ok()
        if skipped(operation.method, operation.path):
            skipped_ops.append(operation.label)
            continue
        fuzz_operation(operation)

    return {"requests": sum(per_caller.values()), "operations": len(per_operation),
            "per_operation": dict(per_operation), "per_caller": dict(per_caller),
            "by_class": dict(sorted(by_class.items())), "by_status": dict(sorted(by_status.items())),
            "skipped": skipped_ops, "failures": failures}


def bench(requests: int, seed: int) -> dict:
    """`atlas-match bench fuzz`: the app in-process against the configured Neo4j, one token per role
    (the demo's users, so their caseloads are reached when the demo is loaded), at least `requests`
    requests. WRITES fuzzed data: run it on a scratch graph."""
    from api.access import Role
    from api.app import create_app
    from api.demo import DEMO_ADMIN, DEMO_ADVISOR, DEMO_COACH, DEMO_DESK
    from graph_schema.db import connect, read
    from graph_schema.settings import settings

    with tempfile.TemporaryDirectory(prefix="atlas-fuzz-") as tmp:
        # Its own token file (the run's tokens never reach the configured one), and no throttle: a fifth of
        # the requests are unauthenticated on purpose and would otherwise turn the run into 429s.
        s = dataclasses.replace(settings(), api_tokens_file=Path(tmp) / "tokens.json", api_throttle_burst=10**9)
        app = create_app(s)
        # The demo's users (their caseloads, when the demo is loaded) and some keys that exist.
        subjects = {Role.COACH: DEMO_COACH, Role.CTC_ADVISOR: DEMO_ADVISOR, Role.EMPLOYER_DESK: DEMO_DESK,
                    Role.ADMIN: DEMO_ADMIN}
        tokens = {role.value: app.state.tokens.create(subject, role, "bench fuzz")[0]
                  for role, subject in subjects.items()}
        with connect(s) as driver:
            known = {name: [r["v"] for r in read(driver, f"MATCH (n:{label}) RETURN n.{field} AS v ORDER BY v "
                                                         "LIMIT 50", s.neo4j_database).records]
                     for name, label, field in (("key", "Client", "key"), ("vacancy_id", "Vacancy", "id"))}
            # and some the demo's desk works for, so its shortlists are reached too (api/access.py)
            known["vacancy_id"] += [r["v"] for r in read(driver, _DESK_VACANCIES, s.neo4j_database, desk=DEMO_DESK).records]
        # Operations without parameters or body may yield a single case (the health probes do): the rest share
        # the requests, and a rerun below makes up a shortfall.
        ops = [op for path, item in app.openapi()["paths"].items() for method, op in item.items()
               if not skipped(method, path)]
        fixed = sum(1 for op in ops if not op.get("parameters") and "requestBody" not in op)
        examples = math.ceil(max(requests - fixed, 1) / max(len(ops) - fixed, 1))
        started = time.perf_counter()
        result = fuzz(app, tokens, examples, seed, known)
        # Some operation's inputs ran out early: run again with more examples for the others (the
        # figures are the last run's alone).
        while result["requests"] < requests and max(result["per_operation"].values(), default=0) >= examples:
            examples = math.ceil(examples * requests / result["requests"])
            started = time.perf_counter()
            result = fuzz(app, tokens, examples, seed, known)
        seconds = time.perf_counter() - started
    failures, sent = result.pop("failures"), result.pop("requests")
    out = {"requests": sent, "operations": result.pop("operations"),
           "by_class": result.pop("by_class"), "by_status": result.pop("by_status"),
           "failures": {"count": len(failures), "first": failures[:20]},
           "seconds": round(seconds, 1), "requests_per_s": round(sent / seconds, 1),
           "examples_per_operation": examples, "seed": seed, "roles": sorted(tokens),
           "known_values": {name: len(values) for name, values in known.items()}, **result}
    return out
