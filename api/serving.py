"""The app as `atlas-match serve` runs it, in each uvicorn worker process.

Two things about a serving process's memory, done before anything else is imported:
- glibc gives each thread that allocates a heap arena of its own (up to 8 per core) and keeps
  what is freed in it: with request threads that was ~25 MB more private memory per worker.
  Two arenas (`mallopt(M_ARENA_MAX, 2)`) cost no measurable throughput.
- The Neo4j driver imports pandas whenever it is installed (for `Result.to_df`, which the
  service never calls). A fresh worker (`--workers 2` and more: each is a new process) tells the
  driver pandas is absent. Nothing the API runs needs pandas (ingest writes its reject files with
  it only from the CLI). With one worker uvicorn serves inside the CLI's process, which has
  imported pandas already; it keeps it.
"""
from __future__ import annotations

import ctypes
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter number

try:
    ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)
except (OSError, AttributeError):  # not glibc: nothing to cap
    pass

if "pandas" not in sys.modules:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` now raises ImportError

from api.app import create_app  # noqa: E402

__all__ = ["create_app"]
