"""Client measurements at the edge: the JSON object a measurement export carries (pydantic), the
record as read from a file (with where it came from), and the validated measurement (plain data).

One JSON object = one administration of one instrument to one client (format documented in
docs/measurements.md, examples in examples/measurements/):

    {"client_key": "K-000123", "instrument": "abc", "instrument_version": "2024.1",
     "measured_at": "2024-05-02", "administered_by": "coach C-17",
     "scores": {"Samenwerken": 7, "communiceren": 6},           # scale id, Dutch or English label
     "blocks": {"cluster": "G2", "balance": {"stabiliteit": 6}, "locus_of_control": 7,
                "stressors": {"dwang": 3}},                     # the instrument's own blocks
     "identity": {"name": "...", "email": "...", "phone": "..."},  # optional, kept apart
     "postcode": "3511 AB", "hours_available": 32, "education_level": "mbo",
     "work_history": [{"occupation": "http://data.europa.eu/esco/occupation/...", "years": 4}]}

Types are lenient on purpose (scores and blocks are `Any`): the validator checks them against the
instrument profile and reports each bad value with its own field and reason, instead of one
generic type error per record.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from ingest.json_values import one_line_problem
from ingest.report import Refused

# Blocks that carry scale scores rather than block values: the key names a theme of the
# instrument profile (or one of these aliases) and holds {scale: score}, or one number when the
# theme has a single scale (ABC locus of control).
SCORE_GROUP_ALIASES = {
    ("abc", "balance"): "energy_balance",
    ("abc", "energy_balance"): "energy_balance",
    ("abc", "locus_of_control"): "locus_of_control",
    ("abc", "stressors"): "stressors",
    ("wcm", "life_domains"): "availability",
    ("wcm", "availability"): "availability",
}

def _one_line(text: str) -> str:
    if (problem := one_line_problem(text)) is not None:
        # the vacancies' words, not a regular expression full of control characters
        raise Refused(problem, problem.nl)
    return text


# A short text of one line (ingest/json_values.py's rule), bounded.
OneLine = Annotated[str, StringConstraints(max_length=200), AfterValidator(_one_line)]


class Identity(BaseModel):
    """Personal data: stored only in a separate :ClientIdentity node, never on the client."""
    model_config = ConfigDict(extra="forbid")
    name: OneLine | None = None
    email: OneLine | None = None
    phone: OneLine | None = None


def _job_date(value):
    """A date as measured_at takes it (2024-05-02 or 02-05-2024); pydantic alone would read the
    number 0 as 1970-01-01 and refuse the Dutch form."""
    if isinstance(value, (bool, int, float)):
        raise Refused(f"expected a date (2024-05-02 or 02-05-2024), not {value!r}",
                      f"verwacht een datum (2024-05-02 of 02-05-2024), geen {value!r}")
    if isinstance(value, str) and (m := DUTCH_DATE.match(value.strip())):
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return value


DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")  # 02-05-2024: how Dutch exports write dates


class WorkHistoryItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occupation: str | None = None   # ESCO occupation URI
    title: str | None = None        # job title, resolved to an occupation by exact label
    years: float | None = Field(default=None, ge=0, le=60)
    # when the job ended (default: the measurement date; not after it, ingest/measurement_validation.py)
    until: Annotated[date, BeforeValidator(_job_date)] | None = None


def _hours_value(value):
    """pydantic reads true as 1.0 (an hour a week nobody meant) and "nan" as a number out of range."""
    if isinstance(value, bool):
        raise Refused("expected a number of hours, not true or false", "verwacht een aantal uren, geen true of false")
    try:
        finite = math.isfinite(float(value))
    except (TypeError, ValueError):
        return value  # pydantic says what it is not
    if not finite:
        raise Refused(f"expected a number of hours, not {str(value)[:20]!r}",
                      f"verwacht een aantal uren, geen {str(value)[:20]!r}")
    return value


class MeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measurement_id: str | None = None     # the exporter's own id; kept as external_id
    client_key: str | None = None         # checked by the validator (missing = its own problem)
    instrument: str | None = None
    instrument_version: str | None = None  # default: the version in the instrument profile
    measured_at: Any = None
    administered_by: OneLine | None = None  # a name or id, not a document
    scores: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    blocks: dict[str, Any] = Field(default_factory=dict)
    identity: Identity | None = None
    postcode: str | None = None
    hours_available: Annotated[float, BeforeValidator(_hours_value)] | None = Field(default=None, ge=0, le=80)
    education_level: str | None = None
    work_history: list[WorkHistoryItem] = Field(default_factory=list)
    # Certificates, licences, diplomas and courses as written ("VCA basis", "rijbewijs C"): matched
    # to competency_atlas/certificates.yaml when the profile is derived.
    certificates: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50)


@dataclass(frozen=True)
class MeasurementRecord:
    """One record as read: the object, where it came from, and the raw form for a rejects file."""
    source: str
    location: str          # JSON pointer ("/3"), "line 7" (JSON Lines) or "rows 2-61" (CSV)
    fmt: str               # json | jsonl | csv
    data: dict
    raw: dict | list[dict]  # the JSON object, or the CSV rows that made up the record
    row_numbers: tuple[int, ...] = ()  # CSV: the data row of each score, in data["scores"] order
    field_rows: dict = field(default_factory=dict)  # CSV: field path -> data row, for problems


class Score(NamedTuple):
    """One validated scale score (a NamedTuple: an ingest makes millions)."""
    scale_id: str
    raw: float
    level: float       # normalised to [0, 1], 1 = best
    sensitive: bool


@dataclass(frozen=True)
class WorkHistory:
    occupation: str | None  # ESCO URI (None while only a title is known)
    title: str | None
    years: float | None
    until: date


@dataclass(frozen=True)
class FiredGate:
    status: str
    reason: str
    rule_id: str


@dataclass(frozen=True)
class ValidMeasurement:
    id: str                    # deterministic: hash of client, instrument, version, date, scores, blocks
    client_key: str
    instrument: str
    instrument_version: str
    measured_at: date
    administered_by: str | None
    external_id: str | None
    source: str
    location: str
    scores: tuple[Score, ...]
    blocks: dict               # canonical, non-sensitive instrument blocks
    sensitive_blocks: dict     # canonical sensitive blocks (ABC cluster, ...)
    gate_block_given: bool
    gates: tuple[FiredGate, ...]
    work_history: tuple[WorkHistory, ...]
    identity: dict | None
    postcode: str | None
    hours_available: float | None
    education_level: str | None
    client_profile: str | None = None  # the value of the instrument's client-profile block
    certificates: tuple[str, ...] = ()
