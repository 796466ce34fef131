"""The driver helpers of graph_schema/db.py on the real server."""
from __future__ import annotations

from graph_schema.db import Bulk


def test_bulk_rows_reach_the_server_as_a_list_and_print_short(driver, settings):
    rows = Bulk({"key": f"k{i}", "levels": [0.5] * 100} for i in range(500))
    assert repr(rows) == "<500 rows>"  # what the driver's per-query debug line formats
    records, _, _ = driver.execute_query("UNWIND $rows AS r RETURN count(r) AS n, sum(size(r.levels)) AS m",
                                         rows=rows, database_=settings.neo4j_database)
    assert (records[0]["n"], records[0]["m"]) == (500, 50_000)
