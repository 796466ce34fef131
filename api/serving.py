"""The app as `atlas-match serve` runs it, in each uvicorn worker process.

Three things about a serving process's memory and pauses, done before anything else is imported:
- glibc gives each thread that allocates a heap arena of its own (up to 8 per core) and keeps
  what is freed in it: with request threads that was ~25 MB more private memory per worker.
  Two arenas (`mallopt(M_ARENA_MAX, 2)`) cost no measurable throughput.
- Nothing the API runs needs pandas (ingest writes its reject files with it only from the CLI),
  so a serving process never imports it: `import pandas` raises ImportError here for good. The
  driver loads with pandas hidden in every process (graph_schema/db.py); this keeps anything
  else from pulling it in (~30 MB a worker). With one worker uvicorn serves inside the CLI's
  process; that has not imported pandas either, unless a command before it did.
- The garbage collector's full collection walks every tracked object that is not frozen (the
  index and what was loaded with it are: matcher/service.py `_settle_heap`). The requirement
  lists kept per vacancy (~84,000 small objects for 512 lists; 1,536 are kept now) made each one
  15–170 ms with the GIL held, about once a second under load: a pause in whichever requests
  were running. Full collections now run a hundred times less often (`FULL_COLLECTION_EVERY`); the young
  generations are collected as before, and a full collection only frees reference cycles that
  lived long, which this service hardly makes.
"""
from __future__ import annotations

import ctypes
import gc
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter number
FULL_COLLECTION_EVERY = 1000  # collections of the middle generation per full one (CPython: 10)

gc.set_threshold(*gc.get_threshold()[:2], FULL_COLLECTION_EVERY)

try:
    ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)
except (OSError, AttributeError):  # not glibc: nothing to cap
    pass

if "pandas" not in sys.modules:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` now raises ImportError

from api.app import create_app  # noqa: E402

__all__ = ["create_app"]
