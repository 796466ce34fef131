"""Opening an ingest file, the same way for measurements and vacancies.

Text is UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" writes one), or UTF-16
with its mark (Excel's "Unicode text"). Anything else is refused with the offset of the first
byte that is not text, never guessed: a wrong guess would land names and titles garbled.

Memory stays bounded whatever arrives: a JSON or CSV file is parsed whole, so it may not exceed
MAX_DOCUMENT_BYTES; a JSON Lines file is read line by line, and a line longer than
MAX_LINE_CHARS is skipped (reported with its number) without being held in memory.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
_CHUNK = 64 * 1024

NumberedLine = tuple[int, str | None]  # (1-based line number, text; None: longer than MAX_LINE_CHARS)


LINE_TOO_LONG = f"line longer than {MAX_LINE_CHARS:,} characters: not read"


class Unreadable(Exception):
    """The file cannot be read (from `location` on, when given); the message says why."""

    def __init__(self, reason: str, location: str = "") -> None:
        super().__init__(reason)
        self.reason, self.location = reason, location


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


def _not_text(exc: UnicodeDecodeError, encoding: str) -> Unreadable:
    name = "UTF-16" if encoding == "utf-16" else "UTF-8"
    return Unreadable(f"not {name} text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start} of a read block "
                      "(save the file as UTF-8, in Excel 'CSV UTF-8')")


def _checked(text: str) -> str:
    if "\x00" in text:
        raise Unreadable(f"binary content: a NUL character at character {text.index(chr(0))}")
    return text


def read_document(path: Path) -> str:
    """The whole text of a .json or .csv file (no byte-order mark), or Unreadable."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    if size > MAX_DOCUMENT_BYTES:
        raise Unreadable(f"file of {size / 2**20:.0f} MB is larger than the {MAX_DOCUMENT_BYTES // 2**20} MB a "
                         ".json or .csv file may have: split it, or write JSON Lines (.jsonl), read line by line")
    handle = _open(path)
    with handle:
        try:
            return _checked(handle.read())
        except UnicodeDecodeError as exc:
            raise _not_text(exc, handle.encoding) from None


def read_lines(path: Path) -> Iterator[NumberedLine]:
    """The lines of a JSON Lines file, numbered from 1, one at a time; Unreadable before the first
    line, or at the line where the text stops being text (the lines before it stand)."""
    handle = _open(path)
    with handle:
        number = 0
        try:
            while True:
                line = handle.readline(MAX_LINE_CHARS + 1)
                if not line:
                    return
                number += 1
                if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                    _skip_rest_of_line(handle)
                    yield number, None
                    continue
                yield number, line.rstrip("\r\n")  # a NUL in a line fails that line's JSON parse
        except UnicodeDecodeError as exc:
            raise Unreadable(_not_text(exc, handle.encoding).reason, f"line {number + 1}") from None


def _skip_rest_of_line(handle) -> None:
    while True:
        chunk = handle.readline(_CHUNK)
        if not chunk or chunk.endswith("\n"):
            return


def numbered_lines(text: str) -> Iterator[NumberedLine]:
    """Text already in memory (an upload) as numbered lines, the same shape as read_lines."""
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, (None if len(line) > MAX_LINE_CHARS else line)


# ---------------------------------------------------------------- CSV

def csv_separator(text: str) -> str:
    """`;` when the header has more of them than commas (Dutch Excel writes `;`), else `,`."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (1-based data row, header not counted; cells by column)
    ragged: list[tuple[int, str]]  # rows whose cell count differs from the header's: (row, why)
    separator: str


def read_csv_table(text: str, skip_initial_space: bool = False) -> CsvTable:
    """Every cell as text; blank lines skipped. A row with more or fewer cells than the header is
    set apart with its number (pandas would shift or pad it silently); no header is Unreadable."""
    separator = csv_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=skip_initial_space,
                        strict=True)
    try:
        lines = [row for row in reader if row and any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise Unreadable(f"not a readable CSV file: {exc}", f"line {reader.line_num}") from None
    if not lines:
        raise Unreadable("not a readable CSV file: no header row")
    header = [cell.strip() for cell in lines[0]]
    rows, ragged = [], []
    for number, cells in enumerate(lines[1:], start=1):
        if len(cells) != len(header):
            ragged.append((number, f"{len(cells)} cells where the header has {len(header)} "
                                   f"(separator {separator!r}; a cell with the separator needs quotes)"))
        else:
            rows.append((number, dict(zip(header, cells))))
    return CsvTable(header, rows, ragged, separator)

