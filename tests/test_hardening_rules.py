"""The hardening rules as pure functions (issue 17, "Found by probing the running demo API"): the
request-edge checks, the one client-key rule, the throttle, the employer's pseudonym and the
sensitive competencies, and the ingest validation gaps. No database."""
from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from api.access import employer_card, pseudonym, sensitive_competencies
from api.body_guard import Hostile, check_json, check_path, check_query
from api.throttle import Throttle
from competency_atlas.instrument_profiles import load_profiles
from ingest.client_keys import is_client_key
from ingest.measurement_models import MeasurementRecord
from ingest.measurement_validation import parse_number, validate as validate_measurement
from ingest.vacancy_models import VacancyRecord
from ingest.vacancy_validation import KnownCodes, validate as validate_vacancy

HOSTILE_BODIES = [
    (b'[{"scores": {"samenwerken": 1' + b"0" * 400 + b"}}]", "/0/scores/samenwerken", "too large"),
    (b'[{"blocks": {"locus_of_control": -' + b"9" * 400 + b"}}]", "/0/blocks/locus_of_control", "too large"),
    (b'[{"jobLocation": {"geo": {"latitude": NaN}}}]', "/0/jobLocation/geo/latitude", "NaN"),
    (b'[{"jobLocation": {"geo": {"longitude": -Infinity}}}]', "/0/jobLocation/geo/longitude", "Infinity"),
    (b'[{"x": 1e999}]', "/0/x", "not finite"),
    (b'[{"administered_by": "a\\ud800b"}]', "/0/administered_by", "surrogate"),
    (b'[{"identity": {"name": "\\udfff"}}]', "/0/identity/name", "surrogate"),
    (b'[{"client_key": "K-\\ud800"}]', "/0/client_key", "surrogate"),
    (b'[{"title": "\\ud83d"}]', "/0/title", "surrogate"),
    (b'[{"\\ud800": 1}]', "/0", "key"),
    (b'[{"administered_by": "a\\u0000b"}]', "/0/administered_by", "NUL"),
    (b'[{"skills": ' + b"[" * 300 + b"]" * 300 + b"}]", None, "nested"),
    (b"[" * 5000 + b"]" * 5000, "", "nested"),
]


@pytest.mark.parametrize("body,pointer,reason", HOSTILE_BODIES)
def test_values_no_request_may_carry_are_named_with_their_place(body, pointer, reason):
    with pytest.raises(Hostile) as found:
        check_json(body)
    assert found.value.location == "body" and reason in found.value.message
    if pointer is not None:
        assert found.value.pointer == pointer
    else:
        assert found.value.pointer.startswith("/0/skills/0/0")


@pytest.mark.parametrize("body,pointer,reason", HOSTILE_BODIES[:-1])
def test_the_same_values_in_a_file_are_refused_with_the_reason_in_dutch_too(body, pointer, reason):
    from ingest.measurement_readers import read_json_text as read_measurements
    from ingest.source_files import FileProblem
    from ingest.vacancy_readers import read_json_text as read_vacancies

    for read in (read_measurements, read_vacancies):
        refused = [item for item in read(body.decode("utf-8", "surrogatepass"), "in.json") if isinstance(item, FileProblem)]
        assert refused and reason in refused[0].problem.reason, refused
        dutch = refused[0].problem.reason_nl
        assert dutch and dutch != refused[0].problem.reason  # a page shows the Dutch one


def test_ordinary_json_passes_the_edge_unchanged():
    body = {"client_key": "K-1", "scores": {"samenwerken": 7, "x": 2.5}, "n": -(2**63) + 1, "t": "Zoë 🍳 <b>"}
    assert check_json(json.dumps(body).encode()) == body
    assert check_json(b"[{]") is None  # malformed: FastAPI's own 422 answers it


def test_query_and_path_must_be_valid_utf8_without_nul():
    for query in (b"q=%ED%A0%80", b"q=%00", b"q=%FF", b"%C0%AF=1"):
        with pytest.raises(Hostile):
            check_query(query)
    check_query(b"q=kok&lang=nl&q2=%C3%A9t%C3%A9+x")
    with pytest.raises(Hostile):
        check_path(b"/clients/%ED%A0%80")
    check_path(b"/clients/K-1")


@pytest.mark.parametrize("key,ok", [
    ("K-000123", True), ("a", True), ("abc.def_1-2", True), ("x" * 64, True), ("x" * 65, False),
    ("", False), (".hidden", False), ("..", False), ("-x", False), ("K 1", False), ("K/1", False),
    ("K'1", False), ("K\n", False), ("K\x00", False), ("Kë", False), ("PROBE-INJ'})DETACH", False), (None, False),
])
def test_one_client_key_rule(key, ok):
    assert is_client_key(key) is ok


def test_the_throttle_gives_a_burst_then_one_try_per_refill():
    now = [0.0]
    t = Throttle(burst=3, refill_per_s=0.5, clock=lambda: now[0])
    for _ in range(3):
        assert t.retry_after("10.0.0.1") == 0
        t.penalise("10.0.0.1")
    assert t.retry_after("10.0.0.1") == 2  # empty: the next token in 1 / 0.5 s
    assert t.retry_after("10.0.0.2") == 0  # per source
    now[0] += 2.0
    assert t.retry_after("10.0.0.1") == 0


def test_the_throttle_forgets_the_oldest_sources_beyond_its_bound():
    t = Throttle(burst=1, refill_per_s=0.001, max_sources=2, clock=lambda: 0.0)
    for source in ("a", "b", "c"):
        t.penalise(source)
    assert t.retry_after("a") == 0 and t.retry_after("c") > 0


def test_every_competency_a_sensitive_scale_reaches_is_hidden_from_employer_cards():
    hidden = sensitive_competencies(load_profiles().values())
    # ABC ambitie -> O*NET Achievement/Effort; stabiliteit and locus of control -> ESCO skills.
    assert "onet:1.C.1.a" in hidden
    assert "http://data.europa.eu/esco/skill/4c772721-9280-49cb-9988-b6ea3d36b06d" in hidden
    assert "http://data.europa.eu/esco/skill/469748ce-051a-407e-9099-0c9415ac2705" in hidden
    card = {"client_key": "K-1", "rank": 1, "fit": 0.7, "fit_low": 0.5, "fit_high": 0.8, "coverage": 0.6,
            "met": [{"uri": "onet:1.C.1.a", "label": "Achievement/Effort"}, {"uri": "onet:2.A.1.a", "label": "x"}],
            "missing": [{"uri": "onet:1.C.1.a", "label": "Achievement/Effort"}], "partly_met": [], "unknown": [],
            "gate": "needs_support"}
    out = employer_card(card, "s", "V-1", False, None, hidden=hidden)
    assert [c["uri"] for c in out["met"]] == ["onet:2.A.1.a"] and out["missing"] == []
    assert "gate" not in out and "client_key" not in out


def test_a_withdrawal_changes_the_pseudonym_and_epoch_zero_keeps_the_old_one():
    before = pseudonym("s", "K-1", "V-1")
    assert pseudonym("s", "K-1", "V-1", 0) == before
    assert len({before, pseudonym("s", "K-1", "V-1", 1), pseudonym("s", "K-1", "V-1", 2)}) == 3
    assert pseudonym("s", "K-1", "V-2") != before


# ---------------------------------------------------------------- ingest validation gaps

PROFILES = load_profiles()


def _measurement(**fields) -> list[tuple[str, str]]:
    data = {"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", "scores": {"samenwerken": 7},
            **fields}
    v = validate_measurement(MeasurementRecord("request", "/0", "json", data, data), PROFILES, date(2026, 1, 1))
    return [(p.field, p.reason) for p in v.problems]


def test_measurement_validation_gaps_are_closed():
    assert _measurement() == []
    assert _measurement(measured_at="0001-01-01")[0][0] == "measured_at"
    assert _measurement(measured_at="1899-12-31")[0][0] == "measured_at"
    assert _measurement(administered_by="coach\x00C-17")[0][0] == "administered_by"
    assert _measurement(administered_by="x" * 4001)[0][0] == "administered_by"
    assert _measurement(administered_by="coach C-17") == []
    assert _measurement(client_key="K 1' OR 1=1")[0][0] == "client_key"
    assert _measurement(scores={"samenwerken": 10**400})[0][0] == "scores/samenwerken"
    assert parse_number(10**400) is None


def _vacancy(**fields) -> tuple[list[tuple[str, str]], list[tuple[str, str]], object]:
    data = {"identifier": "V-9", "title": "Kok", "description": "Wij zoeken een kok.", **fields}
    v = validate_vacancy(VacancyRecord("request", "/0", "json", data), KnownCodes())
    return [(p.field, p.reason) for p in v.problems], [(p.field, p.reason) for p in v.warnings], v.vacancy


def test_vacancy_validation_gaps_are_closed():
    assert _vacancy()[0] == []
    assert _vacancy(datePosted="0001-01-01")[0][0][0] == "datePosted"
    assert _vacancy(hoursPerWeek=-5)[0][0][0] == "hoursPerWeek"
    assert _vacancy(hoursPerWeek="-5")[0][0][0] == "hoursPerWeek"
    assert _vacancy(hoursPerWeek="32-40")[2].hours_per_week == 40  # a range is not a negative number
    assert _vacancy(employmentType=[{"a": 1}, [1, 2]])[0][0][0] == "employmentType"
    assert _vacancy(employmentType=["FULL_TIME", "PART_TIME"])[2].employment_type == ["FULL_TIME", "PART_TIME"]
    for raw in ("NaN", "inf", "-Infinity", "9" * 400, 1e308, 91):
        problems, warnings, vacancy = _vacancy(jobLocation={"geo": {"latitude": raw, "longitude": 5.1}})
        assert problems == [] and warnings[0][0] == "jobLocation.geo.latitude"
        assert vacancy.job_location.latitude is None


def test_the_driver_logger_is_not_silenced_for_the_process(caplog):
    import graph_schema.server  # noqa: F401  (imported for its module-level logging set-up)

    assert logging.getLogger("neo4j").getEffectiveLevel() <= logging.WARNING
    with caplog.at_level(logging.WARNING):
        logging.getLogger("neo4j.pool").warning("a real driver warning")
        logging.getLogger("neo4j").warning("another")
    assert [r.getMessage() for r in caplog.records] == ["a real driver warning", "another"]


def test_hours_are_a_number_of_hours_not_any_number_in_the_text():
    assert _vacancy(hoursPerWeek=36)[2].hours_per_week == 36
    assert _vacancy(hoursPerWeek="32,5 uur")[2].hours_per_week == 32.5
    assert _vacancy(hoursPerWeek="32 tot 40")[2].hours_per_week == 40
    for written, hours in (("36 uur per week", 36), ("36 uur/week", 36), ("24 à 32", 32), ("32 t/m 40", 40),
                           ("36 p/w", 36), ({"@type": "QuantitativeValue", "minValue": 32, "maxValue": 38}, 38)):
        assert _vacancy(hoursPerWeek=written)[2].hours_per_week == hours, written  # as Dutch employers write it
    assert _vacancy(hoursPerWeek="  ", workHours="32 uur")[2].hours_per_week == 32  # blank: not given
    for misread in (1e20, 1e-05, "1e3", "4O", "36 of 40 of meer"):  # were 20, 5, 3, 4 and 40
        problems, _, vacancy = _vacancy(hoursPerWeek=misread)
        assert vacancy is None and problems[0][0] == "hoursPerWeek", misread
    assert _vacancy(workHours="32-40 uur per week")[2].hours_per_week == 40
    for times_of_day in ("09:00-17:00", "8am-5pm", "ma-vr 8.30-17.00"):  # when, not how many hours
        problems, _, vacancy = _vacancy(workHours=times_of_day)
        assert problems == [] and vacancy.hours_per_week is None, times_of_day
        assert vacancy.raw_extra["workHours"] == times_of_day  # kept as text


def test_an_address_that_is_not_an_address_rejects_its_vacancy_only():
    listed = _vacancy(jobLocation={"address": [{"postalCode": "3511AB", "addressLocality": "Utrecht"}]})[2]
    assert listed.job_location.postal_code == "3511AB"  # several addresses: the first
    for odd in (5, True, [7]):  # crashed the whole run (AttributeError)
        problems, _, vacancy = _vacancy(jobLocation={"address": odd})
        assert vacancy is None and problems[0][0] == "jobLocation.address", odd


def test_a_posting_typed_by_its_full_name_is_read_and_another_type_is_reported():
    from ingest.vacancy_readers import read_json_text

    items = [{"@type": kind, "identifier": f"V-{i}", "title": "Kok"}
             for i, kind in enumerate(["schema:JobPosting", "https://schema.org/JobPosting", "jobposting",
                                       "Organization"])]
    records = list(read_json_text(json.dumps(items), "v.json"))
    assert [r.location for r in records] == ["/0", "/1", "/2", "/3"]  # none disappears unreported
    results = [validate_vacancy(r, KnownCodes()) for r in records]
    assert [r.vacancy is not None for r in results] == [True, True, False, False]
    assert [r.problems[0].field for r in results[2:]] == ["@type", "@type"]
