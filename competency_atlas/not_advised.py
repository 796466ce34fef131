"""Occupations never advised to a client (not_advised.yaml): URI -> why."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("not_advised.yaml")


@lru_cache(maxsize=4)
def not_advised_occupations(path: Path = DEFAULT_PATH) -> dict[str, str]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {e["uri"]: e["reason"] for e in entries}
