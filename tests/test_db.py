"""The driver helpers of graph_schema/db.py on the real server."""
from __future__ import annotations

import pytest

from graph_schema.db import Bulk


def test_bulk_rows_reach_the_server_as_a_list_and_print_short(driver, settings):
    rows = Bulk({"key": f"k{i}", "levels": [0.5] * 100} for i in range(500))
    assert repr(rows) == "<500 rows>"  # what the driver's per-query debug line formats
    records, _, _ = driver.execute_query("UNWIND $rows AS r RETURN count(r) AS n, sum(size(r.levels)) AS m",
                                         rows=rows, database_=settings.neo4j_database)
    assert (records[0]["n"], records[0]["m"]) == (500, 50_000)


def test_a_read_tries_a_transient_failure_again_and_gives_up_after_its_attempts(driver, settings, monkeypatch):
    from neo4j.exceptions import TransientError

    from graph_schema import db

    real, calls = db._auto_commit_read, []

    def flaky(failures):
        def attempt(*args):
            calls.append(1)
            if len(calls) <= failures:
                raise TransientError("a follower catching up")
            return real(*args)
        return attempt

    monkeypatch.setattr(db, "_auto_commit_read", flaky(db.READ_ATTEMPTS - 1))
    assert db.read(driver, "RETURN 41 + 1 AS n", settings.neo4j_database).records[0]["n"] == 42
    assert len(calls) == db.READ_ATTEMPTS  # failed, failed, answered by the server
    calls.clear()
    monkeypatch.setattr(db, "_auto_commit_read", flaky(db.READ_ATTEMPTS))
    with pytest.raises(TransientError):
        db.read(driver, "RETURN 1", settings.neo4j_database)
    assert len(calls) == db.READ_ATTEMPTS
