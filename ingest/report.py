"""What an ingest run reports: what landed, what was already there, and what was rejected and why.

Shared by the measurement and vacancy ingests (and the API, which answers with the same items),
so that every bad record is described the same way: source file, location in it (a CSV row
number or a JSON pointer), the field, and the reason. Rejected records are written back in their
original form to a rejects file that can be corrected and ingested again.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


MAX_REASON = 300


class Why(str):
    """A reason in English with the Dutch in `nl` (a page shows that one): a `Problem` made from
    one carries both, so the code that finds a problem need not know who reads it."""

    def __new__(cls, reason: str, nl: str) -> "Why":
        why = super().__new__(cls, reason)
        why.nl = nl
        return why

    @classmethod
    def joined(cls, parts: "list[Why]", end: "Why") -> "Why":
        """Several reasons and their consequence as one sentence in each language."""
        return cls("; ".join([*parts, end]), "; ".join([*(p.nl for p in parts), end.nl]))


@dataclass(frozen=True)
class Problem:
    source: str  # the input file (or "request" for the API)
    location: str  # "row 12" (1-based data row: header not counted, blank rows counted) or a JSON pointer "/3"
    field: str  # the offending field, "" when the record as a whole is wrong
    reason: str
    reason_nl: str = ""  # the same in Dutch, where the pages show it (empty: only the English one)

    def __post_init__(self) -> None:
        if not self.reason_nl and isinstance(self.reason, Why):
            object.__setattr__(self, "reason_nl", self.reason.nl)
        # A reason quotes the value it refuses: a megabyte of it would flood the report and the page
        for name in ("reason", "reason_nl"):
            if len(text := getattr(self, name)) > MAX_REASON:
                object.__setattr__(self, name, text[:MAX_REASON - 1] + "…")

    def as_answer(self) -> dict:
        """For an API answer, where the request is the source: where, which field, why."""
        return {"location": self.location, "field": self.field, "reason": self.reason,
                "reason_nl": self.reason_nl or None}

    def as_dict(self) -> dict:
        """For the JSON reports: the Dutch reason only where there is one."""
        out = {"source": self.source, "location": self.location, "field": self.field, "reason": self.reason}
        return {**out, "reason_nl": self.reason_nl} if self.reason_nl else out

    def __str__(self) -> str:
        where = f"{self.source}, {self.location}" + (f", field {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


class Refused(ValueError):
    """A value a model's validator refuses, with the reason in Dutch too (pydantic keeps the
    exception in the error's context, where the problem report finds `reason_nl`)."""

    def __init__(self, reason: str, reason_nl: str) -> None:
        super().__init__(reason)
        self.reason_nl = reason_nl


@dataclass(frozen=True)
class Rejection:
    problems: tuple[Problem, ...]
    # The record as it was read: a dict for JSON, a list of row dicts for CSV (all rows that make
    # up the record), so it can be written back and corrected.
    raw: dict | list[dict]
    fmt: str  # "json" | "jsonl" | "csv"


@dataclass
class IngestReport:
    kind: str  # "measurements" | "vacancies"
    run_id: str
    landed: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rejections for p in r.problems]

    @property
    def exit_code(self) -> int:
        """0: everything landed; 2: some records were rejected (the valid ones landed)."""
        return 2 if self.rejections else 0

    def summary(self) -> dict:
        return {"kind": self.kind, "run_id": self.run_id, "landed": self.landed,
                "unchanged": self.unchanged, "rejected": self.rejected}

    def write_rejects(self, folder: Path) -> list[Path]:
        """One rejects file per input file and format, in that format, plus a problems report."""
        if not self.rejections:
            return []
        folder.mkdir(parents=True, exist_ok=True)
        groups: dict[tuple[str, str], list[Rejection]] = defaultdict(list)
        for r in self.rejections:
            groups[(r.problems[0].source, r.fmt)].append(r)
        written = []
        stems = Counter(Path(source).stem for source, _ in groups)
        for (source, fmt), rejections in groups.items():
            stem = Path(source).stem or "request"
            if stems[Path(source).stem] > 1:  # a/data.csv and b/data.csv: one rejects file each
                stem += "-" + hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()[:8]
            path = folder / f"{stem}.{self.run_id}.rejects.{'csv' if fmt == 'csv' else fmt}"
            # Text that is not valid Unicode (a lone surrogate in a rejected record) is written as a
            # JSON escape; a whole file that could not be read is a one-cell row or a {"text": ...}.
            if fmt == "csv":
                rows = [row for r in rejections for row in (r.raw if isinstance(r.raw, list) else [r.raw])]
                import pandas as pd  # here, not at the top: the API imports this module and never writes rejects

                pd.DataFrame(rows).to_csv(path, index=False, errors="backslashreplace")
            elif fmt == "jsonl":
                path.write_text("".join(json.dumps(r.raw, ensure_ascii=False) + "\n" for r in rejections),
                                errors="backslashreplace")
            else:
                path.write_text(json.dumps([r.raw for r in rejections], ensure_ascii=False, indent=2),
                                errors="backslashreplace")
            written.append(path)
        report = folder / f"{self.kind}.{self.run_id}.problems.json"
        report.write_text(json.dumps([p.as_dict() for p in self.problems], ensure_ascii=False, indent=2),
                          errors="backslashreplace")
        return [*written, report]
