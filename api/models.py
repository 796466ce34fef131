"""Request and response models of the HTTP API (pydantic), each with an example for the OpenAPI
document. Responses carry only what the caller's role may see (api/access.py decides)."""
from __future__ import annotations

from datetime import date

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.access import Role
from api.decisions import AdviceKind, Choice, ReasonCode
from ingest import client_keys

T = TypeVar("T")
EXAMPLE_OCC = "http://data.europa.eu/esco/occupation/c2ee3fd6-4e9c-4a2e-9e4e-4c2b0f0d0c6a"
EXAMPLE_SKILL = "http://data.europa.eu/esco/skill/b0096dc5-2e2d-4bc1-8172-05bf486c3968"


def _example(example: dict) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class Problem(BaseModel):
    """application/problem+json (RFC 9457)."""
    model_config = _example({"type": "about:blank", "title": "Not found", "status": 404,
                             "detail": "No client with this key in your caseload.", "instance": "/clients/K-1"})
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict] | None = Field(None, description="422: one entry per invalid field, with its location.")


class Page(BaseModel, Generic[T]):
    total: int = Field(description="Items in the whole list (before paging).")
    offset: int
    limit: int
    items: list[T]


# ---------------------------------------------------------------- atlas

class ConceptHit(BaseModel):
    model_config = _example({"rank": 1, "uri": EXAMPLE_OCC, "label": "kok", "matched": "kok",
                             "matched_lang": "nl", "score": 0.93})
    rank: int
    uri: str
    label: str
    matched: str
    matched_lang: str | None = None
    score: float


LABEL_LANG = "The language of `label`: the asked one, or the other where the atlas has none in it yet."


class RequirementOut(BaseModel):
    uri: str
    label: str
    label_lang: str | None = Field(None, description=LABEL_LANG)
    kind: str | None = None
    relation: str | None = None
    importance: float | None = None
    level: float | None = None
    required_level: float | None = None
    weight: float | None = None


class OccupationProfileOut(BaseModel):
    model_config = _example({"uri": EXAMPLE_OCC, "label": "kok", "requirements": [
        {"uri": EXAMPLE_SKILL, "label": "recepten volgen", "kind": "skill", "relation": "essential",
         "importance": None, "level": None, "required_level": None, "weight": 1.0}]})
    uri: str
    label: str
    label_lang: str | None = Field(None, description=LABEL_LANG)
    requirements: list[RequirementOut]


# ---------------------------------------------------------------- clients

class ClientSummary(BaseModel):
    model_config = _example({"key": "K-000123", "gate": "matchable", "municipality_code": "GM0344",
                             "region_code": "WR12"})
    key: str
    gate: str | None = None
    gate_measured: bool | None = None
    municipality_code: str | None = None
    region_code: str | None = None


class Competence(BaseModel):
    uri: str
    label_en: str | None = None
    label_nl: str | None = None
    level: float | None = None
    confidence: float | None = None
    as_of: str | None = None
    inferred: bool | None = None
    trait: str | None = None
    sources: list[str] | None = None


class ClientProfileOut(BaseModel):
    model_config = _example({"key": "K-000123", "gate": "matchable", "gate_reasons": [],
                             "attributes": {"postcode": "3511", "hours_available": 32, "region_code": "WR12"},
                             "identity": {"name": "J. Jansen", "email": "j.jansen@example.org"},
                             "competencies": [{"uri": EXAMPLE_SKILL, "label_nl": "samenwerken", "level": 0.7,
                                               "confidence": 0.6, "as_of": "2024-05-02", "inferred": False,
                                               "trait": "trainable", "sources": ["3f2a..."]}],
                             "work_history": [], "consents": [], "decisions": []})
    key: str
    gate: str | None
    gate_measured: bool | None = Field(None, description="Whether any measurement carried a gate block (ABC cluster, "
                                       "...): 'matchable' without one means no gate was found, not that one was "
                                       "looked for. None: not known (a profile derived before this was kept).")
    gate_reasons: list[str] = []
    attributes: dict[str, Any]
    identity: dict[str, Any] | None = None
    competencies: list[Competence]
    work_history: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    decisions: list[dict[str, Any]] = Field(description="The latest decision per advice about this client.")


class MeasurementOut(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "id": "9b1c0e2d4f...", "instrument": "abc", "instrument_version": "2024.1", "measured_at": "2024-05-02",
        "scale_ids": ["samenwerken"], "raw_scores": [7], "levels": [0.67], "blocks": {},
        "sensitive": {"blocks": {"cluster": "G2"}}}]})
    id: str
    instrument: str | None = None
    measured_at: str | None = None


class GateOut(BaseModel):
    model_config = _example({"key": "K-000123", "gate": "needs_support", "reasons": ["ABC cluster G4"],
                             "sources": ["9b1c0e2d4f..."], "decision": None})
    key: str
    gate: str | None
    measured: bool | None = Field(None, description="As gate_measured on the client's profile.")
    reasons: list[str]
    sources: list[str]
    decision: dict[str, Any] | None = None


class ErasureOut(BaseModel):
    model_config = _example({"key": "K-000123", "erased": True, "removed": {"clients": 1, "measurements": 3}})
    key: str
    erased: bool
    removed: dict[str, int]


# ---------------------------------------------------------------- ingest

class ItemProblem(BaseModel):
    location: str = Field(description="JSON pointer of the item in the request body, or a CSV row.")
    field: str
    reason: str
    reason_nl: str | None = Field(None, description="The reason in Dutch, where there is one (vacancies).")


class ItemResult(BaseModel):
    index: int = Field(description="The item of the request body it answers (an uploaded file: the record's place).")
    status: Literal["landed", "unchanged", "rejected"]
    id: str | None = None
    problems: list[ItemProblem] = []


class IngestOut(BaseModel):
    model_config = _example({"run_id": "a1b2c3d4e5f6", "landed": 1, "unchanged": 0, "rejected": 1, "items": [
        {"index": 0, "status": "landed", "id": "9b1c0e2d4f...", "problems": []},
        {"index": 1, "status": "rejected", "id": None, "problems": [
            {"location": "/1", "field": "scores/Samenwerken", "reason": "12 is outside the scale 1-10"}]}],
        "warnings": []})
    run_id: str
    landed: int
    unchanged: int
    rejected: int
    items: list[ItemResult]
    warnings: list[ItemProblem] = []
    summary: dict[str, Any] = {}


# ---------------------------------------------------------------- vacancies

class VacancyOut(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "id": "V-0001", "title": "Kok", "status": "open", "employer": "Restaurant De Haven",
        "municipality_code": "GM0344", "region_code": "WR12", "occupation": EXAMPLE_OCC,
        "requirements": [{"uri": EXAMPLE_SKILL, "label": "recepten volgen", "relation": "essential",
                          "required_level": 0.5, "importance": 1.0, "origin": "profile"}]}]})
    id: str
    title: str | None = None
    status: str | None = None


# ---------------------------------------------------------------- matching

class CompetencyRef(BaseModel):
    uri: str
    label: str
    label_lang: str | None = Field(None, description="The language of `label`: nl, or en where the atlas has no "
                                                     "Dutch label yet.")
    essential: bool


class FitParts(BaseModel):
    fit: float = Field(description="Expected fit, 0-1: the rank key. An unknown requirement counts at the prior "
                                   "(0.5), a proven one at its evidence (docs/api.md, 'Fit').")
    fit_low: float = Field(description="What the evidence proves (a lower bound), 0-1.")
    fit_high: float = Field(description="The best the client could turn out to be once unknowns are measured.")
    coverage: float = Field(description="Share of the requirement weight with evidence, measured or inferred "
                                        "(work history, certificates).")
    measured: float = Field(0.0, description="Of it, the share an instrument measured or a coach observed "
                                             "('gemeten deel'); coverage - measured was inferred ('afgeleid').")


class PenalisedFit(FitParts):
    """The fit a ranked row, a gap and a what-if show alike: for a vacancy, the competencies' fit
    less what distance, hours and education take off (each named); for an occupation the two are equal."""
    competency_fit: float | None = Field(None, description="The fit from the competencies alone; `fit` "
                                         "is this minus the distance penalty and 0.1 per shortfall below.")
    distance_penalty: float | None = Field(None, description="Taken off for travel beyond the client's own travel "
                                                             "radius (CTC reisbereidheid; 25 km when not measured).")
    hours_short: bool | None = Field(None, description="The client offers fewer hours than the vacancy asks.")
    education_short: bool | None = Field(None, description="The client's education is below what the vacancy asks.")


class Explained(PenalisedFit):
    met: list[CompetencyRef] = Field(description="Met requirements, essential first, the heaviest first within "
                                     "each, at most 10; GET /clients/{key}/gap lists every requirement.")
    met_more: int = Field(0, description="How many more requirements are met than `met` names.")
    partly_met: list[CompetencyRef]
    missing: list[CompetencyRef]
    unknown: list[CompetencyRef] = Field(description="Unknown requirements, essential first, the heaviest first "
                                         "within each, at most 10; GET /clients/{key}/gap names every one.")
    unknown_more: int = Field(0, description="How many more requirements are unknown than `unknown` names.")
    preference: str | None = Field(None, description="'wished' when the client's instruments list this occupation "
                                                     "as preferred (WCM, CTC); shown beside the fit, never in it.")


class CandidateOut(Explained):
    """A candidate as a coach or CTC advisor sees it (own clients only), or as an employer desk sees
    it: `candidate` is then a per-vacancy pseudonym, and client_key, name and e-mail appear only
    after the client's consent for this vacancy."""
    model_config = _example({"rank": 1, "candidate": "C-3f9a1c0b7d2e4a18", "consented": False, "fit": 0.71,
                             "fit_low": 0.55, "fit_high": 0.84, "coverage": 0.6, "met": [], "partly_met": [], "missing": [],
                             "unknown": []})
    rank: int
    candidate: str | None = None
    consented: bool | None = None
    introduction_asked_at: str | None = Field(None, description="An employer desk's card: when the desk asked an "
                                                                "introduction its coach has not answered yet.")
    client_key: str | None = None
    name: str | None = None
    email: str | None = None
    gate: str | None = None
    decision: dict[str, Any] | None = None


class CandidatesOut(Page[CandidateOut]):
    vacancy_id: str
    title: str | None = None


class VacancyMatchOut(Explained):
    rank: int
    vacancy: dict[str, Any]
    distance_km: float | None = Field(None, description="Between the client's and the vacancy's place (null: "
                                                        "one of them unknown). Not on a candidate: a desk would "
                                                        "learn how far from the vacancy a pseudonymised client lives.")
    decision: dict[str, Any] | None = None


class OccupationMatchOut(Explained):
    rank: int
    occupation: dict[str, Any]
    open_vacancies: int
    decision: dict[str, Any] | None = None


class ClientMatchesOut(Page[dict[str, Any]]):
    model_config = _example({"total": 1, "offset": 0, "limit": 20, "client_key": "K-000123", "gate": "matchable",
                             "note": None, "items": [{"rank": 1, "vacancy": {"id": "V-0001", "title": "Kok"},
                                                      "distance_km": 4.2, "fit": 0.7, "fit_low": 0.6,
                                                      "fit_high": 0.8, "coverage": 0.9, "met": [], "partly_met": [],
                                                      "missing": [], "unknown": [], "decision": None}]})
    client_key: str
    gate: str | None
    gate_measured: bool | None = None
    note: str | None = None


class GapOut(PenalisedFit):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "target": {"kind": "vacancy", "id": "V-0001", "title": "Kok"}, "fit": 0.62, "fit_low": 0.45,
        "fit_high": 0.8, "coverage": 0.7, "gaps": [{"competency": EXAMPLE_SKILL, "label": "recepten volgen", "status": "missing",
                                   "required_level": 0.6, "level": 0.2, "open_vacancies_requiring": 14}],
        "requirements": []}]})
    target: dict[str, Any]
    gaps: list[dict[str, Any]]
    requirements: list[dict[str, Any]]
    reach_km: float = Field(description="Each gap's unlocks count open vacancies within this distance of the "
                                        "client: their own travel radius (25 km when not measured).")
    gate: str | None = Field(None, description="The client's placeability. not_matchable (ABC G6-G7, or a coach's "
                                               "decision): no vacancy is suggested, so the pages show the gaps as "
                                               "development points without the vacancies they would open.")


class ObservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"scale": "samenwerken", "score": 4}]})
    scale: str = Field(min_length=1, max_length=100, description="A scale of the waarneming instrument "
                                                                 "(id or Dutch/English label), e.g. samenwerken.")
    score: float = Field(ge=1, le=5, description="1 = not shown, 3 = as a starter in the job, 5 = clearly strong.")
    observed_on: date | None = Field(None, description="Default: today.")


class LevelChange(BaseModel):
    competency: str = Field(min_length=1, max_length=500)
    level: float = Field(ge=0.0, le=1.0)


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "vacancy_id": "V-0001", "changes": [{"competency": EXAMPLE_SKILL, "level": 0.8}]}]})
    vacancy_id: str | None = Field(None, max_length=200)
    occupation_uri: str | None = Field(None, max_length=500)
    changes: list[LevelChange] = Field(min_length=1, max_length=50)


class WhatIfOut(BaseModel):
    client: str
    target: dict[str, Any]
    changes: list[LevelChange]
    before: PenalisedFit
    after: PenalisedFit
    changed: list[dict[str, Any]] = Field(description="Requirements whose status changes.")
    rank_before: int | None = Field(description="The client's rank among all matchable clients for the target; "
                                                "for a vacancy the place on its candidate list (distance, hours "
                                                "and education taken off each client's fit); null: the client "
                                                "is not matchable.")
    rank_after: int | None
    vacancies_within_reach_before: int = Field(description="Open vacancies within radius_km at a good fit.")
    vacancies_within_reach_after: int
    opens: int
    radius_km: float = Field(description="The client's own travel radius (25 km when not measured).")
    note: str


# ---------------------------------------------------------------- decisions and consent

class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "vacancy", "target": "V-0001", "choice": "override", "reason_code": "travel_distance",
        "reason_text": "No car; the bus takes 90 minutes."}]})
    kind: AdviceKind
    target: str = Field(min_length=1, max_length=500,
                        description="The advised thing: a vacancy id (candidate, vacancy), an occupation URI, "
                                    "or the gate status (gate).")
    choice: Choice
    reason_code: ReasonCode
    reason_text: str = Field("", max_length=4000)


class DecisionOut(BaseModel):
    model_config = _example({"id": "5c0e...", "kind": "vacancy", "advice_ref": "vacancy:V-0001", "choice": "override",
                             "reason_code": "travel_distance", "reason_text": "No car.",
                             "at": "2026-11-28T15:00:00+00:00", "coach": "coach-17"})
    id: str
    kind: str
    advice_ref: str
    choice: str
    reason_code: str
    reason_text: str
    at: str
    coach: str


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"vacancy_id": "V-0001"}]})
    vacancy_id: str = Field(min_length=1, max_length=200)


class ConsentOut(BaseModel):
    model_config = _example({"client_key": "K-000123", "vacancy_id": "V-0001", "consented": True,
                             "at": "2026-11-28T15:00:00Z"})
    client_key: str
    vacancy_id: str
    consented: bool
    at: str | None = None


# ---------------------------------------------------------------- admin

class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"subject": "desk-horeca", "role": "employer_desk", "name": "Werkgeversservicepunt"}]})
    subject: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._@:-]+$")
    role: Role
    name: str = Field("", max_length=200)


class TokenOut(BaseModel):
    model_config = _example({"token_id": "3a7bd3e2360a", "subject": "desk-horeca", "role": "employer_desk",
                             "name": "Werkgeversservicepunt", "created_at": "2026-11-28T15:00:00+00:00",
                             "created_by": "admin:admin-1"})
    token_id: str
    subject: str
    role: Role
    name: str
    created_at: str
    created_by: str = Field("", description="Who minted it: admin:<subject>, or cli.")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"client_key": "K-000123", "role": "coach", "subject": "coach-17"}]})
    client_key: str = Field(min_length=1, max_length=client_keys.MAX_LENGTH, pattern=client_keys.PATTERN)
    role: Literal["coach", "ctc_advisor"]
    subject: str = Field(min_length=1, max_length=200)


class DeskIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"regions": ["AM13", "AM14"]}]})
    regions: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        max_length=50, description="Labour-market region codes (arbeidsmarktregio, CBS: AM01...) the desk serves; "
                                   "[] leaves it only the vacancies it added.")


class DeskOut(BaseModel):
    model_config = _example({"subject": "desk-utrecht", "regions": [{"code": "AM13", "name": "Midden-Utrecht"}]})
    subject: str
    regions: list[dict[str, str]]


class AuditEntryOut(BaseModel):
    model_config = _example({"id": "e3b0...", "at": "2026-11-28T15:00:00Z", "subject": "coach-17", "role": "coach",
                             "client_key": "K-000123", "action": "read_profile", "endpoint": "GET /clients/{key}"})
    id: str
    at: str
    subject: str
    role: str
    client_key: str | None = None
    action: str
    endpoint: str
    target: str | None = Field(None, description="What an act was about (a vacancy, an advice, a token).")
    request_id: str | None = Field(None, description="The request's X-Request-ID, as in the logs.")
