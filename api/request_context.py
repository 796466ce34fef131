"""What the edge knows about the request being served, for code deep below it: the request id
(it goes into every log line and audit entry of the request) and the caller's address, plus the
notes the throttle reads afterwards (a failed sign-in, a client that was not found) and the audit
commits the answer must wait for (the edge holds it until they are done).

A contextvar holding one mutable object: sync routes run in worker threads with a copy of the
context, and the copy still points at the same object, so a note made there is seen by the edge.
"""
from __future__ import annotations

from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field

NOT_FOUND_CLIENT = "client_not_found"
SIGN_IN_FAILED = "sign_in_failed"


@dataclass
class RequestInfo:
    request_id: str
    source: str
    notes: set[str] = field(default_factory=set)
    audits: list[Future] | None = None  # a list where the edge holds the answer for them
    answering: bool = False  # counted in flight until its answer starts (then it sends no entry)


_current: ContextVar[RequestInfo | None] = ContextVar("atlas_request", default=None)
_in_flight = 0  # requests begun and not ended: changed on the event loop's thread only


def begin(info: RequestInfo):
    global _in_flight
    _in_flight += 1
    info.answering = True
    return _current.set(info)


def answered(info: RequestInfo) -> None:
    """The request's answer has started: it sends no audit entry any more."""
    global _in_flight
    if info.answering:
        info.answering = False
        _in_flight -= 1


def end(token, info: RequestInfo) -> None:
    answered(info)
    _current.reset(token)


def in_flight() -> int:
    """Requests this process has begun and not yet started to answer: those that may still send
    audit entries (the audit writer waits for them, api/audit.GroupCommit)."""
    return _in_flight


def hold_answer_for(commit: Future) -> bool:
    """Leaves the wait for an audit commit to the edge, which sends no answer before it is done:
    the handler's thread is free meanwhile. False outside a request (the caller waits itself)."""
    info = _current.get()
    if info is None or info.audits is None:
        return False
    info.audits.append(commit)
    return True


def request_id() -> str | None:
    info = _current.get()
    return info.request_id if info else None


def note(flag: str) -> None:
    info = _current.get()
    if info is not None:
        info.notes.add(flag)
