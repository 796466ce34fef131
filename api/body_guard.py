"""The request's edge: bodies above the size limit get 413, and JSON bodies, query strings and
paths that no valid request contains get a 422 naming the place — before any route, model or
database sees them.

Why at the edge and not per field: the values that used to end in a 500 (an integer of 400
digits, NaN and Infinity, a lone UTF-16 surrogate such as "\\ud800", nesting hundreds of levels
deep, a NUL character) break things far from where they enter (float conversion, the Neo4j
driver's UTF-8 encoding, recursion). One check here covers every route, the JSON API and the
pages alike. Limits: integers within 64 bits (what Neo4j stores), finite numbers only, nesting at
most MAX_DEPTH levels, strings valid Unicode without NUL.
"""
from __future__ import annotations

import json
import math
from urllib.parse import unquote_to_bytes

from api.problems import problem_response

MAX_DEPTH = 32  # a JobPosting or a measurement needs fewer than 10
INT_LIMIT = 2**63  # Neo4j's integers are 64-bit


class Hostile(ValueError):
    """Where (a JSON pointer into the body, or a parameter name) and why the input is refused."""

    def __init__(self, location: str, pointer: str, message: str):
        super().__init__(message)
        self.location, self.pointer, self.message = location, pointer, message


class _Bad(str):
    """What the parser saw where a value no request may carry stood: found with its place by the walk."""


def _bounded_int(text: str) -> int | _Bad:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) >= INT_LIMIT:
        return _Bad(f"the integer {text[:20]}... is too large (at most 64 bits)")
    return value


def _no_constant(name: str) -> _Bad:
    return _Bad(f"{name} is not a number JSON allows")


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def check_json(body: bytes) -> object:
    """The parsed body (None when it is not JSON at all), or Hostile naming a place no valid request has."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Hostile("body", "", f"not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise Hostile("body", "", f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        return None  # plain malformed JSON: FastAPI's own 422 says where
    stack = [(value, "", 0)]
    while stack:  # iterative: the depth check must not itself recurse
        item, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Hostile("body", pointer, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, _Bad):
            raise Hostile("body", pointer, str(item))
        if isinstance(item, float) and not math.isfinite(item):
            raise Hostile("body", pointer, "the number is too large (not finite)")
        if isinstance(item, str):
            if (problem := _text_problem(item)) is not None:
                raise Hostile("body", pointer, problem)
        elif isinstance(item, dict):
            for key, child in item.items():
                here = f"{pointer}/{_escape(key)}"
                if (problem := _text_problem(key)) is not None:
                    raise Hostile("body", pointer, f"a key {problem}")
                stack.append((child, here, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{pointer}/{i}", depth + 1) for i, child in enumerate(item))
    return value


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1").encode("utf-8", "backslashreplace").decode()


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
        headers = dict(scope.get("headers") or [])
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
