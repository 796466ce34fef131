"""Reading measurement files: JSON (one object or a list), JSON Lines, and the long CSV format.

JSON: `.json` holds one measurement object or a list of them (location: JSON pointer "/" or "/3");
`.jsonl`/`.ndjson` hold one object per line (location "line 7").

Long CSV (`.csv`, `,` or `;` as Dutch Excel writes it with decimal commas; every cell as text,
header required): one scale score per row. Columns (docs/measurements.md has the full table):

    measurement_id   optional; rows with the same id form one measurement. Without it, rows are
                     grouped by (client_key, instrument, instrument_version, measured_at)
    client_key, instrument, instrument_version, measured_at, administered_by
    scale, score     one scale score (scale id, Dutch or English label)
    block, value     or one instrument block instead (value: text, or JSON for lists/records);
                     block `work_history` holds the client's work history as a JSON list
    postcode, hours_available, education_level, name, email, phone   optional client columns

Per-measurement columns must agree across a measurement's rows (empty cells are ignored).
Location: "rows 2-61" for a measurement (1-based data rows, header not counted), "row 5" for
a problem in one row. What cannot be read as a record (the file, a line, a row, a record holding
a value no input may carry) yields a FileProblem there (ingest/source_files.py).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest import json_values
from ingest.measurement_models import MeasurementRecord
from ingest.measurement_validation import parse_date
from ingest.report import Problem
from ingest.source_files import (CSV_SUFFIXES, JSONL_SUFFIXES, FileProblem, LineProblem, NumberedLine, Unreadable,
                                 input_files, missing_columns, numbered_lines, read_csv_table, read_path)

JSON_SUFFIXES = {".json"}
SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES

MEASUREMENT_COLUMNS = ("client_key", "instrument", "instrument_version", "measured_at", "administered_by")
CLIENT_COLUMNS = ("postcode", "hours_available", "education_level")
IDENTITY_COLUMNS = ("name", "email", "phone")
REQUIRED_COLUMNS = ("client_key", "instrument", "measured_at")
NUMBER_COLUMNS = ("score", "hours_available")
_DECIMAL_COMMA = re.compile(r"^\s*(-?\d+),(\d+)\s*$")
CSV_COLUMNS = ("measurement_id", *MEASUREMENT_COLUMNS, "scale", "score", "block", "value",
               *CLIENT_COLUMNS, *IDENTITY_COLUMNS)


ReadItem = MeasurementRecord | FileProblem


def expand_paths(paths: list[Path]) -> list[Path]:
    return input_files(paths, SUFFIXES)


def read_file(path: Path) -> Iterator[ReadItem]:
    return read_path(path, JSON_SUFFIXES, read_json_text, read_json_lines, read_csv_text)


def _record(source: str, location: str, fmt: str, node: object) -> ReadItem:
    if (bad := json_values.first_bad_value(node)) is not None:  # rejected here: no model need cope with it
        pointer, why = bad
        return FileProblem(Problem(source, location, pointer.lstrip("/"), why), fmt, raw=node)
    data = node if isinstance(node, dict) else {"__not_an_object__": node}
    return MeasurementRecord(source, location, fmt, data, node if isinstance(node, dict) else {"value": node})


def read_json_text(text: str, source: str) -> Iterator[ReadItem]:
    try:
        doc = json_values.parse(text)
    except json.JSONDecodeError as exc:
        yield FileProblem(Problem(source, f"line {exc.lineno}", "", f"not valid JSON: {exc.msg} "
                                                                    f"(line {exc.lineno}, column {exc.colno})",
                                  f"geen geldig JSON ({exc.msg}, regel {exc.lineno}, kolom {exc.colno}): controleer "
                                  "komma's, haakjes en aanhalingstekens"), "json", text)
        return
    if isinstance(doc, list):
        for i, node in enumerate(doc):
            yield _record(source, f"/{i}", "json", node)
    else:
        yield _record(source, "/", "json", doc)


def read_json_lines(text: str | Iterable[NumberedLine], source: str) -> Iterator[ReadItem]:
    for number, line in numbered_lines(text) if isinstance(text, str) else text:
        if isinstance(line, LineProblem):
            yield FileProblem(Problem(source, f"line {number}", "", line.reason, line.reason_nl), "jsonl")
            continue
        if not line.strip():
            continue
        try:
            node = json_values.parse(line)
        except json.JSONDecodeError as exc:
            yield MeasurementRecord(source, f"line {number}", "jsonl", {"__invalid_json__": exc.msg},
                                    {"__invalid_line__": line})
            continue
        yield _record(source, f"line {number}", "jsonl", node)


# ---------------------------------------------------------------- long CSV

def _rows_label(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    parts, start, prev = [], numbers[0], numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}-{prev}" if prev != start else f"{start}")
        if n is not None:
            start = prev = n
    return "rows " + ", ".join(parts)


def _cell_value(text: str):
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            value = json_values.parse(stripped)
        except json.JSONDecodeError:
            return text
        return text if json_values.first_bad_value(value) is not None else value
    return text


def read_csv_text(text: str, source: str) -> Iterator[ReadItem]:
    try:
        table = read_csv_table(text, skip_initial_space=True)
    except Unreadable as exc:
        yield FileProblem(Problem(source, exc.location, "", exc.reason, f"geen leesbaar CSV-bestand ({exc.reason})"),
                          "csv", text)
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        yield missing_columns(source, missing, table.header, text)
        return
    # A misspelt column would lose its values in every row (JSON rejects an unknown field too); a
    # column without a name is a trailing separator, unless it holds values.
    unknown = [c for c in table.header if c not in CSV_COLUMNS and (c or _holds_values(table, c))]
    if unknown:
        names = ", ".join(c or "(no name)" for c in unknown)
        yield FileProblem(Problem(source, "row 0", names, f"unknown column(s) {names}; the columns are {', '.join(CSV_COLUMNS)}",
                                  f"onbekende kolom(men) {names}; de kolommen zijn {', '.join(CSV_COLUMNS)}"), "csv", text)
        return
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    for number, row in table.rows:
        if table.separator in (";", "\t"):  # Dutch Excel writes decimal commas: "6,5"
            row = {c: _DECIMAL_COMMA.sub(r"\1.\2", v) if c in NUMBER_COLUMNS else v for c, v in row.items()}
        groups.setdefault(_group_key(row), []).append((number, row))
    ambiguous = _join_partial_keys(groups)
    # A row that cannot be read takes its whole measurement with it (never land one in part): its
    # group is found from its leading cells, which come before any stray separator.
    unread: dict[tuple, list[tuple[int, dict, str]]] = {}
    for number, cells, why in table.ragged:
        key = _group_key(dict(zip(table.header, cells)))
        as_read = dict(zip([*table.header, *(f"extra_{i}" for i in range(len(cells)))], cells))
        if key in groups:
            unread.setdefault(key, []).append((number, as_read, why))
        else:
            yield FileProblem(Problem(source, f"row {number}", "", why), "csv", raw=[as_read])
    for key, members in groups.items():
        record = _csv_record(source, [row for _, row in members], [number for number, _ in members])
        for number, row in ambiguous.get(key, ()):
            record.raw.append(row)  # the rejects file holds the row too, to correct
            record.data.setdefault("__conflicts__", []).append(
                ("", number, "the row leaves out which measurement it belongs to, and several fit: the "
                             "measurement is not taken in part",
                 "de rij laat open bij welke meting ze hoort en er passen er meer; de meting wordt niet half "
                 "overgenomen"))
        for number, as_read, why in unread.get(key, ()):
            record.data.setdefault("__conflicts__", []).append(
                ("", number, f"{why}: the measurement is not taken in part",
                 f"{why.nl}; de meting wordt niet half overgenomen"))
            record.raw.append(as_read)  # the rejects file holds the row too, to correct
        yield record


def _holds_values(table, column: str) -> bool:
    return any(row.get(column, "").strip() for _, row in table.rows)


def _group_key(row: dict) -> tuple:
    """Which measurement a row belongs to: its id, or client, instrument, version and date (the
    same date however written: 02-05-2024 is 2024-05-02)."""
    mid = row.get("measurement_id", "").strip()
    if mid:
        return ("id", mid)
    client, instrument, version, when = (row.get(c, "").strip() for c in
                                         ("client_key", "instrument", "instrument_version", "measured_at"))
    day = parse_date(when)
    return client, instrument, version, day.isoformat() if day else when


def _same_day(column: str, one: str, other: str) -> bool:
    return column == "measured_at" and parse_date(one) is not None and parse_date(one) == parse_date(other)


def _join_partial_keys(groups: dict[tuple, list]) -> dict[tuple, list[tuple[int, dict]]]:
    """Rows that leave a key cell empty (an empty cell is ignored, docs/measurements.md) join the
    one measurement whose other key cells they share: a row without its date must not land apart
    from, or leave out of, the rest of its measurement. Where several fit, the rows are returned
    with each of them (they are rejected whole, the rows named); where none fits, they stay alone."""
    by_client: dict[str, list[tuple]] = {}
    for key in groups:
        if key[0] != "id":
            by_client.setdefault(key[0], []).append(key)
    ambiguous: dict[tuple, list[tuple[int, dict]]] = {}
    for key in [k for k in groups if k[0] != "id" and "" in k]:
        # looked for among the same client's measurements only (a file without instrument_version
        # has an empty cell in every key: against every group it took 8.9 s for 4,000 measurements)
        near = by_client[key[0]] if key[0] else [k for k in groups if k[0] != "id"]
        fits = [k for k in near if k != key and k in groups and k.count("") < key.count("") and
                all(a == "" or a == b for a, b in zip(key, k))]
        if len(fits) == 1:
            groups[fits[0]].extend(groups.pop(key))
            groups[fits[0]].sort(key=lambda member: member[0])  # in file order, as read
        elif fits:
            for fit in fits:
                ambiguous.setdefault(fit, []).extend(groups[key])
            del groups[key]
    return ambiguous


def _csv_record(source: str, rows: list[dict], numbers: list[int]) -> MeasurementRecord:
    """One measurement from its rows; disagreeing per-measurement cells become a `__conflicts__`
    entry that the validator reports with its row."""
    data: dict = {"scores": [], "blocks": {}}
    field_rows: dict[str, int] = {}
    conflicts: list[tuple[str, int, str, str]] = []  # (column, row, reason, reason in Dutch)
    identity: dict = {}
    for row, number in zip(rows, numbers):
        for column in ("measurement_id", *MEASUREMENT_COLUMNS, *CLIENT_COLUMNS, *IDENTITY_COLUMNS):
            cell = row.get(column, "").strip()
            if not cell:
                continue
            target = identity if column in IDENTITY_COLUMNS else data
            if column in target and target[column] != cell and not _same_day(column, target[column], cell):
                conflicts.append((column, number, f"{cell!r} disagrees with {target[column]!r} "
                                                  f"in another row of this measurement",
                                  f"{cell!r} verschilt van {target[column]!r} in een andere rij van deze meting"))
                continue
            if column not in target:  # a problem with the value names the row it came from
                field_rows[column if target is data else f"identity/{column}"] = number
            target[column] = cell
        scale, block = row.get("scale", "").strip(), row.get("block", "").strip()
        if scale:
            data["scores"].append({"scale": scale, "score": row.get("score", "")})
            field_rows[f"scores/{scale}"] = number
        elif row.get("score", "").strip():
            conflicts.append(("scale", number, "a score without its scale: name the scale it belongs to",
                              "een score zonder schaal: noem de schaal waar hij bij hoort"))
        if not block and row.get("value", "").strip():
            conflicts.append(("block", number, "a value without its block: name the block it belongs to",
                              "een waarde zonder onderdeel: noem het onderdeel waar hij bij hoort"))
        if block:
            value = _cell_value(row.get("value", ""))
            if block == "work_history":
                data["work_history"] = value
                field_rows["work_history"] = number
            else:
                data["blocks"][block] = value
                field_rows[f"blocks/{block}"] = number
    if identity:
        data["identity"] = identity
    if conflicts:
        data["__conflicts__"] = conflicts
    return MeasurementRecord(source, _rows_label(numbers), "csv", data, rows, tuple(numbers), field_rows)
