"""Versioned, ordered, idempotent schema migrations.

A migration is a file `migrations/NNNN_name.cypher` of `;`-terminated statements. Each applied
migration is recorded as a `(:SchemaMigration {version, name, checksum, applied_at})` node, so a
second run applies nothing. Statements are written to be idempotent themselves (`IF NOT EXISTS`)
so that a migration interrupted half-way can simply run again.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from neo4j import Driver
from neo4j.exceptions import Neo4jError

from graph_schema.db import read

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    checksum: str


def parse_statements(text: str) -> tuple[str, ...]:
    """Splits a migration into statements; `//` comment lines are dropped."""
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return tuple(s.strip() for s in body.split(";") if s.strip())


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(folder.glob("*.cypher")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.cypher")
        text = path.read_text()
        migrations.append(Migration(int(match.group(1)), match.group(2), parse_statements(text),
                                    hashlib.sha256(text.encode()).hexdigest()[:16]))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a version number in {folder}")
    return migrations


_APPLIED = "MATCH (m:SchemaMigration) RETURN m.version AS version, m.checksum AS checksum"


def applied_versions(driver: Driver, database: str) -> dict[int, str]:
    """The applied migrations as a reader sees them (read routing: `db migrate`'s report, tests)."""
    return {r["version"]: r["checksum"] for r in read(driver, _APPLIED, database).records}


def migrate(driver: Driver, database: str = "neo4j", folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Applies every pending migration in order; returns those applied (empty: nothing to do)."""
    # Read where the migrations are written (write routing: the leader), not from a follower that
    # may not have seen another process's migration yet; the statements are idempotent anyway.
    done = {r["version"]: r["checksum"] for r in driver.execute_query(_APPLIED, database_=database).records}
    applied = []
    for migration in load_migrations(folder):
        label = f"{migration.version:04d}_{migration.name}"
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise MigrationError(
                    f"migration {label} was changed after it was applied; add a new migration instead")
            continue
        for statement in migration.statements:
            try:
                driver.execute_query(statement, database_=database)
            except Neo4jError as exc:
                raise MigrationError(f"migration {label} failed: {exc.code}: {exc.message}") from exc
        driver.execute_query(
            "MERGE (m:SchemaMigration {version: $version}) "
            "SET m.name = $name, m.checksum = $checksum, m.applied_at = datetime()",
            version=migration.version, name=migration.name, checksum=migration.checksum, database_=database)
        applied.append(migration)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return applied


def current_version(driver: Driver, database: str = "neo4j") -> int:
    return max(applied_versions(driver, database), default=0)
