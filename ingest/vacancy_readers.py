"""Reading vacancy files: schema.org JobPosting JSON-LD and CSV, every record with its location.

JSON-LD as job sites publish it: a single JobPosting object, a list of them, an object with an
`@graph` (nodes of other types such as Organization are skipped; `{"@id": ...}` references to
them are inlined), or JSON Lines (one object per line; `.jsonl`/`.ndjson`). Locations are JSON
pointers ("/" for a single object, "/3", "/@graph/0") or "line N" for JSON Lines.

CSV (`,` or `;` as Dutch Excel writes it; every cell as text; the header is required) has these
columns — any other column is kept as raw data, not dropped:

    identifier, title, description, employer, postal_code, locality, latitude, longitude,
    employment_type (";"-separated), hours_per_week, work_hours, date_posted, valid_through,
    occupational_category, skills (";"-separated), qualifications, education_requirements,
    experience_requirements, language

Locations are "row N" (1-based data row, the header not counted). What cannot be read as a
record (the file, a line, a row, a record holding a value no input may carry) yields a
`FileProblem` there (ingest/source_files.py).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest import json_values
from ingest.report import Problem
from ingest.source_files import (CSV_SUFFIXES, JSONL_SUFFIXES, FileProblem, LineProblem, NumberedLine, Unreadable,
                                 input_files, missing_columns, numbered_lines, read_csv_table, read_path)
from ingest.vacancy_models import NO_POSTING, VacancyRecord, is_job_posting

JSON_SUFFIXES = {".json", ".jsonld"}
SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES
REQUIRED_CSV_COLUMNS = ("identifier", "title")

CSV_COLUMNS = (
    "identifier", "title", "description", "employer", "postal_code", "locality", "latitude", "longitude",
    "employment_type", "hours_per_week", "work_hours", "date_posted", "valid_through",
    "occupational_category", "skills", "qualifications", "education_requirements",
    "experience_requirements", "language",
)
_CSV_SIMPLE = {  # CSV column → JobPosting property
    "identifier": "identifier", "title": "title", "description": "description",
    "employer": "hiringOrganization", "hours_per_week": "hoursPerWeek", "work_hours": "workHours",
    "date_posted": "datePosted", "valid_through": "validThrough",
    "occupational_category": "occupationalCategory", "qualifications": "qualifications",
    "education_requirements": "educationRequirements",
    "experience_requirements": "experienceRequirements", "language": "inLanguage",
}
_CSV_LISTS = {"employment_type": "employmentType", "skills": "skills"}
_CSV_ADDRESS = {"postal_code": "postalCode", "locality": "addressLocality"}


ReadItem = VacancyRecord | FileProblem


def expand_paths(paths: list[Path]) -> list[Path]:
    return input_files(paths, SUFFIXES)


def read_file(path: Path) -> Iterator[ReadItem]:
    return read_path(path, JSON_SUFFIXES, read_json_text, read_json_lines, read_csv_text)


# --- JSON-LD ---------------------------------------------------------------------------------

def _inline_references(node: dict, by_id: dict[str, dict]) -> dict:
    """`{"@id": x}` values that point at another node of the same @graph are replaced by it."""
    def resolve(value):
        if isinstance(value, dict) and set(value) == {"@id"} and value["@id"] in by_id:
            return by_id[value["@id"]]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value
    return {k: resolve(v) for k, v in node.items()}


def _postings(value, pointer: str, top: bool = True) -> Iterator[tuple[str, object]]:
    """(pointer, node) for every JobPosting in a parsed JSON-LD document; non-objects included
    so the validator can report them. Only the document's own list is walked: a list inside it
    is one (invalid) record, however deep it goes."""
    if isinstance(value, list) and top:
        for i, item in enumerate(value):
            yield from _postings(item, f"{pointer}/{i}", top=False)
    elif isinstance(value, dict) and "@graph" in value:
        graph = value["@graph"] if isinstance(value["@graph"], list) else [value["@graph"]]
        by_id = {n["@id"]: n for n in graph if isinstance(n, dict) and isinstance(n.get("@id"), str)}
        if not any(not isinstance(n, dict) or is_job_posting(n) for n in graph):
            yield pointer or "/", {NO_POSTING: True, "@graph": graph}  # reported, not skipped in silence
        for i, node in enumerate(graph):
            if isinstance(node, dict) and not is_job_posting(node):
                continue  # an Organization, WebPage, ... described alongside the postings
            # a node holding a value no input may carry goes to the validator as it is: inlining
            # recurses, and nesting hundreds of levels deep would exhaust the stack
            whole = isinstance(node, dict) and json_values.first_bad_value(node) is None
            yield f"{pointer}/@graph/{i}", _inline_references(node, by_id) if whole else node
    else:  # another @type here is reported by the validator: the file was meant to hold postings
        yield pointer or "/", value


def _record(source: str, location: str, fmt: str, node: object) -> ReadItem:
    if (bad := json_values.first_bad_value(node)) is not None:  # rejected here: no model need cope with it
        pointer, why = bad
        return FileProblem(Problem(source, location, pointer.lstrip("/"), why), fmt, raw=node)
    data = node if isinstance(node, dict) else {"_not_an_object": node}
    return VacancyRecord(source, location, fmt, data, node if isinstance(node, dict) else {"value": node})


def read_json_text(text: str, source: str) -> Iterator[ReadItem]:
    try:
        document = json_values.parse(text)
    except json.JSONDecodeError as exc:
        # Publishers sometimes name a JSON Lines file .json: one object per line parses.
        lines = [line for line in text.splitlines() if line.strip()]
        if exc.msg == "Extra data" and len(lines) > 1 and lines[0].lstrip().startswith("{"):
            yield from read_json_lines(text, source)
            return
        yield FileProblem(Problem(source, f"line {exc.lineno}, column {exc.colno}", "", f"malformed JSON: {exc.msg}",
                                  f"geen geldig JSON ({exc.msg}): controleer komma's, haakjes en aanhalingstekens"),
                          "json", text)
        return
    for pointer, node in _postings(document, ""):
        yield _record(source, pointer, "json", node)


def read_json_lines(text: str | Iterable[NumberedLine], source: str) -> Iterator[ReadItem]:
    for number, line in numbered_lines(text) if isinstance(text, str) else text:
        location = f"line {number}"
        if isinstance(line, LineProblem):
            yield FileProblem(Problem(source, location, "", line.reason, line.reason_nl), "jsonl")
            continue
        if not line.strip():
            continue
        try:
            node = json_values.parse(line)
        except json.JSONDecodeError as exc:
            # One bad line rejects that line only: the others are independent records.
            yield FileProblem(Problem(source, location, "", f"malformed JSON: {exc.msg} (column {exc.colno})",
                                      f"geen geldig JSON ({exc.msg}, kolom {exc.colno})"), "jsonl", line)
            continue
        for pointer, posting in _postings(node, ""):
            where = location if pointer == "/" else f"{location} {pointer}"
            yield _record(source, where, "jsonl", posting)


# --- CSV -------------------------------------------------------------------------------------

def csv_row_to_posting(row: dict[str, str]) -> dict:
    """A CSV row (documented columns) as a JobPosting-shaped dict; other columns kept as they are."""
    posting: dict = {}
    address: dict = {}
    geo: dict = {}
    for column, value in row.items():
        value = value.strip() if isinstance(value, str) else value
        if value in ("", None):
            continue
        if column in _CSV_SIMPLE:
            posting[_CSV_SIMPLE[column]] = value
        elif column in _CSV_LISTS:
            posting[_CSV_LISTS[column]] = [v.strip() for v in value.split(";") if v.strip()]
        elif column in _CSV_ADDRESS:
            address[_CSV_ADDRESS[column]] = value
        elif column in ("latitude", "longitude"):
            geo[column] = value
        else:
            posting[column] = value  # an undocumented column: raw data, kept
    if address or geo:
        place: dict = {"@type": "Place"}
        if address:
            place["address"] = {"@type": "PostalAddress", **address}
        if geo:
            place["geo"] = {"@type": "GeoCoordinates", **geo}
        posting["jobLocation"] = place
    return posting


def read_csv_text(text: str, source: str) -> Iterator[ReadItem]:
    try:
        table = read_csv_table(text)
    except Unreadable as exc:
        yield FileProblem(Problem(source, exc.location, "", f"malformed CSV: {exc.reason}",
                                  f"geen leesbaar CSV-bestand ({exc.reason})"), "csv", text)
        return
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in table.header]
    if missing:  # "Identifier" is another column
        yield missing_columns(source, missing, table.header, text)
        return
    for number, cells, why in table.ragged:
        yield FileProblem(Problem(source, f"row {number}", "", why), "csv",
                          raw=[dict(zip([*table.header, *(f"extra_{i}" for i in range(len(cells)))], cells))])
    for number, row in table.rows:
        yield VacancyRecord(source, f"row {number}", "csv", csv_row_to_posting(row), [row])
