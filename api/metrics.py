"""/metrics in the Prometheus text format (prometheus_client), one registry per app.

Requests are counted and timed per route template (`GET /clients/{key}`, never the key itself, so
no client key reaches the metrics and the series stay few); unknown paths count as `unmatched`.
The match index's rebuilds and incremental patches come from `MatchService.counters` when the
index exists; ingests count items per kind and outcome.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _MatcherCollector:
    """Reads the process's MatchService at scrape time (it may not exist yet)."""

    def __init__(self, app_state):
        self.app_state = app_state

    def collect(self):
        service = getattr(self.app_state, "matcher", None)
        counters = service.status() if service is not None else {}
        for name, help_text in (("rebuilds", "Full rebuilds of the match index."),
                                ("patches", "Incremental updates of the match index (changed clients)."),
                                ("patched_clients", "Clients re-read by incremental updates.")):
            family = CounterMetricFamily(f"atlas_match_index_{name}", help_text)
            family.add_metric([], counters.get(name, 0))
            yield family
        built = GaugeMetricFamily("atlas_match_index_built", "1 when the match index is loaded.")
        built.add_metric([], 1 if counters.get("built") else 0)
        yield built


class Metrics:
    def __init__(self, app_state):
        self.registry = CollectorRegistry()
        self.requests = Counter("atlas_http_requests", "HTTP requests by route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("atlas_http_request_duration_seconds", "Time to answer, by route template.",
                                 ["method", "route"], buckets=BUCKETS, registry=self.registry)
        self.ingested = Counter("atlas_ingest_items", "Ingested items by kind and outcome.",
                                ["kind", "outcome"], registry=self.registry)
        self.registry.register(_MatcherCollector(app_state))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def ingest(self, kind: str, result: dict) -> None:
        """Counts one ingest answer (POST /measurements, /vacancies, an observation)."""
        for outcome in ("landed", "unchanged", "rejected"):
            if result.get(outcome):
                self.ingested.labels(kind, outcome).inc(result[outcome])

    def text(self) -> bytes:
        return generate_latest(self.registry)
