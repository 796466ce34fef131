"""Operations: liveness, readiness and metrics, for the platform rather than for people. No
bearer token (a probe has none) and no client data: a route template and a count at most."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from api.json_route import JsonRoute
from api.metrics import CONTENT_TYPE

router = APIRouter(route_class=JsonRoute, tags=["operations"])


@router.get("/healthz", summary="The process is up (the database is not asked)")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Neo4j reachable and the match index loaded, with its generation")
def readyz(request: Request):
    """200 when Neo4j answers; `index` says whether the match index is loaded (`built`) or
    `not built yet`, and its generation. 503 with Retry-After while Neo4j does not answer."""
    state = request.app.state
    try:
        state.db.driver()
        database = "reachable"
    except (ServiceUnavailable, SessionExpired, Neo4jError, OSError):
        state.db.mark_unhealthy()
        database = "unreachable"
    service = getattr(state, "matcher", None)
    status = service.status() if service is not None else {"built": False, "generation": None}
    body = {"status": "ready" if database == "reachable" else "not ready", "database": database,
            "index": {"state": "built" if status.pop("built") else "not built yet",
                      "generation": status.pop("generation"), "counters": status}}
    if database != "reachable":
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return body


@router.get("/metrics", summary="Prometheus metrics (text format)", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.text(), media_type=CONTENT_TYPE)
