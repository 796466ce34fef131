"""Merging explicit, extracted and inherited requirements (pure)."""
from __future__ import annotations

from ingest.extraction import ExtractedRequirement
from ingest.vacancy_models import Vacancy
from ingest.vacancy_requirements import ExplicitSkill, ProfileRequirement, merge_requirements, vacancy_sentences
from vacancy_helpers import BARCODE, LIFT, PYTHON, SQL, STACK

PROFILE = [ProfileRequirement(LIFT, "essential", 4.0, 3.0), ProfileRequirement(STACK, "essential", 3.5),
           ProfileRequirement(BARCODE, "optional", 2.0)]


def test_origins_stay_distinguishable_one_edge_per_competency():
    explicit = [ExplicitSkill("Python", PYTHON), ExplicitSkill("heftruckcertificaat", None)]
    extracted = [ExtractedRequirement(SQL, "SQL", 0.71, "Kennis van SQL is een pré.", False),
                 ExtractedRequirement(LIFT, "lift heavy weights", 0.66, "Je kunt zwaar tillen.", None),
                 ExtractedRequirement(PYTHON, "Python", 0.8, "You must know Python.", True)]
    merged = {r.competency_uri: r for r in merge_requirements(explicit, extracted, PROFILE)}
    assert set(merged) == {PYTHON, SQL, LIFT, STACK, BARCODE}  # the unresolved skill is not guessed
    python = merged[PYTHON]
    assert (python.origin, python.origins, python.relation, python.text) == (
        "explicit", ("explicit", "extracted"), "essential", "Python")
    assert (python.score, python.sentence) == (0.8, "You must know Python.")
    sql = merged[SQL]
    assert (sql.origin, sql.relation, sql.score, sql.importance) == ("extracted", "optional", 0.71, None)
    lift = merged[LIFT]  # no cue in the sentence: the occupation's relation and levels are used
    assert (lift.origin, lift.origins, lift.relation) == ("extracted", ("extracted", "inherited"), "essential")
    assert (lift.importance, lift.required_level, lift.sentence) == (4.0, 3.0, "Je kunt zwaar tillen.")
    assert (merged[STACK].origin, merged[STACK].relation, merged[STACK].score) == ("inherited", "essential", None)
    assert merged[BARCODE].relation == "optional"


def test_cue_overrides_the_profile_and_unknown_without_profile_is_optional():
    extracted = [ExtractedRequirement(BARCODE, "scanner", 0.6, "Ervaring met scanners is vereist.", True),
                 ExtractedRequirement(SQL, "SQL", 0.6, "Je werkt met SQL.", None)]
    merged = {r.competency_uri: r for r in merge_requirements([], extracted, PROFILE)}
    assert merged[BARCODE].relation == "essential"  # the vacancy asks more than the occupation
    assert merged[SQL].relation == "optional"
    order = [r.origin for r in merge_requirements([ExplicitSkill("x", SQL)], extracted, PROFILE)]
    assert order == sorted(order, key=["explicit", "extracted", "inherited"].index)


def test_sentences_come_from_description_and_requirement_texts():
    v = Vacancy(id="1", title="t", description="Wat ga je doen?\nOrders verzamelen. Heftruck rijden.",
                qualifications="Rijbewijs B is vereist.", experience_requirements="24 months of experience")
    assert vacancy_sentences(v) == ["Wat ga je doen?", "Orders verzamelen.", "Heftruck rijden.",
                                    "Rijbewijs B is vereist.", "24 months of experience"]
