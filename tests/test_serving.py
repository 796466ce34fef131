"""The serving process as `atlas-match serve` starts it (api/serving.py), in a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Requests that hold what they build while they run and leave some of it in a kept cache, after
# the heap was collected and frozen as a loaded index leaves it (matcher/service.py _settle_heap).
_LOAD = """
import collections, gc
{setup}
gc.collect(); gc.freeze()
full = []
gc.callbacks.append(lambda phase, info: full.append(1) if phase == "stop" and info["generation"] == 2 else None)
kept = collections.deque(maxlen=512)
for request in range(5000):
    working = [[j] for j in range(2000)]
    kept.append([(j, j, []) for j in range(160)])
    del working
print(len(full))
"""


def _full_collections(setup: str) -> int:
    result = subprocess.run([sys.executable, "-c", _LOAD.format(setup=setup)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_a_serving_process_seldom_walks_all_it_keeps():
    """A full collection walks every object a worker keeps (15–170 ms with the GIL held, about once
    a second under load before): a serving process runs one a hundred times less often."""
    plain = _full_collections("")
    serving = _full_collections("import api.serving")
    assert plain >= 20  # the load is one that makes CPython's defaults collect fully, often
    assert serving <= plain // 20
