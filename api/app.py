"""The FastAPI application: `create_app(settings)`.

On start the schema is migrated (graph_schema.migrate); if Neo4j is not reachable yet the app
starts anyway and answers 503 with Retry-After until it is — then recovers on its own.
Every error is application/problem+json; 422 lists the location of every invalid field; no
response ever carries a stack trace; request bodies above ATLAS_MAX_REQUEST_BYTES get 413.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import TokenStore, tokens_file
from api.deps import Database, pseudonym_secret
from api.models import Problem
from api.problems import PROBLEM_MEDIA_TYPE, ApiProblem, problem_response
from api.routes import admin, clients, consent, decisions, matching, measurements, mi, occupations, vacancies
from graph_schema.settings import Settings, settings as default_settings

log = logging.getLogger("atlas.api")
RETRY_AFTER_S = 5

_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
COMMON_RESPONSES = {
    401: {"description": "No or unknown bearer token.", "content": _PROBLEM_CONTENT},
    403: {"description": "The caller's role may not use this endpoint.", "content": _PROBLEM_CONTENT},
    422: {"description": "Invalid request: one error per invalid field, with its location.", "content": _PROBLEM_CONTENT},
    503: {"description": "The database is not reachable; retry after the Retry-After seconds.",
          "content": _PROBLEM_CONTENT},
}


class BodySizeLimit:
    """Rejects bodies above the limit: by Content-Length up front, and by counting for chunked
    uploads (which carry no length)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_large = problem_response(413, f"The request body is larger than {self.max_bytes} bytes.",
                                     scope.get("path"))
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await too_large(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        out.append({"location": loc[0] if loc else "", "pointer": "/" + "/".join(loc[1:]),
                    "field": ".".join(loc[1:]), "message": err.get("msg", ""), "type": err.get("type", "")})
    return out


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem):
        return problem_response(exc.status, exc.detail, request.url.path, exc.headers, exc.title, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No endpoint at {request.url.path}."
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem_response(exc.status_code, detail, request.url.path, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = _validation_errors(exc)
        where = "; ".join(f"{e['location']} {e['pointer']}: {e['message']}" for e in errors[:5])
        return problem_response(422, f"{len(errors)} invalid field(s): {where}", request.url.path, errors=errors)

    async def unavailable(request: Request, exc: Exception):
        log.warning("Neo4j unavailable: %s", exc)
        request.app.state.db.mark_unhealthy()
        return problem_response(503, "The database is not reachable at the moment; please retry.",
                                request.url.path, {"Retry-After": str(RETRY_AFTER_S)})

    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(SessionExpired, unavailable)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "An internal error occurred; it has been logged.", request.url.path)


def create_app(settings: Settings | None = None) -> FastAPI:
    s = settings or default_settings()
    db = Database(s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            db.driver()  # connect and migrate now, so the first request does not pay for it
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            log.warning("Neo4j not reachable at start (%s): serving 503 until it is", exc)
        yield
        db.close()

    app = FastAPI(
        title="Competency atlas matcher API",
        version="0.1.0",
        description=("Occupations, clients, measurements, vacancies and matches in one competency language, "
                     "for CTC advisors, coaches and employers' desks. Authenticate with a bearer token. "
                     "Every read of client data is audited; errors are application/problem+json."),
        lifespan=lifespan,
        responses=COMMON_RESPONSES,
    )
    app.state.settings = s
    app.state.db = db
    app.state.tokens = TokenStore(tokens_file(s))
    app.state.pseudonym_secret = pseudonym_secret(s)
    app.state.cache = {}
    _install_handlers(app)
    for module in (occupations, clients, measurements, vacancies, matching, decisions, consent, mi, admin):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=s.max_request_bytes)

    original_openapi = app.openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = original_openapi()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}")
        for path in schema.get("paths", {}).values():
            for op in path.values():
                # FastAPI's default 422 body is replaced by the problem document.
                if "422" in op.get("responses", {}):
                    op["responses"]["422"] = {"description": COMMON_RESPONSES[422]["description"],
                                              "content": _PROBLEM_CONTENT}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
    return app
