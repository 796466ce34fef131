"""`built_atlas`: the full atlas in the test Neo4j, built at most once per test session.

Use it from any test module with `from atlas_fixtures import built_atlas  # noqa: F401`.
If the graph already holds the current release (same sources, complete), nothing is rebuilt and
the fixture only reads the stats (a second or two); otherwise the full atlas is built without
label embeddings (a few minutes). A module that wipes the database (`clean_db`) afterwards
invalidates it: order such modules after the ones that need the atlas.
"""
from __future__ import annotations

import pytest

from competency_atlas.atlas_repository import AtlasRepository
from competency_atlas.build import build_atlas, is_current


@pytest.fixture(scope="session")
def built_atlas(driver, settings) -> dict:
    database = settings.neo4j_database
    if not is_current(driver, settings.data_dir, database):
        build_atlas(driver, settings.data_dir, database=database, embeddings=False, show_progress=False)
    return AtlasRepository(driver, database).stats()
