"""The demo population goes through the real ingest path, with the context a real export gets."""
from __future__ import annotations

import dataclasses

from api.demo import DemoSize, load_population
from measurement_helpers import seed_atlas


def test_demo_clients_are_located_from_their_postcodes(clean_db, settings, tmp_path):
    seed_atlas(clean_db)
    counts = load_population(clean_db, dataclasses.replace(settings, work_dir=tmp_path), DemoSize(clients=30, seed=5))
    rows = clean_db.execute_query(
        "MATCH (c:Client) RETURN c.postcode AS postcode, c.municipality_code AS gm, c.region_code AS am, "
        "c.location AS location", database_=settings.neo4j_database).records
    assert len(rows) == counts["clients"] == 30
    with_postcode = [r for r in rows if r["postcode"]]
    assert len(with_postcode) >= 20
    assert all(r["gm"].startswith("GM") and r["am"] and r["location"] is not None for r in with_postcode)
