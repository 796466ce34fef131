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


@pytest.mark.parametrize("call", ["read", "write_once"])
def test_a_statement_tries_a_transient_failure_again_and_gives_up_after_its_attempts(driver, settings, monkeypatch,
                                                                                      call):
    from neo4j.exceptions import TransientError

    from graph_schema import db

    real, calls = db._auto_commit, []

    def flaky(failures):
        def attempt(*args):
            calls.append(1)
            if len(calls) <= failures:
                args[0].close()
                raise TransientError("a follower catching up")
            return real(*args)
        return attempt

    run = getattr(db, call)
    monkeypatch.setattr(db, "_auto_commit", flaky(db.READ_ATTEMPTS - 1))
    assert run(driver, "RETURN 41 + 1 AS n", settings.neo4j_database).records[0]["n"] == 42
    assert len(calls) == db.READ_ATTEMPTS  # failed, failed, answered by the server
    calls.clear()
    monkeypatch.setattr(db, "_auto_commit", flaky(db.READ_ATTEMPTS))
    with pytest.raises(TransientError):
        run(driver, "RETURN 1", settings.neo4j_database)
    assert len(calls) == db.READ_ATTEMPTS


@pytest.mark.parametrize("call, attempts", [("read", 2), ("write_once", 1)])
def test_a_lost_connection_is_tried_again_for_a_read_only(driver, settings, monkeypatch, call, attempts):
    # A write whose connection broke after it was sent may have been committed: not sent twice.
    from neo4j.exceptions import SessionExpired

    from graph_schema import db

    real, calls = db._auto_commit, []

    def lost_once(*args):
        calls.append(1)
        if len(calls) == 1:
            args[0].close()
            raise SessionExpired("connection lost")
        return real(*args)

    monkeypatch.setattr(db, "_auto_commit", lost_once)
    run = getattr(db, call)
    if attempts == 1:
        with pytest.raises(SessionExpired):
            run(driver, "RETURN 1 AS n", settings.neo4j_database)
    else:
        assert run(driver, "RETURN 1 AS n", settings.neo4j_database).records[0]["n"] == 1
    assert len(calls) == attempts


def test_a_write_once_is_committed_and_seen_by_the_next_read_when_it_returns(driver, settings):
    from graph_schema.db import read, write_once

    db = settings.neo4j_database
    summary = write_once(driver, "CREATE (p:WriteOnceProbe {n: $n})", db, n=7).summary
    assert summary.counters.nodes_created == 1
    # On one server a read would see it without bookmarks too; that they are chained is
    # tests/test_routing.py's part (the recording driver sees each session's bookmark manager).
    try:  # a read on the shared bookmarks, and execute_query's, both see it at once
        assert read(driver, "MATCH (p:WriteOnceProbe) RETURN p.n AS n", db).records[0]["n"] == 7
        assert driver.execute_query("MATCH (p:WriteOnceProbe) RETURN count(p) AS c",
                                    database_=db).records[0]["c"] == 1
    finally:
        driver.execute_query("MATCH (p:WriteOnceProbe) DELETE p", database_=db)
