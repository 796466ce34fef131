"""Request dependencies: the database (lazy, self-healing), the caller, role gates, paging, and
the one way to reach a client (visible or 404)."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from neo4j import Driver

from api import client_repository
from api.access import Assignment, Principal, may_see_client, may_use
from api.auth import bearer, current_principal
from api.problems import client_not_found, forbidden
from graph_schema.db import connect
from graph_schema.migrate import migrate
from graph_schema.settings import Settings
from ingest.client_keys import is_client_key


class Database:
    """One driver for the app. Created on first use and migrated once; if the server is away the
    error propagates (→ 503) and the next request tries again — the driver reconnects by itself,
    and a driver that could not even be created is not kept."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.name = settings.neo4j_database
        self._driver: Driver | None = None
        self._migrated = False
        self._healthy = False
        self._lock = threading.Lock()

    def driver(self) -> Driver:
        with self._lock:
            if self._driver is None:
                self._driver = connect(self.settings)
            if not self._healthy:
                # Fails fast (no transaction retries) while the server is away: an immediate 503.
                self._driver.verify_connectivity()
                self._healthy = True
            if not self._migrated:
                migrate(self._driver, self.name)
                self._migrated = True
            return self._driver

    def ready(self) -> Driver | None:
        """The driver when it is connected, healthy and migrated (no I/O, no lock), else None:
        then `driver()` does the blocking work, off the event loop."""
        d = self._driver
        return d if d is not None and self._healthy and self._migrated else None

    def mark_unhealthy(self) -> None:
        """After a ServiceUnavailable: the next request probes the server before querying."""
        self._healthy = False

    def close(self) -> None:
        with self._lock:
            if self._driver is not None:
                self._driver.close()
                self._driver = None


@dataclass(frozen=True)
class Ctx:
    """What a route needs: the caller, the driver and database name, the settings."""
    principal: Principal
    driver: Driver
    database: str
    settings: Settings
    endpoint: str


# The dependencies below are `async def` although they do not await much: FastAPI runs a plain
# `def` dependency in the thread pool, and each such hop costs more than the dependency itself.

async def principal(request: Request,
                    credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    return current_principal(request, credentials)


async def driver_of(db: Database) -> Driver:
    """The app's driver; only its first use (or the first after an outage) blocks, in a thread."""
    return db.ready() or await run_in_threadpool(db.driver)


def require(kind: str):
    """A dependency: the caller must have a role allowed for this kind of endpoint (else 403),
    checked before the database is touched."""
    async def dependency(request: Request, who: Principal = Depends(principal)) -> Ctx:
        if not may_use(who, kind):
            raise forbidden(who.role.value)
        return await ctx_for(request, who)
    return dependency


async def ctx_for(request: Request, who: Principal) -> Ctx:
    """The Ctx of a request by `who` (the JSON routes' and the pages'), named by its route template."""
    db: Database = request.app.state.db
    route = request.scope.get("route")
    endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
    return Ctx(who, await driver_of(db), db.name, db.settings, endpoint)


Lang = Literal["nl", "en"]


async def language(lang: Lang | None = Query(None, description="Language of labels: nl (default) or en; "
                                                            "else from Accept-Language."),
             accept_language: str | None = Header(None, max_length=500)) -> str:
    """The language labels are shown in: `lang`, else the first of nl/en in Accept-Language, else Dutch."""
    if lang:
        return lang
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in ("nl", "en"):
            return tag
    return "nl"


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int


async def paging(offset: int = Query(0, ge=0, le=100_000, description="Items to skip."),
           limit: int = Query(20, ge=1, le=200, description="Items per page.")) -> Paging:
    return Paging(offset, limit)


def visible_client(ctx: Ctx, key: str) -> None:
    """Raise the same 404 for a client that does not exist and one the caller may not see (and for
    a key no client can have: the pages take keys without the API's path pattern)."""
    if not is_client_key(key):
        raise client_not_found()
    require_visible(ctx, client_repository.assignments(ctx.driver, ctx.database, [key]).get(key))


def read_visible(ctx: Ctx, key: str, read) -> dict:
    """`read(driver, database, key)`'s data of a client the caller may see, else the shared 404.
    The read returns who may see the client (`assignment`) with the data, so the check costs no
    read of its own."""
    if not is_client_key(key):
        raise client_not_found()
    found = read(ctx.driver, ctx.database, key)
    require_visible(ctx, None if found is None else found["assignment"])
    return found


def require_visible(ctx: Ctx, assignment: Assignment | None) -> None:
    """The shared 404 unless the caller may see a client with this assignment (None: no such
    client), for a route that read the assignment with the client's other data."""
    if not may_see_client(ctx.principal, assignment):
        raise client_not_found()


def pseudonym_secret(settings: Settings) -> str:
    """ATLAS_PSEUDONYM_SECRET, or a secret generated once into work_dir (kept across restarts so
    pseudonyms stay stable)."""
    if settings.pseudonym_secret:
        return settings.pseudonym_secret
    path = settings.work_dir / "pseudonym-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
