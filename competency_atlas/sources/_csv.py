"""Small helpers every reader shares: strict CSV/TSV loading and multi-value splitting."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


class SourceError(ValueError):
    """A reference file that cannot be read as expected; the message names file, row, field, reason."""


def read_table(path: Path, required: list[str], *, sep: str = ",", skiprows: int = 0,
               comment: str | None = None) -> pd.DataFrame:
    """Every column as text (codes like '01' must keep their zero), empty cells as ''."""
    if not path.is_file():
        raise SourceError(f"{path}: file not found (check ATLAS_DATA_DIR)")
    try:
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skiprows=skiprows,
                            comment=comment, encoding="utf-8-sig", quoting=3 if sep == "\t" else 0)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot be parsed: {exc}") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}")
    return frame


def require_values(frame: pd.DataFrame, path: Path, columns: list[str], *, header_lines: int = 1) -> None:
    """Fails on the first empty required cell, naming its data row (1-based, after the header)."""
    for column in columns:
        empty = frame.index[frame[column].str.strip() == ""]
        if len(empty):
            row = int(empty[0]) + 1
            raise SourceError(f"{path}: row {row} (line {row + header_lines}): field {column!r} is empty")


def split_multi(value: str, separator: str) -> list[str]:
    """ESCO packs lists into one cell ('a | b' or one per line); blanks and duplicates dropped."""
    seen: dict[str, None] = {}
    for part in value.split(separator):
        part = " ".join(part.split())
        if part:
            seen.setdefault(part, None)
    return list(seen)


def to_float(frame: pd.DataFrame, path: Path, column: str, *, header_lines: int = 1) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame.index[values.isna() & (frame[column].str.strip() != "")]
    if len(bad):
        row = int(bad[0]) + 1
        raise SourceError(f"{path}: row {row} (line {row + header_lines}): field {column!r} "
                          f"is not a number: {frame.at[bad[0], column]!r}")
    return values
