"""The FastAPI application: `create_app(settings)`.

On start the schema is migrated (graph_schema.migrate); if Neo4j is not reachable yet the app
starts anyway and answers 503 with Retry-After until it is — then recovers on its own.
Every error is application/problem+json; 422 lists the location of every invalid field; no
response ever carries a stack trace; request bodies above ATLAS_MAX_REQUEST_BYTES get 413, and
values no request may carry get 422 at the edge (api/body_guard.py). Every answer passes one
middleware for request id, security headers, throttle, metrics and the access log (api/edge.py).
"""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api import audit, threads
from api.auth import TokenStore, tokens_file
from api.body_guard import BodyGuard
from api.deps import Database, pseudonym_secret
from api.edge import Edge
from api.metrics import Metrics
from api.models import Problem
from api.pages import install as install_pages
from api.pages import web as pages_web
from api.problems import PROBLEM_MEDIA_TYPE, ApiProblem, problem_response
from api.routes import (admin, clients, consent, decisions, introductions, matching, measurements, mi, occupations, ops,
                        vacancies)
from api.services import matching as matching_service
from api.throttle import Throttle
from graph_schema.settings import Settings, settings as default_settings

log = logging.getLogger("atlas.api")
RETRY_AFTER_S = 5
SWAGGER = "/static/swagger"  # swagger-ui-dist, vendored in api/pages/static/swagger (VERSION.txt)

# The JSON API's routers (each of its routes a JsonRoute); the pages come from api.pages.
API_MODULES = (occupations, clients, measurements, vacancies, matching, introductions, decisions, consent, mi, admin, ops)

_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
COMMON_RESPONSES = {
    401: {"description": "No or unknown bearer token.", "content": _PROBLEM_CONTENT},
    403: {"description": "The caller's role may not use this endpoint.", "content": _PROBLEM_CONTENT},
    422: {"description": "Invalid request: one error per invalid field, with its location.", "content": _PROBLEM_CONTENT},
    503: {"description": "The database is not reachable; retry after the Retry-After seconds.",
          "content": _PROBLEM_CONTENT},
}


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
        if pages_web.is_page_path(request):
            key = {404: "not_found", 405: "method_text", 403: "forbidden_text"}.get(exc.status_code, "failed_text")
            return pages_web.error_page(request, exc.status_code, key, getattr(exc, "headers", None))
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No endpoint at {request.url.path}."
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem_response(exc.status_code, detail, request.url.path, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if pages_web.is_page_path(request):
            return pages_web.error_page(request, 422, "invalid_text")
        errors = _validation_errors(exc)
        where = "; ".join(f"{e['location']} {e['pointer']}: {e['message']}" for e in errors[:5])
        return problem_response(422, f"{len(errors)} invalid field(s): {where}", request.url.path, errors=errors)

    async def unavailable(request: Request, exc: Exception):
        return _unavailable(request, exc)

    for error in UNAVAILABLE:
        app.add_exception_handler(error, unavailable)
    # Any other error becomes a logged problem 500 in api/edge.py, with the edge's headers.


# Still transient after graph_schema.db.read's retries: a database restarting (DatabaseUnavailable)
UNAVAILABLE = (ServiceUnavailable, SessionExpired, TransientError)


def _unavailable(request: Request, exc: Exception) -> Response:
    log.warning("Neo4j unavailable: %s", exc)
    request.app.state.db.mark_unhealthy()
    if pages_web.is_page(request):
        return pages_web.unavailable(request, RETRY_AFTER_S)
    return problem_response(503, "The database is not reachable at the moment; please retry.",
                            request.url.path, {"Retry-After": str(RETRY_AFTER_S)})


def _audit_failed(scope: dict, exc: BaseException) -> Response:
    """The answer instead of the one a handler built when its audit entries could not be
    committed (api/edge.py): what the handler would have answered had the write failed in it."""
    request = Request(scope)
    if isinstance(exc, UNAVAILABLE):
        return _unavailable(request, exc)
    log.error("audit entries not committed on %s %s: %r", request.method, request.url.path, exc)
    return problem_response(500, "An internal error occurred; it has been logged.", request.url.path)


def _install_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - docs",
                                   swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                                   swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png")


def create_app(settings: Settings | None = None) -> FastAPI:
    s = settings or default_settings()
    db = Database(s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threads.configure(s.api_threads, s.api_long_threads)
        audit.GROUP_COMMIT.linger_s = s.api_audit_linger_ms / 1000
        try:
            driver = db.driver()  # connect and migrate now, so the first request does not pay for it
            if s.api_warm_index:  # and build the match index beside the first requests
                app.state.warming = threading.Thread(target=matching_service.warm, args=(app.state, driver, db.name),
                                                     name="match-index-warm", daemon=True)
                app.state.warming.start()
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            log.warning("Neo4j not reachable at start (%s): serving 503 until it is", exc)
        yield
        matching_service.stop(app.state, s.api_shutdown_wait_s)
        db.close()

    app = FastAPI(
        docs_url=None, redoc_url=None,  # /docs below, with its assets served from here (closed networks)
        redirect_slashes=False,  # "/clients/x/" is a 404, never a redirect to another key
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
    app.state.metrics = Metrics(app.state)
    _install_handlers(app)
    for module in API_MODULES:
        app.include_router(module.router)
    install_pages(app)  # the server-rendered pages (api/pages), under Dutch paths beside the API
    _install_docs(app)
    # Added last = outermost: the edge sees every answer, the body guard's 413 and 422 included.
    app.add_middleware(BodyGuard, max_bytes=s.max_request_bytes)
    app.add_middleware(Edge, metrics=app.state.metrics,
                       throttle=Throttle(s.api_throttle_burst, s.api_throttle_refill_per_s),
                       on_audit_error=_audit_failed)

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
