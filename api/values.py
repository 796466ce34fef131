"""Neo4j values to plain JSON-able values (dates as ISO text, points as latitude/longitude)."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time


_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    # By exact type first: a client's profile is ~1,000 strings and numbers, and four isinstance
    # checks each were ~2 % of the API's CPU under the bench's mix.
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {k: plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    return _converted(value)


def _converted(value: Any) -> Any:
    if isinstance(value, (Date, DateTime, Time)):
        return value.iso_format()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Point):
        coords = list(value)
        return {"latitude": coords[1], "longitude": coords[0]} if len(coords) >= 2 else coords
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def parsed_json(text: Any) -> Any:
    """A *_json property as data; text that is not JSON is returned as it is."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
