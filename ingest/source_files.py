"""Opening an ingest file, the same way for measurements and vacancies.

Text is UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" writes one), or UTF-16
with its mark (Excel's "Unicode text"). Anything else is refused, never guessed (a wrong guess
would land names and titles garbled): a .json or .csv file with the offset and line of the
first byte that is not text, a JSON Lines line with its column (the other lines still count).

Memory stays bounded whatever arrives: a JSON or CSV file is parsed whole, so it may not exceed
MAX_DOCUMENT_BYTES; a JSON Lines file is read line by line, and a line longer than
MAX_LINE_CHARS is skipped (reported with its number) without being held in memory.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.report import Problem, Why

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
_CHUNK = 64 * 1024

NumberedLine = tuple[int, "str | LineProblem"]  # (1-based line number, its text or why it is not read)


LINE_TOO_LONG = f"line longer than {MAX_LINE_CHARS:,} characters: not read"
LINE_TOO_LONG_NL = f"regel langer dan {MAX_LINE_CHARS:_} tekens: niet gelezen".replace("_", ".")
NOT_UTF8_NL = "geen UTF-8-tekst: sla het bestand op als UTF-8 (in Excel: 'CSV UTF-8')"
csv.field_size_limit(MAX_DOCUMENT_BYTES)  # a long description is a cell, not a reason to refuse the file


@dataclass(frozen=True)
class FileProblem:
    """What could not be read as a record (the whole file, a line, a CSV row, a record holding a
    value no input may carry): rejected with its problem, `raw` kept for the rejects file."""
    problem: Problem
    fmt: str
    text: str = ""
    raw: dict | list | None = None

    @property
    def rejected(self) -> dict | list:
        return self.raw if self.raw is not None else {"text": self.text}

    @property
    def location(self) -> str:  # where, like a record's: callers need not tell the two apart
        return self.problem.location


@dataclass(frozen=True)
class LineProblem:
    """A JSON Lines line that is not read: too long, or not text."""
    reason: str
    reason_nl: str = ""


class Unreadable(Exception):
    """The file cannot be read (from `location` on, when given); the message says why."""

    def __init__(self, reason: str, location: str = "", reason_nl: str = "") -> None:
        super().__init__(reason)
        self.reason, self.location, self.reason_nl = reason, location, reason_nl


def encoding_of(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the mark and drops it
    return "utf-8"


def _open(path: Path):
    try:
        with path.open("rb") as raw:
            head = raw.read(4)
        return path.open("r", encoding=encoding_of(head), errors="strict", newline=None)
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    except OSError as exc:
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None


def _not_text(encoding: str, where: str) -> str:
    name = "UTF-16" if encoding == "utf-16" else "UTF-8"
    return f"not {name} text: {where} (save the file as UTF-8, in Excel 'CSV UTF-8')"


def _checked(text: str) -> str:
    if "\x00" in text:
        raise Unreadable(f"binary content: a NUL character at character {text.index(chr(0))}")
    return text


def uploaded_text(text: str) -> str:
    """A file's text as a browser read it: a byte it could not decode became U+FFFD (a Latin-1
    export read as UTF-8). Refused like a file that is not UTF-8, rather than landed garbled."""
    if (at := text.find("\ufffd")) >= 0:
        raise Unreadable(_not_text("utf-8", f"an unreadable character at character {at}"),
                         f"line {text.count(chr(10), 0, at) + 1}",
                         NOT_UTF8_NL)
    return _checked(text)


def read_document(path: Path) -> str:
    """The whole text of a .json or .csv file (no byte-order mark), or Unreadable."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    if size > MAX_DOCUMENT_BYTES:
        raise Unreadable(f"file of {size / 2**20:.0f} MB is larger than the {MAX_DOCUMENT_BYTES // 2**20} MB a "
                         ".json or .csv file may have: split it, or write JSON Lines (.jsonl), read line by line")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None
    encoding = encoding_of(data[:4])
    body = data[3:] if encoding == "utf-8-sig" else data  # offsets below count from the file's start
    try:
        return _checked(data.decode(encoding))
    except UnicodeDecodeError as exc:
        start = exc.start + (len(data) - len(body))
        line = exc.object[:exc.start].decode(encoding if encoding != "utf-8-sig" else "utf-8",
                                            errors="replace").count("\n") + 1
        raise Unreadable(_not_text(encoding, f"byte 0x{exc.object[exc.start]:02x} at offset {start}"),
                         f"line {line}") from None


def read_lines(path: Path) -> Iterator[NumberedLine]:
    """The lines of a JSON Lines file, numbered from 1, one at a time. UTF-8 lines are decoded one
    by one, so a line that is not text is that line's problem and the next lines still count;
    UTF-16 files are decoded as a stream (Unreadable from the first line that is not text)."""
    try:
        with path.open("rb") as raw:
            encoding = encoding_of(raw.read(4))
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    except OSError as exc:
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None
    if encoding == "utf-16":
        yield from _utf16_lines(path)
        return
    with path.open("rb") as handle:
        if encoding == "utf-8-sig":
            handle.read(3)
        number = 0
        while line := handle.readline(MAX_LINE_CHARS + 1):
            number += 1
            if len(line) > MAX_LINE_CHARS and not line.endswith(b"\n"):
                _skip_rest_of_line(handle)
                yield number, LineProblem(LINE_TOO_LONG, LINE_TOO_LONG_NL)
                continue
            body = line[:-1] if line.endswith(b"\n") else line
            body = body[:-1] if body.endswith(b"\r") else body
            for i, piece in enumerate(body.split(b"\r")):  # a lone CR ends a line too (old Mac files)
                number += 1 if i else 0
                try:
                    yield number, piece.decode("utf-8")  # a NUL fails that line's JSON parse
                except UnicodeDecodeError as exc:
                    yield number, LineProblem(_not_text("utf-8", f"byte 0x{piece[exc.start]:02x} "
                                                                 f"at column {exc.start + 1}"), NOT_UTF8_NL)


def _utf16_lines(path: Path) -> Iterator[NumberedLine]:
    handle = _open(path)
    with handle:
        number = 0
        try:
            while line := handle.readline(MAX_LINE_CHARS + 1):
                number += 1
                if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                    _skip_rest_of_line(handle)
                    yield number, LineProblem(LINE_TOO_LONG, LINE_TOO_LONG_NL)
                    continue
                yield number, line.rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise Unreadable(_not_text("utf-16", f"byte 0x{exc.object[exc.start]:02x}"), f"line {number + 1}") from None


def _skip_rest_of_line(handle) -> None:
    while True:
        chunk = handle.readline(_CHUNK)
        if not chunk or chunk.endswith(b"\n" if isinstance(chunk, bytes) else "\n"):
            return


def numbered_lines(text: str) -> Iterator[NumberedLine]:
    """Text already in memory (an upload) as numbered lines, the same shape as read_lines."""
    # io.StringIO splits at line ends only (str.splitlines would also split at U+2028, which
    # JSON allows inside a string), the same lines read_lines gives for the file
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        line = line.rstrip("\n")
        yield number, (LineProblem(LINE_TOO_LONG, LINE_TOO_LONG_NL) if len(line) > MAX_LINE_CHARS else line)


# ---------------------------------------------------------------- CSV

def csv_separator(text: str) -> str:
    """Whichever of `,`, `;` (Dutch Excel's "CSV") and a tab (Excel's "Unicode text", UTF-16) the
    header (the first line with text) holds most of; `,` when it holds none."""
    header = next((line for line in io.StringIO(text, newline=None) if line.strip()), "")
    return max((",", ";", "\t"), key=header.count)  # a tie keeps the earlier: `,` before `;`


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (1-based data row, header not counted, blank rows counted; cells by column)
    ragged: list[tuple[int, list[str], Why]]  # rows whose cell count differs from the header's: (row, cells, why)
    separator: str


def read_csv_table(text: str, skip_initial_space: bool = False) -> CsvTable:
    """Every cell as text; blank rows skipped. Rows are numbered as data rows (1-based, the header
    not counted, blank rows counted, so row N is the sheet's row N + 1; a quoted cell may span
    lines). A row with more or fewer cells than the header is set apart with its number (pandas
    would shift or pad it silently); no header, or a column named twice, is Unreadable."""
    separator = csv_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=skip_initial_space)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise Unreadable(f"not a readable CSV file: {exc}", f"line {reader.line_num}") from None
    lines = [(i, row) for i, row in enumerate(records) if row and any(cell.strip() for cell in row)]
    if not lines:
        raise Unreadable("not a readable CSV file: no header row")
    at, first = lines[0]
    header = [cell.strip() for cell in first]
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise Unreadable(f"column(s) {', '.join(twice)} more than once in the header", "row 0")
    rows, ragged = [], []
    for i, cells in lines[1:]:
        number = i - at  # the blank rows between count: "row 5" is the fifth row under the header
        if len(cells) != len(header):
            ragged.append((number, cells, Why(
                f"{len(cells)} cells where the header has {len(header)} "
                f"(separator {separator!r}; a cell with the separator needs quotes)",
                f"{len(cells)} cellen, de kopregel heeft er {len(header)}: zet een cel met {separator!r} erin "
                f"tussen aanhalingstekens")))
        else:
            rows.append((number, dict(zip(header, cells))))
    return CsvTable(header, rows, ragged, separator)


def missing_columns(source: str, missing: list[str], header: list[str], text: str) -> FileProblem:
    """One problem at the header for the required columns a CSV file lacks, not one on every row;
    the file's text kept for the rejects file."""
    names, given = ", ".join(missing), ", ".join(header)
    return FileProblem(Problem(source, "row 0", names, f"missing required column(s) {names} (header: {given})",
                               f"verplichte kolom(men) {names} ontbreken (kopregel: {given})"), "csv", text)



# ---------------------------------------------------------------- one file, by its suffix

JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}


def read_path(path: Path, json_suffixes: set[str], read_json: Callable, read_json_lines: Callable,
              read_csv: Callable) -> Iterator:
    """The records of one file by its suffix, each reader given (text or numbered lines, source);
    a file that cannot be read, or not from some line on, gives a FileProblem there."""
    suffix, source = path.suffix.lower(), str(path)
    fmt = "csv" if suffix in CSV_SUFFIXES else "jsonl" if suffix in JSONL_SUFFIXES else "json"
    reader = reader_for(suffix, json_suffixes, read_json, read_json_lines, read_csv)
    if reader is None:
        yield unknown_file_type(source, suffix, json_suffixes)
        return
    try:
        yield from reader(read_lines(path) if reader is read_json_lines else read_document(path), source)
    except Unreadable as exc:
        yield FileProblem(Problem(source, exc.location, "", exc.reason), fmt)


def input_files(paths: list[Path], suffixes: set[str]) -> list[Path]:
    """Files as given, folders expanded to their input files (sorted, recursive), leaving out what
    an earlier run wrote there (its rejects and problems): a folder ingested again is not fed back
    its own rejects."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                              and ".rejects." not in p.name and not p.name.endswith(".problems.json")))
        else:
            out.append(path)
    return out


def unknown_file_type(source: str, suffix: str, json_suffixes: set[str]) -> FileProblem:
    known = ", ".join(sorted(json_suffixes | JSONL_SUFFIXES | CSV_SUFFIXES))
    return FileProblem(Problem(source, "", "", f"unknown file type {suffix!r}: expected {known}",
                               f"onbekend soort bestand {suffix!r}: verwacht {known}"), "json")


def reader_for(suffix: str, json_suffixes: set[str], read_json: Callable, read_json_lines: Callable,
               read_csv: Callable) -> Callable | None:
    """Which reader a file kind takes, by its suffix (None: a kind not read)."""
    if suffix in JSONL_SUFFIXES:
        return read_json_lines
    if suffix in CSV_SUFFIXES:
        return read_csv
    return read_json if suffix in json_suffixes else None
