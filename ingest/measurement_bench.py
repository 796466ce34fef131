"""`atlas-match bench measurements`: generate a synthetic population, ingest it through the real
path (readers, validation, one transaction per batch, profiles), print one JSON object.

The population is generated in a separate process so that the peak RSS reported is the
ingest's own. Client keys carry a fresh prefix per run (the same input twice would only measure
the unchanged path); with `cleanup` (default) the bench clients are erased afterwards, so the
shared graph is left as it was.
"""
from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from neo4j import Driver

from ingest.measurement_ingest import client_context, ingest_paths
from ingest.measurement_repository import delete_clients_with_prefix


def _generate(clients: int, seed: int, folder: str, fmt: str, prefix: str, queue) -> None:
    from ingest.population import generate

    queue.put(generate(clients, seed, Path(folder), fmt=fmt, key_prefix=prefix))


def run(driver: Driver, database: str, data_dir: Path, work_dir: Path, *, clients: int, seed: int = 1, batch_size: int = 2000,
        fmt: str = "jsonl", cleanup: bool = True, progress: bool = False,
        server_cpu: Callable[[], float | None] | None = None) -> dict:
    """`server_cpu` (the local server's CPU seconds so far) adds the server's share of the work:
    on a machine with few cores, this process and the server compete for the same CPUs."""
    prefix = f"B{uuid.uuid4().hex[:6]}-"
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as folder:
        started = time.perf_counter()
        queue = multiprocessing.get_context("fork").Queue()
        child = multiprocessing.get_context("fork").Process(
            target=_generate, args=(clients, seed, folder, fmt, prefix, queue))
        child.start()
        counts = queue.get()
        child.join()
        generated = time.perf_counter() - started
        started, cpu_started = time.perf_counter(), time.process_time()
        server_started = server_cpu() if server_cpu else None
        report = ingest_paths([Path(folder) / "measurements"], driver, database,
                              context=client_context(driver, database, data_dir, work_dir), batch_size=batch_size,
                              progress=progress)
        elapsed = time.perf_counter() - started
        ingest_cpu = time.process_time() - cpu_started
        server_ended = server_cpu() if server_cpu else None
        server_used = None if server_started is None or server_ended is None else server_ended - server_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    removed = delete_clients_with_prefix(driver, database, prefix) if cleanup else None
    return {"clients": clients, "seed": seed, "format": fmt, "batch_size": batch_size,
            "measurements": report.landed, "unchanged": report.unchanged, "rejected": report.rejected,
            "scores": report.scores, "elapsed_s": round(elapsed, 2),
            "scores_per_s": round(report.scores / elapsed) if elapsed else None,
            "measurements_per_s": round(report.landed / elapsed) if elapsed else None,
            "peak_rss_mb": round(peak_mb, 1), "generate_s": round(generated, 2),
            "generated_scores": counts["scores"], "cleaned_up": removed,
            "ingest_cpu_s": round(ingest_cpu, 2),
            "neo4j_cpu_s": None if server_used is None else round(server_used, 2),
            "cpu_us_per_measurement": _per_measurement(report.landed, ingest=ingest_cpu, neo4j=server_used)}


def _per_measurement(landed: int, **cpu_seconds: float | None) -> dict:
    return {name: round(seconds / landed * 1e6) for name, seconds in cpu_seconds.items()
            if seconds is not None and landed}
