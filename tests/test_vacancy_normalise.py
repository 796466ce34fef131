"""Occupation normalisation on fixed examples (lexical look-up over a miniature atlas, no database)."""
from __future__ import annotations

import pytest

from ingest.normalise import OccupationNormaliser
from ingest.vacancy_models import Vacancy
from vacancy_helpers import COOK, ICT_APP, NURSE, SOFTWARE, WAREHOUSE, lexical_index, occupation_codes


@pytest.fixture(scope="module")
def normaliser():
    return OccupationNormaliser(occupation_codes(), lexical_index())


def one(normaliser, title, code=None, lang=None):
    return normaliser.normalise([Vacancy(id="x", title=title, occupational_category=code, lang=lang)])[0]


def test_explicit_esco_uri_wins_over_the_title(normaliser):
    match = one(normaliser, "Kok", code=WAREHOUSE, lang="nl")
    assert (match.occupation_uri, match.method, match.confidence, match.needs_review) == (WAREHOUSE, "explicit_esco", 1.0, False)


def test_onet_code_goes_through_the_crosswalk(normaliser):
    single = one(normaliser, "Order filler", code="53-7065.00", lang="en")
    assert (single.occupation_uri, single.method, single.confidence) == (WAREHOUSE, "explicit_onet", 0.8)
    # Two broad matches: the title tells them apart, with a lower confidence.
    ambiguous = one(normaliser, "Application developer", code="15-1252.00", lang="en")
    assert (ambiguous.occupation_uri, ambiguous.method) == (ICT_APP, "explicit_onet")
    assert ambiguous.confidence == pytest.approx(0.6 * 0.85) and ambiguous.needs_review


def test_isco_group_with_and_without_a_title_inside_it(normaliser):
    inside = one(normaliser, "Programmeur", code="2512", lang="nl")
    assert (inside.occupation_uri, inside.method, inside.isco_group) == (SOFTWARE, "isco_title", "2512")
    assert inside.confidence >= 0.8 and not inside.needs_review
    group_only = one(normaliser, "Kok", code="2512", lang="nl")  # the title points outside the group
    assert (group_only.occupation_uri, group_only.isco_group, group_only.method) == (None, "2512", "explicit_isco")
    assert group_only.needs_review and group_only.confidence == 0.4


def test_dutch_and_english_titles(normaliser):
    dutch = one(normaliser, "Magazijnmedewerker (m/v)", lang="nl")  # a label, but for the gender marker
    assert (dutch.occupation_uri, dutch.method, dutch.needs_review) == (WAREHOUSE, "title_exact", False)
    assert dutch.confidence == pytest.approx(1.0)
    assert one(normaliser, "Gespecialiseerd verpleegkundige IC", lang="nl").occupation_uri == NURSE
    english = one(normaliser, "Senior Software Developer", lang="en")
    assert english.occupation_uri == SOFTWARE and not english.needs_review
    assert one(normaliser, "Zelfstandig werkend kok", lang="nl").occupation_uri == COOK


def test_nonsense_title_is_flagged_for_review(normaliser):
    match = one(normaliser, "Qwzx blorptastic ninja", lang="en")
    assert match.method == "title" and match.needs_review and match.confidence < 0.6


@pytest.fixture
def scored(monkeypatch) -> list[str]:
    """The titles that go through the full look-up scoring, in order."""
    import ingest.normalise as normalise

    titles: list[str] = []
    real = normalise.title_hits

    def counting(index, batch, *args):
        titles.extend(batch)
        return real(index, batch, *args)

    monkeypatch.setattr(normalise, "title_hits", counting)
    return titles


def test_a_repeated_title_is_scored_once_with_the_same_result(scored):
    fresh = OccupationNormaliser(occupation_codes(), lexical_index(), title_cache=2)
    titles = ["Kok gezocht", "Programmeur gezocht", "Kok gezocht"]  # not labels: scored
    batch = [Vacancy(id=str(i), title=t, lang="nl") for i, t in enumerate(titles)]
    first = fresh.normalise(batch)
    assert scored == ["kok gezocht", "programmeur gezocht"]  # distinct titles of a batch, once each
    again = fresh.normalise(batch[:1])
    assert scored == ["kok gezocht", "programmeur gezocht"] and again[0] == first[0] == first[2]
    fresh.normalise([Vacancy(id="9", title="Verpleegkundige IC", lang="nl")])  # evicts the oldest
    fresh.normalise(batch[1:2])
    assert scored[-1] == "programmeur gezocht"


def test_a_title_that_is_one_occupations_label_is_taken_without_scoring(scored):
    from competency_atlas.lookup import SurfaceForm, build_index
    from vacancy_helpers import surface_forms

    # "programmeur" made the Dutch label of two occupations: ambiguous, so it is scored
    index = build_index(surface_forms() + [SurfaceForm(ICT_APP, "programmeur", "nl")])
    fresh = OccupationNormaliser(occupation_codes(), index)
    kok, nurse, prog, english = fresh.normalise([
        Vacancy(id="1", title="KOK", lang="nl"), Vacancy(id="2", title="Verpleegkundige", lang=None),
        Vacancy(id="3", title="Programmeur", lang="nl"), Vacancy(id="4", title="kok", lang="en")])
    assert (kok.occupation_uri, kok.method, kok.confidence) == (COOK, "title_exact", 1.0)
    assert (nurse.occupation_uri, nurse.method) == (NURSE, "title_exact")  # no language: either
    assert prog.method == "title" and english.method == "title"  # 'kok' is a Dutch label only
    assert scored == ["programmeur", "kok"]


def test_seniority_and_hours_do_not_hide_an_exact_title(scored):
    fresh = OccupationNormaliser(occupation_codes(), lexical_index())
    dutch, english, isco, outside = fresh.normalise([
        Vacancy(id="1", title="Ervaren Kok 32-40 uur (m/v/x)", lang="nl"),
        Vacancy(id="2", title="Senior Software Developer, full-time", lang="en"),
        Vacancy(id="3", title="Junior programmeur fulltime", lang="nl", occupational_category="2512"),
        Vacancy(id="4", title="Senior kok", lang="nl", occupational_category="2512")])
    assert (dutch.occupation_uri, dutch.method, dutch.confidence) == (COOK, "title_exact", 1.0)
    assert (english.occupation_uri, english.method) == (SOFTWARE, "title_exact")
    assert (isco.occupation_uri, isco.method, isco.isco_group, isco.confidence) == (SOFTWARE, "isco_title", "2512", 1.0)
    # a cook is not in ISCO group 2512: the exact title does not override the code, it is scored
    assert (outside.occupation_uri, outside.method) == (None, "explicit_isco")
    assert scored == ["kok"]


def test_a_scored_title_is_scored_without_its_decorations(scored):
    fresh = OccupationNormaliser(occupation_codes(), lexical_index())
    match = fresh.normalise([Vacancy(id="1", title="Senior Zelfstandig kok gezocht 24 uur", lang="nl")])[0]
    assert scored == ["zelfstandig kok gezocht"] and match.occupation_uri == COOK


def test_decorations_alone_are_not_a_title():
    from ingest.normalise import undecorated

    assert undecorated("Senior 32 uur", "nl") == ""
    assert undecorated("Lead Welders, 40 hours per week", "en") == "welder"
    assert undecorated("Seniorenbegeleider", "nl") == "seniorenbegeleider"  # a word, not a prefix
