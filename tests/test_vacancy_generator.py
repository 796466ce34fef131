"""The demo vacancy generator: deterministic, valid JobPosting JSON-LD that the real readers accept."""
from __future__ import annotations

import json
from datetime import date

import pytest

from graph_schema.settings import settings
from ingest.vacancy_generator import GenArea, GenOccupation, areas_from_csv, generate_postings, write_postings
from ingest.vacancy_readers import read_file
from ingest.vacancy_validation import KnownCodes, validate
from vacancy_helpers import WAREHOUSE

OCCUPATION = GenOccupation(WAREHOUSE, "9333", "warehouse worker", "magazijnmedewerker",
                           ("lift heavy weights", "stack goods", "pick orders for dispatching", "receive goods"),
                           ("use barcode scanning equipment", "handle returns"))


@pytest.fixture(scope="module")
def areas():
    return areas_from_csv(settings().data_dir)


def test_same_seed_same_postings_and_other_seed_differs(areas):
    first = generate_postings(20, 3, [OCCUPATION], areas, date(2025, 3, 1))
    assert first == generate_postings(20, 3, [OCCUPATION], areas, date(2025, 3, 1))
    assert first != generate_postings(20, 4, [OCCUPATION], areas, date(2025, 3, 1))


def test_generated_postings_read_and_validate(areas, tmp_path):
    postings = generate_postings(60, 5, [OCCUPATION], areas, date(2025, 3, 1))
    path = write_postings(postings, tmp_path, "demo")
    known = KnownCodes(esco=frozenset({WAREHOUSE}), isco=frozenset({"9333"}))
    results = [validate(r, known) for r in read_file(path)]
    assert all(r.vacancy is not None for r in results), [r.problems for r in results if r.problems]
    vacancies = [r.vacancy for r in results]
    assert {v.lang for v in vacancies} == {"nl", "en"}
    assert len({v.id for v in vacancies}) == 60
    known_pc4 = {a.pc4 for a in areas}
    postcodes = [v.job_location.postal_code for v in vacancies if v.job_location.postal_code]
    assert postcodes and all(p[:4] in known_pc4 for p in postcodes)  # real Dutch postcodes
    text = json.dumps(postings, ensure_ascii=False)
    assert "is vereist" in text or "is een must" in text or "is required" in text or "is essential" in text
    assert "pré" in text or "is a plus" in text or "pluspunt" in text or "nice to have" in text
    assert all(v.raw_extra.get("baseSalary") for v in vacancies)  # unused fields kept


def test_no_source_is_an_error():
    with pytest.raises(ValueError):
        generate_postings(1, 1, [], [GenArea("3511", "Utrecht", 52.0, 5.1)], date(2025, 3, 1))
