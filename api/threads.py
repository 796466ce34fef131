"""The threads a worker runs request handlers on: a few for the requests of a session, a few of
their own for requests that may run long.

FastAPI runs each plain `def` handler on anyio's default thread pool. The requests of a coach's
session (rankings, gaps, pages) take ~5-20 ms of CPU, mostly Python holding the GIL: the fewer run
at once, the less each waits for the GIL while the others hold it, and the rest wait their turn
in the event loop, in order. At concurrency 16, two or one such thread a worker answered the
slowest read in ~1.6 times the mean time a request took, four in ~1.9 (docs/bench-api.md "Session
34"). So few: Settings.api_threads. But then two uploads of a thousand measurements would hold
both and every coach on that worker would wait for them; handlers that may run long (batch
ingests, a file upload, management information over every client, a report as PDF) are marked
`@long_running` and run on threads of their own (Settings.api_long_threads).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import anyio
import anyio.to_thread

_long: anyio.CapacityLimiter | None = None
_long_tokens = 2


def configure(session_threads: int, long_threads: int) -> None:
    """In each worker's event loop, at start."""
    global _long, _long_tokens
    anyio.to_thread.current_default_thread_limiter().total_tokens = session_threads
    _long_tokens, _long = long_threads, None


def long_running(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler runs on the long-running requests' threads, not the session's."""
    @functools.wraps(handler)  # FastAPI reads the parameters through __wrapped__
    async def on_long_threads(*args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(handler, *args, **kwargs), limiter=_limiter())
    on_long_threads.runs_long = handler  # api/json_route.JsonRoute answers on these threads too
    return on_long_threads


def _limiter() -> anyio.CapacityLimiter:
    global _long
    if _long is None:  # made in the running loop (a forked worker gets its own)
        _long = anyio.CapacityLimiter(_long_tokens)
    return _long
