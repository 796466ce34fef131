"""The app as `atlas-match serve` runs it in each uvicorn worker process.

The Neo4j driver imports pandas whenever it is installed (for `Result.to_df`, which the service
never calls), and pandas is ~75 MB of each worker's private memory: with several workers sharing
one memory-mapped index that was a third of what each extra worker added. A serving process
therefore tells the driver that pandas is absent. Nothing the API runs needs pandas (ingest
writes its reject files with it only from the CLI).
"""
from __future__ import annotations

import sys

if "pandas" not in sys.modules:  # a fresh worker; a process that already uses pandas keeps it
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` now raises ImportError

from api.app import create_app  # noqa: E402

__all__ = ["create_app"]
