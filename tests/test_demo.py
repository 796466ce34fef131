"""The demo population goes through the real ingest path, with the context a real export gets."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from api.demo import LEGACY_REFERENCE, DemoError, DemoSize, load_population, pinned_reference
from measurement_helpers import seed_atlas


def _count(driver, settings, label: str) -> int:
    return driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n", database_=settings.neo4j_database
                                ).records[0]["n"]


def test_demo_clients_are_located_recent_and_a_second_run_adds_nothing(clean_db, settings, tmp_path):
    seed_atlas(clean_db)
    demo = dataclasses.replace(settings, work_dir=tmp_path)
    counts = load_population(clean_db, demo, DemoSize(clients=30, seed=5))
    rows = clean_db.execute_query(
        "MATCH (c:Client) RETURN c.postcode AS postcode, c.municipality_code AS gm, c.region_code AS am, "
        "c.location AS location", database_=settings.neo4j_database).records
    assert len(rows) == counts["clients"] == 30
    with_postcode = [r for r in rows if r["postcode"]]
    assert len(with_postcode) >= 20
    assert all(r["gm"].startswith("GM") and r["am"] and r["location"] is not None for r in with_postcode)

    dates = [r["d"].to_native() for r in clean_db.execute_query(
        "MATCH (m:Measurement) RETURN m.measured_at AS d", database_=settings.neo4j_database).records]
    # dated back from the first run's day, as a live caseload is (the generator's own default is 2025-06-30)
    assert date.today() - timedelta(days=365) <= max(dates) <= date.today()
    measurements = _count(clean_db, settings, "Measurement")
    load_population(clean_db, demo, DemoSize(clients=30, seed=5))  # another day, the same pinned files
    assert _count(clean_db, settings, "Measurement") == measurements


def test_the_reference_date_is_pinned_at_the_first_run_and_kept_for_older_demos(tmp_path):
    assert pinned_reference(tmp_path / "new", legacy=False) == date.today()
    (tmp_path / "new").write_text("2026-01-02\n")
    assert pinned_reference(tmp_path / "new", legacy=False) == date(2026, 1, 2)
    assert pinned_reference(tmp_path / "old", legacy=True) == LEGACY_REFERENCE
    (tmp_path / "broken").write_text("gisteren\n")
    with pytest.raises(DemoError, match="broken: 'gisteren' is not a date"):
        pinned_reference(tmp_path / "broken", legacy=False)
