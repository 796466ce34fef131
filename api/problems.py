"""RFC 9457 problem details: the one shape of every error the API returns.

Routes raise `ApiProblem`; the handlers in app.py turn it (and FastAPI's own 404/405/422, and the
database being away) into `application/problem+json`. A response never carries a stack trace.
"""
from __future__ import annotations

from fastapi.responses import JSONResponse

from api import request_context

PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Request too large", 415: "Unsupported media type",
    422: "Invalid request", 429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
}


class ApiProblem(Exception):
    def __init__(self, status: int, detail: str, *, title: str | None = None, headers: dict | None = None,
                 errors: list[dict] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
        self.extra = {"errors": errors} if errors else {}
        self.title = title or TITLES.get(status, "Error")


def problem_body(status: int, detail: str, instance: str | None = None, title: str | None = None,
                 **extra) -> dict:
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Error"), "status": status,
            "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(status: int, detail: str, instance: str | None = None, headers: dict | None = None,
                     title: str | None = None, **extra) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, instance, title, **extra), status_code=status,
                        media_type=PROBLEM_MEDIA_TYPE, headers=headers)


# The one answer for "no such client" and "not your client": identical, so a denied call
# cannot tell anyone whether a client exists.
CLIENT_NOT_FOUND = "No client with this key in your caseload."


def client_not_found() -> ApiProblem:
    request_context.note(request_context.NOT_FOUND_CLIENT)  # a probe of other caseloads is throttled
    return ApiProblem(404, CLIENT_NOT_FOUND)


def forbidden(role: str) -> ApiProblem:
    return ApiProblem(403, f"The role {role!r} may not use this endpoint.")
