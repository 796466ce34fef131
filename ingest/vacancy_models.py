"""A vacancy as the product keeps it: the schema.org JobPosting fields it uses, normalised, and
everything else kept as raw JSON (nothing a publisher sent is dropped).

`VacancyRecord` is what a reader yields before validation: the record as read (a dict, with CSV
rows already mapped onto JobPosting field names), where it came from, and its format.
`Vacancy` is a validated record; `EnrichedVacancy` adds what the ingest derives (occupation,
location, requirements) and is what the repository writes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

# JobPosting properties the product reads; every other key goes to `raw_extra`.
USED_FIELDS = frozenset({
    "@context", "@type", "identifier", "title", "description", "hiringOrganization", "jobLocation",
    "employmentType", "workHours", "hoursPerWeek", "datePosted", "validThrough", "occupationalCategory",
    "skills", "qualifications", "educationRequirements", "experienceRequirements", "inLanguage", "language",
})


@dataclass(frozen=True)
class VacancyRecord:
    """One record as read, before validation."""
    source: str  # the input file
    location: str  # JSON pointer ("/3", "/@graph/0"), "line 7" (JSON Lines) or "row 12" (CSV)
    fmt: str  # "json" | "jsonl" | "csv"
    data: dict  # JobPosting-shaped dict
    raw: dict | list[dict] = field(default_factory=dict)  # as read, for the rejects file


class JobLocation(BaseModel):
    model_config = ConfigDict(frozen=True)
    postal_code: str | None = None
    locality: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    country: str | None = None


class Vacancy(BaseModel):
    """A validated vacancy: the JobPosting fields the product uses, normalised."""
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    description: str = ""  # plain text (HTML stripped)
    employer: str | None = None
    employment_type: list[str] = Field(default_factory=list)
    hours_per_week: float | None = None
    date_posted: date | None = None
    valid_through: date | None = None
    occupational_category: str | None = None  # the code as given (ISCO-08, ESCO URI, O*NET-SOC)
    skills: list[str] = Field(default_factory=list)
    qualifications: str | None = None
    education_requirements: str | None = None
    experience_requirements: str | None = None
    lang: str | None = None  # "nl" | "en" | None (unknown)
    job_location: JobLocation = Field(default_factory=JobLocation)
    raw_extra: dict = Field(default_factory=dict)  # unused JobPosting fields, as sent

    def content_hash(self) -> str:
        """Hash of everything the vacancy says: equal hash = nothing to update."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def requirement_texts(self) -> list[str]:
        """The free texts that state requirements besides the description."""
        return [t for t in (self.qualifications, self.education_requirements, self.experience_requirements) if t]


class OccupationMatch(BaseModel):
    """Where a vacancy's occupation came from and how sure that is."""
    model_config = ConfigDict(frozen=True)
    occupation_uri: str | None = None  # an ESCO occupation, or None when only a group is known
    isco_group: str | None = None  # ISCO-08 4-digit code, when the vacancy names only a group
    method: str = "none"  # explicit_esco | explicit_onet | explicit_isco | isco_title | title | none
    confidence: float = 0.0
    needs_review: bool = True
    matched_label: str | None = None


class Place(BaseModel):
    """A located vacancy: the pc4 area it falls in, its municipality and labour-market region."""
    model_config = ConfigDict(frozen=True)
    latitude: float | None = None
    longitude: float | None = None
    postcode: str | None = None  # the 4-digit area used for the coordinates
    municipality_code: str | None = None
    municipality_name: str | None = None
    region_code: str | None = None
    region_name: str | None = None
    method: str = "unknown"  # postcode | postcode_neighbour | place | geo | unknown

    @property
    def known(self) -> bool:
        return self.latitude is not None


class VacancyRequirement(BaseModel):
    """One (:Vacancy)-[:REQUIRES]->(:Competency) edge, saying where it came from."""
    model_config = ConfigDict(frozen=True)
    competency_uri: str
    origin: str  # explicit | extracted | inherited (the strongest origin)
    origins: tuple[str, ...]  # every origin that named the competency
    relation: str  # essential | optional
    required_level: float | None = None
    importance: float | None = None
    score: float | None = None  # extraction score (extracted only)
    sentence: str | None = None  # the sentence it was extracted from
    text: str | None = None  # the explicit skill as the employer wrote it


class EnrichedVacancy(BaseModel):
    vacancy: Vacancy
    occupation: OccupationMatch
    place: Place
    requirements: list[VacancyRequirement] = Field(default_factory=list)
    unresolved_skills: list[str] = Field(default_factory=list)
    status: str = "open"  # open | closed (past validThrough)
    content_hash: str = ""


NO_POSTING = "_no_posting"  # marks an @graph that holds no JobPosting (the validator reports it)
SCHEMA_PREFIXES = ("schema:", "http://schema.org/", "https://schema.org/")


def is_job_posting(node: dict) -> bool:
    """No @type (a plain record), or JobPosting, also written as a compact or full IRI."""
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return kind is None or any(isinstance(k, str) and _local_name(k) == "JobPosting" for k in kinds)


def _local_name(kind: str) -> str:
    for prefix in SCHEMA_PREFIXES:
        if kind.startswith(prefix):
            return kind[len(prefix):]
    return kind
