"""The request's edge: bodies above the size limit get 413, and JSON bodies, query strings and
paths that no valid request contains get a 422 naming the place — before any route, model or
database sees them.

Why at the edge and not per field: the values that used to end in a 500 (an integer of 400
digits, NaN and Infinity, a lone UTF-16 surrogate such as "\\ud800", nesting hundreds of levels
deep, a NUL character) break things far from where they enter (float conversion, the Neo4j
driver's UTF-8 encoding, recursion). One check here covers every route, the JSON API and the
pages alike; the rule itself is ingest/json_values.py, which the file ingests apply too.
"""
from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from api.problems import problem_response
from ingest import json_values


class Hostile(ValueError):
    """Where (a JSON pointer into the body, or a parameter name) and why the input is refused."""

    def __init__(self, location: str, pointer: str, message: str):
        super().__init__(message)
        self.location, self.pointer, self.message = location, pointer, message


def check_json(body: bytes) -> object:
    """The parsed body (None when it is not JSON at all), or Hostile naming a place no valid request has."""
    # FastAPI parses bytes as json.loads does, UTF-16 and UTF-32 included: what it would read as
    # another encoding is refused here, or it would pass this check unread (JSON is UTF-8: RFC 8259)
    if json.detect_encoding(body) not in ("utf-8", "utf-8-sig"):
        raise Hostile("body", "", "not UTF-8 (UTF-16 or UTF-32)")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Hostile("body", "", f"not UTF-8 (byte {exc.start})") from None
    try:
        value = json_values.parse(text)
    except json.JSONDecodeError as exc:
        if exc.msg == json_values.TOO_DEEP:
            raise Hostile("body", "", exc.msg) from None
        return None  # plain malformed JSON: FastAPI's own 422 says where
    if (bad := json_values.first_bad_value(value)) is not None:
        raise Hostile("body", *bad)
    return value


def check_query(query_string: bytes) -> None:
    """Every query parameter must decode to valid UTF-8 without NUL (`?q=%ED%A0%80` does not)."""
    for part in query_string.split(b"&"):
        name, _, value = part.partition(b"=")
        for raw in (name, value):
            try:
                text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is None or "\x00" in text:
                field = unquote_to_bytes(name).decode("utf-8", "replace")[:50]
                raise Hostile("query", f"/{field}", "not valid UTF-8 text (or contains NUL)")


def check_path(raw_path: bytes) -> None:
    try:
        text = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise Hostile("path", "", "the path is not valid UTF-8 text (or contains NUL)")


def _is_json(headers: dict[bytes, bytes]) -> bool:
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return kind == b"application/json" or kind.endswith(b"+json") or kind == b""


class BodyGuard:
    """ASGI middleware: reads the body (at most max_bytes, by Content-Length up front and by
    counting for chunked uploads), checks it, then hands it to the app unchanged."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path")
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers") or []:
            headers.setdefault(name, value)  # the first of a repeated header, as Starlette reads it
        too_large = problem_response(413, f"The request body is larger than {self.max_bytes} bytes.", path)
        try:
            check_path(scope.get("raw_path") or path.encode("utf-8", "surrogateescape"))
            check_query(scope.get("query_string") or b"")
        except Hostile as exc:
            return await _refuse(exc)(scope, receive, send)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await too_large(scope, receive, send)
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and length in (None, b"0"):
            return await self.app(scope, receive, send)
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return await too_large(scope, receive, send)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _is_json(headers):
            try:
                check_json(body)
            except Hostile as exc:
                return await _refuse(exc)(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _refuse(exc: Hostile):
    field = exc.pointer.strip("/").replace("/", ".")
    error = {"location": exc.location, "pointer": exc.pointer or "/", "field": field, "message": exc.message,
             "type": "value_error"}
    where = f"{exc.location} {exc.pointer or '/'}"
    return problem_response(422, f"1 invalid field(s): {where}: {exc.message}", None, errors=[error])
