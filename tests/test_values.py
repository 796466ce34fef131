"""Neo4j values made plain for JSON (api/values.py)."""
from __future__ import annotations

import json
from collections import OrderedDict
from datetime import date, datetime, timezone

from hypothesis import given
from hypothesis import strategies as st
from neo4j.spatial import WGS84Point
from neo4j.time import Date, DateTime, Duration

from api.values import plain

atoms = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
trees = st.recursive(atoms, lambda kids: st.one_of(st.lists(kids, max_size=3), st.tuples(kids, kids),
                                                    st.dictionaries(st.text(max_size=3), kids, max_size=3)),
                     max_leaves=12)


@given(trees)
def test_plain_data_comes_back_equal_with_tuples_as_lists(tree):
    out = plain(tree)
    assert json.loads(json.dumps(out)) == json.loads(json.dumps(tree))  # same content
    assert json.dumps(out) == json.dumps(tree)  # same types where JSON tells them apart (bool, int, float)


def test_temporal_and_spatial_values_and_subclasses_are_made_plain_inside_any_nesting():
    found = plain({"d": Date(2024, 3, 1), "at": [DateTime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc)],
                   "py": (date(2023, 1, 2), datetime(2023, 1, 2, 3, 4, 5)), "took": Duration(days=2),
                   "where": WGS84Point((5.1, 52.1)), "ordered": OrderedDict(inner=Date(2020, 1, 1)),
                   "flag": True})
    assert found == {"d": "2024-03-01", "at": ["2024-03-01T12:00:00.000000000+00:00"],
                     "py": ["2023-01-02", "2023-01-02T03:04:05"], "took": str(Duration(days=2)),
                     "where": {"latitude": 52.1, "longitude": 5.1}, "ordered": {"inner": "2020-01-01"},
                     "flag": True}
    assert type(found["ordered"]) is dict and found["flag"] is True
