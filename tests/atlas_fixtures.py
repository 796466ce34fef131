"""`built_atlas`: the full atlas in the test Neo4j, built at most once per test session.

Use it from any test module with `from atlas_fixtures import built_atlas  # noqa: F401`.
If the graph already holds the current release (same sources, complete), nothing is rebuilt and
the fixture only reads the stats (a second or two); otherwise the full atlas is built without
label embeddings (a few minutes). A module that wipes the database (`clean_db`) afterwards
invalidates it: order such modules after the ones that need the atlas.

`atlas_rows`: the rows that build assembled (read from the reference data, ~20 s), kept for the
tests that look at them; assembled again only when the graph already held the atlas.
"""
from __future__ import annotations

import pytest

from competency_atlas import build
from competency_atlas.assemble import AtlasRows, assemble
from competency_atlas.atlas_repository import AtlasRepository
from competency_atlas.sources import load_sources

_ASSEMBLED: list[AtlasRows] = []


def _keep(rows: AtlasRows) -> AtlasRows:
    _ASSEMBLED.append(rows)
    return rows


@pytest.fixture(scope="session")
def built_atlas(driver, settings) -> dict:
    database = settings.neo4j_database
    if not build.is_current(driver, settings.data_dir, database):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(build, "assemble", lambda *args, **kw: _keep(assemble(*args, **kw)))
            build.build_atlas(driver, settings.data_dir, database=database, embeddings=False, show_progress=False)
    return AtlasRepository(driver, database).stats()


@pytest.fixture
def atlas_rows(built_atlas, settings) -> AtlasRows:
    return _ASSEMBLED.pop() if _ASSEMBLED else assemble(load_sources(settings.data_dir))
