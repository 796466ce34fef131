"""Validating one measurement record against its instrument profile: pure, no database.

Problems found (each with file, row or JSON pointer, field and reason): unknown instrument,
version or scale; a score that is not a number or is outside the scale's range; a scale given
twice; a missing client key, or one outside the key rule (ingest/client_keys.py); `measured_at`
unparsable, before 1900 or in the future; a block the instrument does not have, or a block value
that contradicts it (an ABC cluster outside G1-G7, a WCM client profile that is not one of its
steps, an occupation that is not an ESCO URI); a record without scores or blocks. Duplicates
within the input are found by `Deduplicator` (same measurement id).

A valid record becomes a `ValidMeasurement` whose id is a hash of its content, so the same
measurement always gets the same id (idempotent re-ingest) and a correction gets a new one.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from competency_atlas.instrument_profiles import Block, InstrumentProfile, Scale
from ingest.client_keys import RULE as KEY_RULE, RULE_NL as KEY_RULE_NL, is_client_key
from ingest.measurement_models import (DUTCH_DATE, SCORE_GROUP_ALIASES, FiredGate, MeasurementIn, MeasurementRecord,
                                       Score, ValidMeasurement, WorkHistory)
from ingest.report import Problem

ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
POSTCODE = re.compile(r"^\s*(?:NL[-\s]?)?(\d{4})\s*([A-Za-z]{2})?\s*$", re.IGNORECASE)
MAX_JOB_YEARS = 60  # as WorkHistoryItem.years
EARLIEST_DATE = date(1900, 1, 1)  # older dates are typing errors (0001-01-01), not measurements


@dataclass(frozen=True)
class Validated:
    record: MeasurementRecord
    measurement: ValidMeasurement | None
    problems: tuple[Problem, ...] = ()


class _Problems:
    def __init__(self, record: MeasurementRecord):
        self.record, self.items = record, []

    def add(self, field: str, reason: str, reason_nl: str = "") -> None:
        row = self.record.field_rows.get(field)
        location = f"row {row}" if row is not None else self.record.location
        self.items.append(Problem(self.record.source, location, field, reason, reason_nl))


# ---------------------------------------------------------------- fast scale look-up

def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


class ScaleIndex:
    """Scale look-up by id or label with a cache on the exact key text (exports repeat the same
    few dozen keys millions of times, so the normalising look-up runs once per distinct key)."""

    def __init__(self, profile: InstrumentProfile):
        self.profile = profile
        self._cache: dict[str, Scale | None] = {}
        self._theme_cache: dict[tuple[str, str], Scale | None] = {}
        self.theme_members = {t: [s for s in profile.scales if s.theme == t] for t in {s.theme for s in profile.scales}}
        # key text -> (scale id, low, high, higher is better, sensitive), for the valid-score fast path
        self._fast: dict[str, tuple[str, float, float, bool, bool] | None] = {}
        self._layouts: dict[tuple[str, ...], tuple | None] = {}
        self.bounds = {s.id: (s.range.min, s.range.max, s.direction == "higher_is_better", s.sensitive)
                       for s in profile.scales}
        self.themes = {t.id for t in profile.themes}
        self.blocks = {b.id: b for b in profile.blocks}
        self.gate_blocks = {g.block for g in profile.gates}

    def scale(self, key: str) -> Scale | None:
        try:
            return self._cache[key]
        except KeyError:
            try:
                found = self.profile.scale(key)
            except KeyError:
                found = None
            self._cache[key] = found
            return found

    def fast(self, key: str) -> tuple[str, float, float, bool, bool] | None:
        try:
            return self._fast[key]
        except KeyError:
            scale = self.scale(key)
            found = self._fast[key] = None if scale is None else (scale.id, *self.bounds[scale.id])
            return found

    def layout(self, keys: tuple[str, ...]) -> tuple[tuple[str, float, float, bool, bool], ...] | None:
        """`fast` for a whole record's keys, cached per key sequence (an export writes the same
        keys in the same order for every record); None when a key is unknown or names a scale twice."""
        try:
            return self._layouts[keys]
        except KeyError:
            scales = tuple(self.fast(k) for k in keys)
            ok = None not in scales and len({s[0] for s in scales}) == len(scales)
            found = self._layouts[keys] = scales if ok else None
            return found

    def in_theme(self, theme: str, key: str) -> Scale | None:
        """A scale of `theme` by id or label, or by the id/label's last part ('dwang' for
        'stressor_dwang', 'Health' for 'Availability: Health')."""
        try:
            return self._theme_cache[(theme, key)]
        except KeyError:
            found = self._theme_cache[(theme, key)] = self._in_theme(theme, key)
            return found

    def _in_theme(self, theme: str, key: str) -> Scale | None:
        found = self.scale(key)
        if found is not None and found.theme == theme:
            return found
        wanted = _norm(key)
        hits = [s for s in self.profile.scales if s.theme == theme and (
            s.id.endswith("_" + wanted.replace(" ", "_")) or _norm(s.label_nl).split(": ")[-1] == wanted
            or _norm(s.label_en).split(": ")[-1] == wanted)]
        return hits[0] if len(hits) == 1 else None


_INDEXES: dict[int, ScaleIndex] = {}


def scale_index(profile: InstrumentProfile) -> ScaleIndex:
    index = _INDEXES.get(id(profile))
    if index is None or index.profile is not profile:
        index = _INDEXES[id(profile)] = ScaleIndex(profile)
    return index


# ---------------------------------------------------------------- values

def parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            return None
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if m := DUTCH_DATE.match(text):
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _pointer(path: str, key: str) -> str:
    return f"{path}/{key}"


# ---------------------------------------------------------------- blocks

def _check_block(p: _Problems, profile: InstrumentProfile, block: Block, value: Any, path: str) -> Any:
    """The block value in canonical form, or None after reporting why it contradicts the profile."""
    kind = block.type
    if kind == "choice":
        if isinstance(value, (dict, list)) or value is None or str(value).strip() == "":
            p.add(path, f"expected one value of {block.id!r} (allowed: {_allowed(block)})",
                  f"verwacht één waarde van {block.id!r} (toegestaan: {_allowed(block)})")
            return None
        return _choice(p, block, value, path)
    if kind == "choices":
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else None
        if items is None:
            p.add(path, f"expected a list of values of {block.id!r} (allowed: {_allowed(block)})",
                  f"verwacht een lijst van waarden van {block.id!r} (toegestaan: {_allowed(block)})")
            return None
        out = [_choice(p, block, v, f"{path}/{i}") for i, v in enumerate(items)]
        return None if None in out else out
    if kind == "text":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            p.add(path, "expected text", "verwacht een tekst")
            return None
        return str(value)
    if kind == "text_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            p.add(path, "expected a list of texts", "verwacht een lijst van teksten")
            return None
        return value
    if kind == "number":
        number = parse_number(value)
        if number is None:
            p.add(path, f"{value!r} is not a number", f"{value!r} is geen getal")
        return number
    if kind == "date":
        parsed = parse_date(value)
        if parsed is None:
            p.add(path, f"{value!r} is not a date (expected YYYY-MM-DD)", f"{value!r} is geen datum (verwacht JJJJ-MM-DD)")
            return None
        return parsed.isoformat()
    if kind == "occupation_list":
        if not isinstance(value, list):
            p.add(path, "expected a list of ESCO occupation URIs", "verwacht een lijst van ESCO-beroepen (URI's)")
            return None
        bad = [v for v in value if not (isinstance(v, str) and v.startswith(ESCO_OCCUPATION_PREFIX))]
        if bad:
            p.add(path, f"not ESCO occupation URIs ({ESCO_OCCUPATION_PREFIX}...): {bad[:3]!r}",
                  f"geen ESCO-beroepen ({ESCO_OCCUPATION_PREFIX}...): {bad[:3]!r}")
            return None
        return value
    if kind == "record":
        return _check_record(p, profile, block, value, path)
    if kind == "record_list":
        if not isinstance(value, list):
            p.add(path, f"expected a list of {block.id!r} records", f"verwacht een lijst van {block.id!r}-gegevens")
            return None
        out = [_check_record(p, profile, block, v, f"{path}/{i}") for i, v in enumerate(value)]
        return None if any(o is None for o in out) else out
    p.add(path, f"unsupported block type {kind!r}")  # pragma: no cover - the profile loader forbids it
    return None


def _allowed(block: Block) -> str:
    return ", ".join(v.id for v in block.values or [])


_CHOICES: dict[int, tuple[Block, dict[str, str]]] = {}


def _choice_ids(block: Block) -> dict[str, str]:
    """Normalised id and labels -> value id, built once per block (first match wins, as listed)."""
    known = _CHOICES.get(id(block))
    if known is None or known[0] is not block:
        table: dict[str, str] = {}
        for v in block.values or []:
            for text in (v.id, v.label_nl, v.label_en):
                table.setdefault(_norm(text), v.id)
        known = _CHOICES[id(block)] = (block, table)
    return known[1]


def _choice(p: _Problems, block: Block, raw: Any, path: str) -> str | None:
    found = _choice_ids(block).get(_norm(str(raw)))
    if found is not None:
        return found
    p.add(path, f"{raw!r} is not a value of {block.id!r} (allowed: {_allowed(block)})",
          f"{raw!r} is geen waarde van {block.id!r} (toegestaan: {_allowed(block)})")
    return None


def _check_record(p: _Problems, profile: InstrumentProfile, block: Block, value: Any, path: str) -> dict | None:
    if not isinstance(value, dict):
        fields = ', '.join(f.id for f in block.fields or [])
        p.add(path, f"expected a {block.id!r} record (fields: {fields})", f"verwacht {block.id!r}-gegevens (velden: {fields})")
        return None
    fields = {f.id: f for f in block.fields or []}
    out, ok = {}, True
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            p.add(_pointer(path, key), f"{block.id!r} has no field {key!r} (fields: {', '.join(fields)})",
                  f"{block.id!r} heeft geen veld {key!r} (velden: {', '.join(fields)})")
            ok = False
            continue
        if item is None:
            continue
        checked = _check_block(p, profile, field, item, _pointer(path, key))
        ok = ok and checked is not None
        out[key] = checked
    return out if ok else None


# ---------------------------------------------------------------- scores

def _score(p: _Problems, index: ScaleIndex, scale: Scale | None, key: str, value: Any, path: str,
           seen: dict[str, str]) -> Score | None:
    if scale is None:
        p.add(path, f"instrument {index.profile.id!r} has no scale {key!r}",
              f"instrument {index.profile.id!r} heeft geen schaal {key!r}")
        return None
    number = parse_number(value)
    if number is None:
        p.add(path, f"score {value!r} is not a number", f"score {value!r} is geen getal")
        return None
    low, high, up, sensitive = index.bounds[scale.id]
    if not low <= number <= high:
        p.add(path, f"score {number:g} is outside the range of {index.profile.id}:{scale.id} [{low:g}, {high:g}]",
              f"score {number:g} valt buiten de schaal {index.profile.id}:{scale.id} ({low:g} tot en met {high:g})")
        return None
    if scale.id in seen:
        p.add(path, f"scale {scale.id!r} is given twice (also as {seen[scale.id]!r})",
              f"schaal {scale.id!r} staat er twee keer in (ook als {seen[scale.id]!r})")
        return None
    seen[scale.id] = key
    level = (number - low) / (high - low)
    return Score(scale.id, number, level if up else 1.0 - level, sensitive)


_NUMBER_TYPES = (int, float)


def _valid_scores(index: ScaleIndex, scores: dict, seen: dict[str, str]) -> list[Score] | None:
    """The common case in one tight loop: every key a known scale, every value a number in range,
    no scale twice. None as soon as anything is off: the checked path then says what and where."""
    layout = index.layout(tuple(scores))
    if layout is None:
        return None
    out = []
    for value, (scale_id, low, high, up, sensitive) in zip(scores.values(), layout):
        if type(value) not in _NUMBER_TYPES or not low <= value <= high or scale_id in seen:  # NaN fails the range test
            return None
        level = (value - low) / (high - low)
        out.append(Score(scale_id, float(value), level if up else 1.0 - level, sensitive))
    seen.update(zip((s[0] for s in layout), scores))
    return out


def _scores(p: _Problems, index: ScaleIndex, scores: Any, seen: dict[str, str]) -> list[Score]:
    out = []
    if isinstance(scores, dict):
        fast = _valid_scores(index, scores, seen)
        if fast is not None:
            return fast
        items = [(k, v, f"scores/{k}") for k, v in scores.items()]
    else:
        items = []
        for i, entry in enumerate(scores):
            if "scale" not in entry or "score" not in entry:
                p.add(f"scores/{i}", "expected {\"scale\": ..., \"score\": ...}", "verwacht {\"scale\": ..., \"score\": ...}")
                continue
            items.append((str(entry["scale"]), entry["score"], f"scores/{entry['scale']}"))
    for key, value, path in items:
        s = _score(p, index, index.scale(key), key, value, path, seen)
        if s is not None:
            out.append(s)
    return out


def _score_group(p: _Problems, index: ScaleIndex, theme: str, key: str, value: Any,
                 seen: dict[str, str]) -> list[Score]:
    path = f"blocks/{key}"
    members = index.theme_members.get(theme, [])
    if not isinstance(value, dict):
        if len(members) == 1:
            s = _score(p, index, members[0], members[0].id, value, path, seen)
            return [s] if s else []
        p.add(path, f"expected {{scale: score}} for the {len(members)} scales of {theme!r}",
              f"verwacht {{schaal: score}} voor de {len(members)} schalen van {theme!r}")
        return []
    out = []
    for k, v in value.items():
        s = _score(p, index, index.in_theme(theme, k), k, v, f"{path}/{k}", seen)
        if s is not None:
            out.append(s)
    return out


# ---------------------------------------------------------------- the record

def measurement_id(client_key: str, instrument: str, version: str, measured_at: date, scores: list[Score],
                   blocks: dict, sensitive_blocks: dict, work_history: list[dict],
                   certificates: tuple[str, ...] = ()) -> str:
    """Hash of the canonical JSON of the content. Stored ids depend on this text: never change it
    (a hand-written join of the score pairs was tried and was slower than the C encoder).
    Certificates join the content only when given, so the ids of earlier measurements stay."""
    content = [client_key, instrument, version, measured_at.isoformat(),
               sorted([s.scale_id, s.raw] for s in scores), blocks, sensitive_blocks, work_history]
    if certificates:
        content.append(sorted(certificates))
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _model_problems(p: _Problems, exc: ValidationError) -> None:
    for err in exc.errors():
        field = "/".join(str(x) for x in err["loc"])
        reason = {"extra_forbidden": "unknown field", "missing": "missing required field"}.get(
            err["type"], err["msg"].removeprefix("Value error, "))
        p.add(field, reason, _model_reason_nl(err))


# pydantic's error types as a reader of the report says them; the ones not here keep English only
_MODEL_NL = {
    "extra_forbidden": "onbekend veld", "missing": "verplicht veld ontbreekt",
    "string_type": "verwacht een tekst", "float_type": "verwacht een getal", "float_parsing": "verwacht een getal",
    "list_type": "verwacht een lijst", "dict_type": "verwacht een object", "model_type": "verwacht een object",
    "date_type": "verwacht een datum (JJJJ-MM-DD)", "date_parsing": "verwacht een datum (JJJJ-MM-DD)",
    "date_from_datetime_parsing": "verwacht een datum (JJJJ-MM-DD)",
    "greater_than_equal": "moet minstens {ge} zijn", "less_than_equal": "mag hoogstens {le} zijn",
    "string_too_long": "te lang: hoogstens {max_length} tekens", "string_too_short": "mag niet leeg zijn",
    "too_long": "te veel: hoogstens {max_length}",
}


def _model_reason_nl(err: dict) -> str:
    if err["type"] == "value_error":  # ours (ingest.report.Refused): the Dutch comes with it
        return getattr(err.get("ctx", {}).get("error"), "reason_nl", "")
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in err.get("ctx", {}).items()}
    return _MODEL_NL.get(err["type"], "").format(**ctx)


def validate(record: MeasurementRecord, profiles: dict[str, InstrumentProfile], today: date,
             education_levels: Block | None = None) -> Validated:
    p = _Problems(record)
    data = record.data
    if "__not_an_object__" in data:
        p.add("", "expected a JSON object (one measurement)", "verwacht een JSON-object (één meting)")
        return Validated(record, None, tuple(p.items))
    if "__invalid_json__" in data:
        p.add("", f"not valid JSON: {data['__invalid_json__']}", f"geen geldig JSON ({data['__invalid_json__']})")
        return Validated(record, None, tuple(p.items))
    for column, row, reason, reason_nl in data.get("__conflicts__", ()):
        p.items.append(Problem(record.source, f"row {row}", column, reason, reason_nl))
    data = {k: v for k, v in data.items() if k != "__conflicts__"}
    try:
        m = MeasurementIn.model_validate(data)
    except ValidationError as exc:
        _model_problems(p, exc)
        return Validated(record, None, tuple(p.items))

    client_key = (m.client_key or "").strip()
    if not client_key:
        p.add("client_key", "missing client key", "klantsleutel ontbreekt")
    elif not is_client_key(client_key):
        p.add("client_key", f"{client_key[:80]!r} is not a valid client key ({KEY_RULE})",
              f"{client_key[:80]!r} is geen geldige klantsleutel ({KEY_RULE_NL})")
    measured_at = parse_date(m.measured_at)
    if m.measured_at in (None, ""):
        p.add("measured_at", "missing measurement date", "meetdatum ontbreekt")
    elif measured_at is None:
        p.add("measured_at", f"{m.measured_at!r} is not a date (expected YYYY-MM-DD)",
              f"{m.measured_at!r} is geen datum (verwacht JJJJ-MM-DD)")
    elif measured_at > today:
        p.add("measured_at", f"{measured_at.isoformat()} is in the future (today is {today.isoformat()})",
              f"{measured_at.isoformat()} ligt in de toekomst (vandaag is het {today.isoformat()})")
    elif measured_at < EARLIEST_DATE:
        p.add("measured_at", f"{measured_at.isoformat()} is before {EARLIEST_DATE.isoformat()}: not a real test date",
              f"{measured_at.isoformat()} ligt voor {EARLIEST_DATE.isoformat()}: geen echte testdatum")
    profile = profiles.get((m.instrument or "").strip().lower())
    if profile is None:
        known = ', '.join(sorted(profiles))
        if m.instrument:
            p.add("instrument", f"unknown instrument {m.instrument!r} (known: {known})",
                  f"onbekend instrument {m.instrument!r} (bekend: {known})")
        else:
            p.add("instrument", "missing instrument", "instrument ontbreekt")
        return Validated(record, None, tuple(p.items))
    version = (m.instrument_version or profile.version).strip()
    if version != profile.version:
        p.add("instrument_version", f"unknown version {version!r} of {profile.id!r} (known: {profile.version})",
              f"onbekende versie {version!r} van {profile.id!r} (bekend: {profile.version})")

    index = scale_index(profile)
    seen: dict[str, str] = {}
    scores = _scores(p, index, m.scores, seen)
    blocks, sensitive, gate_values = {}, {}, {}
    for key, value in m.blocks.items():
        theme = SCORE_GROUP_ALIASES.get((profile.id, key)) or (key if key in index.themes else None)
        if theme is not None and key not in index.blocks:
            scores += _score_group(p, index, theme, key, value, seen)
            continue
        block = index.blocks.get(key)
        if block is None:
            p.add(f"blocks/{key}", f"instrument {profile.id!r} has no block {key!r} "
                                   f"(blocks: {', '.join(index.blocks) or 'none'})",
                  f"instrument {profile.id!r} heeft geen onderdeel {key!r} (onderdelen: {', '.join(index.blocks) or 'geen'})")
            continue
        if value is None:
            continue
        checked = _check_block(p, profile, block, value, f"blocks/{key}")
        if checked is None:
            continue
        (sensitive if block.sensitive else blocks)[key] = checked
        if key in index.gate_blocks:
            gate_values[key] = checked
    if not scores and not m.blocks and not p.items:
        p.add("scores", "the measurement has no scores and no blocks", "de meting heeft geen scores en geen onderdelen")

    work = _work_history(p, m, blocks, measured_at)
    postcode = _postcode(p, m.postcode)
    education = _education(p, m.education_level, education_levels) or (
        blocks.get("experience", {}).get("education_level") if isinstance(blocks.get("experience"), dict) else None)
    if p.items:
        return Validated(record, None, tuple(p.items))

    assert measured_at is not None
    gates = tuple(FiredGate(g.status, g.reason, g.rule_id) for g in profile.evaluate_gates(gate_values))
    work_rows = [{"occupation": w.occupation, "title": w.title, "years": w.years, "until": w.until.isoformat()}
                 for w in work]
    certificates = tuple(sorted({c.strip() for c in m.certificates if c.strip()}))
    mid = measurement_id(client_key, profile.id, version, measured_at, scores, blocks, sensitive, work_rows,
                         certificates)
    identity = m.identity.model_dump(exclude_none=True) if m.identity else None
    return Validated(record, ValidMeasurement(
        id=mid, client_key=client_key, instrument=profile.id, instrument_version=version, measured_at=measured_at,
        administered_by=m.administered_by, external_id=m.measurement_id, source=record.source,
        location=record.location, scores=tuple(scores), blocks=blocks, sensitive_blocks=sensitive,
        gate_block_given=bool(gate_values), gates=gates, work_history=tuple(work), identity=identity or None,
        postcode=postcode, hours_available=m.hours_available, education_level=education,
        client_profile=_client_profile(profile, blocks, sensitive), certificates=certificates))


def _client_profile(profile: InstrumentProfile, blocks: dict, sensitive: dict) -> str | None:
    block = profile.client_profile_block
    value = blocks.get(block, sensitive.get(block)) if block else None
    return value if isinstance(value, str) else None


def _work_history(p: _Problems, m: MeasurementIn, blocks: dict, measured_at: date | None) -> list[WorkHistory]:
    """Work history given directly and from a WCM experience block, as one list."""
    out = []
    if measured_at is None:
        return out
    for i, item in enumerate(m.work_history):
        if not item.occupation and not item.title:
            p.add(f"work_history/{i}", "a work history item needs an occupation (ESCO URI) or a title",
                  "een baan in de werkervaring heeft een beroep (ESCO-URI) of een functienaam nodig")
            continue
        if item.occupation and not item.occupation.startswith(ESCO_OCCUPATION_PREFIX):
            p.add(f"work_history/{i}/occupation", f"{item.occupation!r} is not an ESCO occupation URI",
                  f"{item.occupation!r} is geen ESCO-beroep (URI)")
            continue
        if not _job_end_ok(p, f"work_history/{i}/until", item.until, measured_at):
            continue
        out.append(WorkHistory(item.occupation, item.title, item.years, item.until or measured_at))
    experience = blocks.get("experience")
    for i, job in enumerate((experience or {}).get("work_history") or []):
        occupation, title = job.get("occupation"), job.get("title")
        path = f"blocks/experience/work_history/{i}"
        if occupation and not occupation.startswith(ESCO_OCCUPATION_PREFIX):
            p.add(f"{path}/occupation", f"{occupation!r} is not an ESCO occupation URI", f"{occupation!r} is geen ESCO-beroep (URI)")
            continue
        if not occupation and not title:
            continue
        start, end = parse_date(job.get("from")), parse_date(job.get("to"))
        unread = [f for f, d in (("from", start), ("to", end)) if job.get(f) not in (None, "") and d is None]
        if unread:
            p.add(f"{path}/{unread[0]}", f"{job.get(unread[0])!r} is not a date (2024-05-02 or 02-05-2024)",
                  f"{job.get(unread[0])!r} is geen datum (2024-05-02 of 02-05-2024)")
            continue
        if not _job_end_ok(p, f"{path}/to", end, measured_at):
            continue
        years = job.get("years")
        if years is None and start is not None:
            years = round(((end or measured_at) - start).days / 365.25, 2)
        if years is not None and years < 0:
            p.add(path, "the job ends before it starts", "de baan eindigt voordat hij begint")
            continue
        if years is not None and years > MAX_JOB_YEARS:
            p.add(f"{path}/years", f"{years} years in one job is more than {MAX_JOB_YEARS}",
                  f"{years} jaar in één baan is meer dan {MAX_JOB_YEARS}")
            continue
        out.append(WorkHistory(occupation, title, years, end or measured_at))
    return out


def _job_end_ok(p: _Problems, path: str, end: date | None, measured_at: date) -> bool:
    """A job's end dates its evidence (matcher/profile_columns.py ages evidence from it): one after
    the measurement would keep it fresh for ever, one before 1900 is a typing error."""
    if end is None:
        return True
    if end > measured_at:
        p.add(path, f"{end.isoformat()} is after the measurement date {measured_at.isoformat()}; leave it out for "
                    "a job the client still has",
              f"{end.isoformat()} ligt na de meetdatum {measured_at.isoformat()}; laat het weg voor een baan die "
              "de klant nog heeft")
        return False
    if end < EARLIEST_DATE:
        p.add(path, f"{end.isoformat()} is before 1900", f"{end.isoformat()} ligt voor 1900")
        return False
    return True


def _postcode(p: _Problems, raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    match = POSTCODE.match(raw)
    if not match:
        p.add("postcode", f"{raw!r} is not a Dutch postcode (1234 or 1234 AB)",
              f"{raw!r} is geen Nederlandse postcode (1234 of 1234 AB)")
        return None
    return match.group(1)


def _education(p: _Problems, raw: str | None, levels: Block | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    if levels is None:
        return raw.strip()
    return _choice(p, levels, raw, "education_level")


def education_block(profiles: dict[str, InstrumentProfile]) -> Block | None:
    """The education levels the product knows: the WCM experience block's choice, when loaded."""
    wcm = profiles.get("wcm")
    if wcm is None:
        return None
    try:
        experience = wcm.block("experience")
    except KeyError:
        return None
    return next((f for f in experience.fields or [] if f.id == "education_level"), None)


class Deduplicator:
    """The second and later copies of the same measurement within one input are rejected."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def check(self, v: Validated) -> Validated:
        if v.measurement is None:
            return v
        mid = v.measurement.id
        where = f"{v.record.source} {v.record.location}"
        if mid in self.first:
            problem = Problem(v.record.source, v.record.location, "",
                              f"duplicate record: the same measurement as {self.first[mid]} (id {mid})",
                              f"dubbel: dezelfde meting als {self.first[mid]} (id {mid})")
            return Validated(v.record, None, (problem,))
        self.first[mid] = where
        return v
