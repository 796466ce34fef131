"""Validation of vacancy records: pure functions from a read record to a `Vacancy` or problems.

Rejected (the record does not land): a missing identifier or title, an unparsable datePosted or
validThrough or one before 1900, validThrough before datePosted, an employmentType that is not
text, an occupationalCategory that is not a known ISCO-08 group, ESCO occupation or O*NET-SOC
code (checked against the code sets passed in), a description that is only HTML (empty once the
markup is removed), hours per week negative or out of range, and an identifier seen before in
the same batch. Malformed JSON is a file-level problem of the reader. Warnings (the record
lands): an unparsable or impossible geo coordinate (NaN, infinite, outside the globe: the postcode
is used instead).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from ingest.json_values import one_line_problem
from ingest.report import Problem
from ingest.text import html_to_text, looks_like_html
from ingest.vacancy_models import NO_POSTING, USED_FIELDS, JobLocation, Vacancy, VacancyRecord, is_job_posting

EARLIEST_DATE = date(1900, 1, 1)  # older dates are typing errors (0001-01-01)
MIN_HOURS, MAX_HOURS = 1.0, 60.0  # 60: the Dutch legal maximum of a working week (Arbeidstijdenwet)

ESCO_OCCUPATION = re.compile(r"^https?://data\.europa\.eu/esco/occupation/[0-9a-fA-F-]{36}$")
ESCO_ISCO = re.compile(r"^https?://data\.europa\.eu/esco/isco/C(\d{4})$")
ONET_SOC = re.compile(r"^(\d{2}-\d{4})(\.\d{2})?(?:\s|$)")
ISCO_08 = re.compile(r"^(?:ISCO(?:-08)?[\s:]*)?(\d{4})(?:\s|$)", re.IGNORECASE)


@dataclass(frozen=True)
class KnownCodes:
    """The occupation codes the atlas knows; occupationalCategory must be one of them."""
    esco: frozenset[str] = frozenset()
    isco: frozenset[str] = frozenset()
    onet: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Validated:
    record: VacancyRecord
    vacancy: Vacancy | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def classify_code(code: str) -> tuple[str, str] | None:
    """("esco", uri) | ("isco", "2512") | ("onet", "15-1252.00"), or None for no known format."""
    code = code.strip()
    if ESCO_OCCUPATION.match(code):
        return "esco", code
    if m := ESCO_ISCO.match(code):
        return "isco", m.group(1)
    if m := ONET_SOC.match(code):
        return "onet", m.group(1) + (m.group(2) or ".00")
    if m := ISCO_08.match(code):
        return "isco", m.group(1)
    return None


class _Collector:
    def __init__(self, record: VacancyRecord) -> None:
        self.record = record
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def reject(self, field_name: str, reason: str, reason_nl: str = "") -> None:
        self.problems.append(Problem(self.record.source, self.record.location, field_name, reason, reason_nl))

    def warn(self, field_name: str, reason: str, reason_nl: str = "") -> None:
        self.warnings.append(Problem(self.record.source, self.record.location, field_name, reason, reason_nl))


# --- field readers ---------------------------------------------------------------------------

MAX_IDENTIFIER = 200  # the identifier goes into URLs (the API's path parameter has the same bound)
MAX_TITLE = 300


def _one_line(c: _Collector, field: str, text: str | None, limit: int) -> None:
    if text is None:
        return
    if len(text) > limit:
        c.reject(field, f"{len(text)} characters, at most {limit}", f"{len(text)} tekens, hoogstens {limit}")
    elif (problem := one_line_problem(text)) is not None:
        c.reject(field, problem)


def _scalar(value) -> str | None:
    """A text value: strings stripped, numbers as text, PropertyValue/Organization objects by value/name."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("value", value.get("name", value.get("@id")))
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def identifier_of(data: dict) -> str | None:
    """A posting's identifier as text (a PropertyValue's value, an @id): the key it is stored under."""
    return _scalar(data.get("identifier"))


def _texts(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        if "monthsOfExperience" in value:
            return [f"{value['monthsOfExperience']} months of experience"]
        for key in ("description", "name", "credentialCategory", "educationalLevel", "value"):
            if value.get(key):
                return _texts(value[key])
        return []
    text = str(value).strip()
    if looks_like_html(text):
        text = html_to_text(text)
    return [text] if text else []


def _joined(value) -> str | None:
    texts = _texts(value)
    return "\n".join(texts) if texts else None


def parse_date(text: str) -> date:
    """ISO 8601 date or date-time (a date-time counts for its calendar date), or dd-mm-yyyy."""
    text = text.strip()
    if re.fullmatch(r"\d{1,2}-\d{1,2}-\d{4}", text):
        day, month, year = (int(p) for p in text.split("-"))
        return date(year, month, day)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _date(c: _Collector, data: dict, key: str) -> date | None:
    raw = _scalar(data.get(key))
    if raw is None:
        return None
    try:
        parsed = parse_date(raw)
    except ValueError:
        c.reject(key, f"unparsable date {raw[:80]!r}: expected ISO 8601 (2025-03-01 or 2025-03-01T09:00:00+01:00)",
                 f"onleesbare datum {raw[:80]!r}: schrijf 2025-03-01 (of 01-03-2025)")
        return None
    if parsed < EARLIEST_DATE:
        c.reject(key, f"{parsed.isoformat()} is before {EARLIEST_DATE.isoformat()}: not a real date",
                 f"{parsed.isoformat()} ligt vóór {EARLIEST_DATE.isoformat()}: geen echte datum")
        return None
    return parsed


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SIGNED = re.compile(r"-\s*\d")  # "-5": a negative number, not the 5 after a dash of "32-40"
# hoursPerWeek: one number or a range ("32-40", "24 à 32", "32 t/m 40"), as employers write it:
# "36", "36 uur", "36 uur per week", "36 uur/week", "36 p/w", "32,5 hours a week"
_HOURS_VALUE = re.compile(
    r"\s*(\d+(?:[.,]\d+)?)(?:\s*(?:-|–|à|a|t/m|tot en met|tot|to)\s*(\d+(?:[.,]\d+)?))?"
    r"\s*(?:uur|u|hours?|hrs?|h)?\s*(?:(?:per|a|p/|/)\s*(?:week|wk|w))?\.?\s*", re.IGNORECASE)
# Times of day ("09:00-17:00", "8am-5pm", "8.30-17.00") say when, not how many hours a week
_CLOCK = re.compile(r"\d{1,2}:\d{2}|\d{1,2}\s*[ap]\.?m\b|\d{1,2}\.\d{2}\s*(?:-|–|tot|to)\s*\d{1,2}\.\d{2}",
                    re.IGNORECASE)


def _hours(c: _Collector, data: dict) -> tuple[float | None, str | None]:
    """Hours per week: `hoursPerWeek` (a number, or a range: its top) or, failing that, the largest
    number in a `workHours` text ("32-40 uur per week"); a text that gives times of day or no
    number ("fulltime") is kept as text, not guessed."""
    work_hours = _scalar(data.get("workHours"))
    given = data.get("hoursPerWeek")
    if isinstance(given, dict):  # a QuantitativeValue: its top, as a range counts
        given = next((given[k] for k in ("maxValue", "value", "minValue") if given.get(k) not in (None, "")), None)
    if given is not None and (isinstance(given, (int, float)) or _scalar(given) is not None):
        return _hours_per_week(c, given), work_hours
    if work_hours is None or _CLOCK.search(work_hours):
        return None, work_hours
    numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(work_hours)]
    if not numbers:
        return None, work_hours
    return _in_range(c, "workHours", work_hours, min(numbers), max(numbers)), work_hours


def _hours_per_week(c: _Collector, value) -> float | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low = high = float(value)  # a JSON number as it is: 1e-05 is not 5, nor 1e20 20
        raw = repr(value)
    else:
        raw = _scalar(value) or ""
        if _SIGNED.match(raw.strip()):
            c.reject("hoursPerWeek", f"hours per week {raw[:80]!r} is negative", f"uren per week {raw[:80]!r} is negatief")
            return None
        found = _HOURS_VALUE.fullmatch(raw)
        if found is None:
            c.reject("hoursPerWeek", f"unparsable hours per week {raw[:80]!r}: expected a number like 32 or 32-40",
                     f"uren per week {raw[:80]!r} onleesbaar: geef een getal, zoals 32 of 32-40")
            return None
        low, high = (float(n.replace(",", ".")) for n in (found[1], found[2] or found[1]))
    return _in_range(c, "hoursPerWeek", raw, low, high)


def _in_range(c: _Collector, key: str, raw: str, low: float, high: float) -> float | None:
    if not (MIN_HOURS <= low and high <= MAX_HOURS):  # NaN fails too
        c.reject(key, f"hours per week {raw[:80]!r} out of range ({MIN_HOURS:g}-{MAX_HOURS:g})",
                 f"uren per week {raw[:80]!r}: dat moet tussen {MIN_HOURS:g} en {MAX_HOURS:g} liggen")
        return None
    return high  # "32-40 uur": the vacancy offers up to 40


def _occupational_category(c: _Collector, data: dict, known: KnownCodes) -> str | None:
    value = data.get("occupationalCategory")
    if value in (None, "", []):
        return None
    values = value if isinstance(value, list) else [value]
    codes = [str(v.get("codeValue") or v.get("@id") or v.get("url") or "") if isinstance(v, dict) else str(v)
             for v in values]
    for code in codes:
        kind_code = classify_code(code)
        if kind_code is None:
            c.reject("occupationalCategory", f"{code!r} is not an ISCO-08 code, ESCO occupation URI or O*NET-SOC code",
                     f"{code!r} is geen ISCO-08-code, ESCO-beroep of O*NET-SOC-code")
            return None
        kind, canonical = kind_code
        if canonical not in getattr(known, kind):
            name = {"esco": "ESCO occupation", "isco": "ISCO-08 code", "onet": "O*NET-SOC code"}[kind]
            naam = {"esco": "onbekend ESCO-beroep", "isco": "onbekende ISCO-08-code",
                    "onet": "onbekende O*NET-SOC-code"}[kind]
            c.reject("occupationalCategory", f"unknown {name} {code!r}: not in the atlas",
                     f"{naam} {code!r}: niet in de atlas")
            return None
    return classify_code(codes[0])[1]


def _skills(value) -> list[str]:
    """Skill names, or the URI of a DefinedTerm that carries one (an ESCO skill)."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            uri = next((item[k] for k in ("@id", "url", "termCode", "sameAs")
                        if isinstance(item.get(k), str) and item[k].startswith("http")), None)
            text = uri or _scalar(item.get("name"))
            if text:
                out.append(text)
        elif isinstance(item, str):
            # A comma- or semicolon-separated text: each part is a skill.
            out.extend(p.strip() for p in re.split(r"[;,\n]", item) if p.strip())
    return list(dict.fromkeys(out))


LIMITS = {"latitude": 90.0, "longitude": 180.0}


def _employment(c: _Collector, value) -> list[str]:
    """employmentType: one text or a list of texts (FULL_TIME, "parttime"); anything else is refused
    rather than stored as the text of a Python object."""
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(e, str) or e is None for e in items):
        c.reject("employmentType", "expected a text or a list of texts", "verwacht een tekst of een lijst van teksten")
        return []
    return [e.strip() for e in items if e and e.strip()]


def _coordinate(c: _Collector, geo: dict, key: str) -> float | None:
    raw = geo.get(key)
    if raw in (None, ""):
        return None
    try:
        value = float(str(raw).replace(",", "."))
    except (ValueError, OverflowError):
        value = math.nan
    if not -LIMITS[key] <= value <= LIMITS[key]:  # NaN, infinities and 400-digit numbers fail too
        c.warn(f"jobLocation.geo.{key}", f"unparsable coordinate {str(raw)[:80]!r}: ignored, the address is used",
               f"onleesbare coördinaat {str(raw)[:80]!r}: genegeerd, het adres telt")
        return None
    return value


def _job_location(c: _Collector, value) -> JobLocation:
    place = value[0] if isinstance(value, list) and value else value
    if not isinstance(place, dict):
        return JobLocation(locality=_scalar(place)) if place else JobLocation()
    address = place.get("address") or {}
    if isinstance(address, list):  # several addresses: the first, like several places
        address = address[0] if address else {}
    if isinstance(address, str):
        address = {"addressLocality": address}
    if not isinstance(address, dict):
        c.reject("jobLocation.address", f"expected a PostalAddress object or a place name, not {str(address)[:80]!r}",
                 f"verwacht een adres of een plaatsnaam, niet {str(address)[:80]!r}")
        address = {}
    geo = place.get("geo") if isinstance(place.get("geo"), dict) else {}
    return JobLocation(postal_code=_scalar(address.get("postalCode")),
                       locality=_scalar(address.get("addressLocality")),
                       country=_scalar(address.get("addressCountry")),
                       latitude=_coordinate(c, geo, "latitude"), longitude=_coordinate(c, geo, "longitude"))


_LANG_NAMES = {"nl": "nl", "nld": "nl", "dut": "nl", "dutch": "nl", "nederlands": "nl",
               "en": "en", "eng": "en", "english": "en", "engels": "en"}
_NL_WORDS = frozenset("de het een en je jij jou jouw wij we van voor met bij ons onze naar ook als uur zijn wat ga 'n die dat wordt er om niet".split())
_EN_WORDS = frozenset("the a and you we of for with to our your at as will are is in".split())


def guess_lang(text: str) -> str | None:
    """nl or en by common function words; None when the text says too little."""
    words = re.findall(r"[a-zà-ÿ]+", text.casefold())[:300]
    nl = sum(w in _NL_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if max(nl, en) < 2:
        return None
    return "nl" if nl > en else "en"


def _lang(data: dict, title: str, description: str) -> str | None:
    given = _scalar(data.get("inLanguage") or data.get("language"))
    if given:
        return _LANG_NAMES.get(given.casefold().split("-")[0].split("_")[0], given.casefold())
    return guess_lang(f"{title}\n{description}")


def _description(c: _Collector, data: dict) -> str:
    raw = data.get("description")
    if raw in (None, ""):
        return ""
    if not isinstance(raw, str):
        c.reject("description", "not a text", "geen tekst")
        return ""
    if looks_like_html(raw):
        text = html_to_text(raw)
        if not text.strip():
            c.reject("description", "HTML-only description: no text left after removing the markup",
                     "alleen opmaak (HTML): zonder de opmaak blijft geen tekst over")
        return text
    return raw.strip()


# --- the record ------------------------------------------------------------------------------

def validate(record: VacancyRecord, known: KnownCodes) -> Validated:
    data = record.data
    c = _Collector(record)
    if "_not_an_object" in data:
        c.reject("", "not a JSON object", "geen JSON-object")
        return Validated(record, None, tuple(c.problems))
    if NO_POSTING in data:
        c.reject("@graph", "no JobPosting in this @graph", "geen vacature (JobPosting) in deze @graph")
        return Validated(record, None, tuple(c.problems))
    if not is_job_posting(data):
        c.reject("@type", f"{str(data.get('@type'))[:80]!r} is not a JobPosting",
                 f"{str(data.get('@type'))[:80]!r} is geen vacature (JobPosting)")
        return Validated(record, None, tuple(c.problems))
    identifier = identifier_of(data)
    title = _scalar(data.get("title"))
    if identifier is None:
        c.reject("identifier", "missing: a vacancy needs an identifier to be updated later",
                 "ontbreekt: een vacature heeft een kenmerk nodig om later bij te werken")
    if title is None:
        c.reject("title", "missing", "ontbreekt")
    _one_line(c, "identifier", identifier, MAX_IDENTIFIER)
    _one_line(c, "title", title, MAX_TITLE)
    description = _description(c, data)
    posted, valid_through = _date(c, data, "datePosted"), _date(c, data, "validThrough")
    if posted and valid_through and valid_through < posted:
        c.reject("validThrough", f"validThrough {valid_through} is before datePosted {posted}",
                 f"de einddatum {valid_through} ligt vóór de plaatsingsdatum {posted}")
    hours, work_hours = _hours(c, data)
    category = _occupational_category(c, data, known)
    location = _job_location(c, data.get("jobLocation"))
    employment = _employment(c, data.get("employmentType"))
    if c.problems:
        return Validated(record, None, tuple(c.problems), tuple(c.warnings))
    extra = {k: v for k, v in data.items() if k not in USED_FIELDS}
    if work_hours and hours is None:
        extra["workHours"] = work_hours  # a text like "fulltime": kept, not interpreted
    vacancy = Vacancy(
        id=identifier, title=title, description=description,
        employer=_scalar(data.get("hiringOrganization")),
        employment_type=employment,
        hours_per_week=hours, date_posted=posted, valid_through=valid_through,
        occupational_category=category, skills=_skills(data.get("skills")),
        qualifications=_joined(data.get("qualifications")),
        education_requirements=_joined(data.get("educationRequirements")),
        experience_requirements=_joined(data.get("experienceRequirements")),
        lang=_lang(data, title, description), job_location=location, raw_extra=extra)
    return Validated(record, vacancy, (), tuple(c.warnings))


def reject_duplicates(results: list[Validated]) -> list[Validated]:
    """Within one batch an identifier may occur once: later occurrences are rejected."""
    first: dict[str, VacancyRecord] = {}
    out = []
    for result in results:
        if result.vacancy is None:
            out.append(result)
            continue
        seen = first.get(result.vacancy.id)
        if seen is None:
            first[result.vacancy.id] = result.record
            out.append(result)
            continue
        problem = Problem(result.record.source, result.record.location, "identifier",
                          f"duplicate identifier {result.vacancy.id!r} (first at {seen.source}, {seen.location})",
                          f"kenmerk {result.vacancy.id!r} kwam al eerder voor: alleen de eerste is gelezen")
        out.append(Validated(result.record, None, (problem,), result.warnings))
    return out
