"""The one middleware every response passes: request id, security headers, throttle, metrics and
the access log line.

- Request id: `X-Request-ID` from the caller when it is a short safe token, else a new one;
  echoed in the response, in every log line and in every audit entry of the request.
- Headers: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, no framing
  (`X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`), and `Cache-Control: no-store` on
  everything but the static assets, so no client data stays in a browser or proxy cache.
- Throttle (api/throttle.py): failed sign-ins and client-not-found probes are logged and cost the
  source a token; a source without tokens gets 429.
- Metrics (api/metrics.py): count and latency per route template.
- Audit: no answer starts before the request's audit entries are committed (api/audit.py hands
  the wait here, so the handler's thread is free meanwhile); if they could not be, the answer is
  the error instead (`on_audit_error`: a 503 when Neo4j is away), never the data unrecorded.
- An error nothing else caught becomes a logged problem 500 here, with the same headers.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from api import request_context
from api.metrics import Metrics
from api.problems import problem_response
from api.throttle import Throttle

log = logging.getLogger("atlas.api")
access_log = logging.getLogger("atlas.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", b"frame-ancestors 'none'; base-uri 'none'; object-src 'none'")]
CACHEABLE_PREFIX = "/static/"


class Edge:
    def __init__(self, app, metrics: Metrics, throttle: Throttle, on_audit_error: Callable[[dict, BaseException], Any]):
        self.app, self.metrics, self.throttle, self.on_audit_error = app, metrics, throttle, on_audit_error

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        source = (scope.get("client") or ("unknown", 0))[0]
        info = request_context.RequestInfo(rid, source, audits=[])
        token = request_context.begin(info)
        started, status, began, replaced = time.perf_counter(), 500, False, False
        path = scope.get("path", "")

        async def recorded(message):  # the app's answer starts once its audit entries are committed
            nonlocal replaced
            if replaced:
                return  # the rest of an answer the audit's error replaced
            if message["type"] == "http.response.start" and info.audits:
                error = await _failure(info.audits)
                if error is not None:
                    replaced = True
                    return await self.on_audit_error(scope, error)(scope, receive, with_headers)
            await with_headers(message)

        async def with_headers(message):
            nonlocal status, began
            if message["type"] == "http.response.start":
                request_context.answered(info)
                status, began = message["status"], True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                given = {k.lower() for k, _ in headers}  # a page's own stricter CSP stays as it is
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in given] + [(b"x-request-id", rid.encode())]
                if not path.startswith(CACHEABLE_PREFIX) and b"cache-control" not in given:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            wait = self.throttle.retry_after(source)
            if wait:
                await problem_response(429, "Too many failed attempts from your address; try again later.", path,
                                       {"Retry-After": str(wait)}, "Too many requests")(scope, receive, with_headers)
            else:
                await self.app(scope, receive, recorded)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            if not began:
                await problem_response(500, "An internal error occurred; it has been logged.", path)(
                    scope, receive, with_headers)
        finally:
            try:
                lost = await _failure(info.audits)  # a failed request's entries too: none left mid-commit
                if lost is not None:
                    log.error("audit entries of a failed request on %s not committed: %r", path, lost)
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                self.metrics.observe(scope.get("method", ""), route, status, time.perf_counter() - started)
                self._after(info, route, status)
                access_log.info("%s %s %s", scope.get("method"), route, status,
                                extra={"method": scope.get("method"), "route": route, "status": status,
                                       "ms": round((time.perf_counter() - started) * 1000, 1)})
            finally:
                request_context.end(token, info)

    def _after(self, info: request_context.RequestInfo, route: str, status: int) -> None:
        """A failed sign-in or a probe for a client the caller cannot see: logged, and one token less."""
        if status == 401 or request_context.SIGN_IN_FAILED in info.notes:
            what = "failed sign-in"
        elif status == 404 and request_context.NOT_FOUND_CLIENT in info.notes:
            what = "client not found"
        else:
            return
        self.throttle.penalise(info.source)
        log.warning("%s from %s on %s", what, info.source, route,
                    extra={"event": what.replace(" ", "_"), "source": info.source})


async def _failure(commits: list[Future]) -> BaseException | None:
    """Waits for the audit commits handed to the edge (and forgets them); the first one's error."""
    error = None
    while commits:
        try:
            # shielded: a cancelled request must not cancel the commit other requests share
            await asyncio.shield(asyncio.wrap_future(commits.pop(0)))
        except Exception as exc:  # noqa: BLE001  the caller answers with it
            error = error or exc
    return error
