"""What the edge knows about the request being served, for code deep below it: the request id
(it goes into every log line and audit entry of the request) and the caller's address, plus the
notes the throttle reads afterwards (a failed sign-in, a client that was not found).

A contextvar holding one mutable object: sync routes run in worker threads with a copy of the
context, and the copy still points at the same object, so a note made there is seen by the edge.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

NOT_FOUND_CLIENT = "client_not_found"
SIGN_IN_FAILED = "sign_in_failed"


@dataclass
class RequestInfo:
    request_id: str
    source: str
    notes: set[str] = field(default_factory=set)


_current: ContextVar[RequestInfo | None] = ContextVar("atlas_request", default=None)


def begin(info: RequestInfo):
    return _current.set(info)


def end(token) -> None:
    _current.reset(token)


def request_id() -> str | None:
    info = _current.get()
    return info.request_id if info else None


def note(flag: str) -> None:
    info = _current.get()
    if info is not None:
        info.notes.add(flag)
