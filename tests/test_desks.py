"""Which vacancies an employer desk works for (api/access.py): those in its regions and those it
added; any other is to it like one that does not exist, on every route and page, and it cannot
change one by sending the same identifier. The policy alone, then the service on the real Neo4j."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api import desk_repository
from api.access import DeskScope, Principal, Role, may_see_vacancy, pseudonym, vacancy_scope
from api.cli import app
from api_fixtures import api  # noqa: F401  (fixture)
from matcher.freshness import bump_generation
from test_pages import csrf_of, signed_in

DESK = Principal("desk-1", Role.EMPLOYER_DESK)


def test_a_desk_covers_its_regions_and_what_it_added_and_no_other_role_is_limited():
    scope = vacancy_scope(DESK, ["AM13"])
    assert scope == DeskScope("desk-1", frozenset({"AM13"}))
    assert scope.covers("AM13", None) and scope.covers("AM01", "desk-1") and scope.covers(None, "desk-1")
    assert not scope.covers("AM01", None) and not scope.covers("AM01", "desk-2") and not scope.covers(None, None)
    assert not vacancy_scope(DESK, []).covers("AM13", None)  # no region given: only its own
    for role in (Role.COACH, Role.CTC_ADVISOR, Role.ADMIN):
        assert vacancy_scope(Principal("x", role), []) is None
    assert may_see_vacancy(None, ("AM01", None)) and not may_see_vacancy(None, None)  # absent is absent
    assert not may_see_vacancy(scope, ("AM01", None)) and may_see_vacancy(scope, ("AM13", "desk-9"))


FOREIGN = "V-ELSEWHERE"


@pytest.fixture
def elsewhere(api):
    """A vacancy in a region desk-1 does not serve, with the same requirements as V-1."""
    api.driver.execute_query("""
        MATCH (v1:Vacancy {id: 'V-1'})-[r:REQUIRES]->(c)
        MERGE (v:Vacancy {id: $id}) SET v.title = 'Kok elders', v.status = 'open', v.region_code = 'AM01'
        CREATE (v)-[:REQUIRES {origin: r.origin, relation: r.relation, required_level: r.required_level,
                               importance: r.importance}]->(c)
        WITH DISTINCT v MATCH (v1:Vacancy {id: 'V-1'})-[:FOR_OCCUPATION]->(o) MERGE (v)-[:FOR_OCCUPATION]->(o)
        """, id=FOREIGN, database_=api.db)
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)  # the match index sees the new vacancy
    return api


def test_a_vacancy_outside_the_desks_scope_is_like_one_that_does_not_exist(elsewhere):
    api = elsewhere
    desk, coach = api.h("employer_desk"), api.h("coach")
    listed = api.client.get("/vacancies", headers=desk).json()
    assert {v["id"] for v in listed["items"]} == {"V-1", "V-2"} and listed["total"] == 2
    assert FOREIGN in {v["id"] for v in api.client.get("/vacancies", headers=coach).json()["items"]}
    for path in ("/vacancies/{}", "/vacancies/{}/candidates", "/mi/vacancies/{}/exclusions"):
        foreign, missing = (api.client.get(path.format(v), headers=desk) for v in (FOREIGN, "V-404"))
        assert foreign.status_code == missing.status_code == 404, path
        assert _body(foreign, FOREIGN) == _body(missing, "V-404"), path  # nothing tells them apart
        assert api.client.get(path.format(FOREIGN), headers=coach).status_code == 200, path
    # K-1 is on the foreign vacancy's shortlist (a coach sees it): its real pseudonym is refused all the same
    assert "K-1" in {c["candidate"] for c in api.client.get(f"/vacancies/{FOREIGN}/candidates", headers=coach).json()["items"]}
    real = pseudonym(api.settings.pseudonym_secret, "K-1", FOREIGN)
    assert api.client.post(f"/vacancies/{FOREIGN}/introductions", headers=desk, json={"candidate": real}).status_code == 404
    pages = signed_in(api, "employer_desk")
    listed = pages.get("/werkgever")
    assert "Kok elders" not in listed.text and ">Kok<" in listed.text
    api.driver.execute_query("MATCH (v:Vacancy {id: 'V-2'}) SET v.date_posted = date('2026-11-20')", database_=api.db)
    newest = pages.get("/werkgever").text
    assert newest.index(">Zelfstandig kok<") < newest.index(">Kok<") and "20-11-2026" in newest  # the newest first
    found = pages.get("/werkgever", params={"q": "zelfSTANDIG"})  # words of the title, in any case
    assert ">Zelfstandig kok<" in found.text and ">Kok<" not in found.text
    assert "Geen open vacature gevonden." in pages.get("/werkgever", params={"q": "elders"}).text  # not the desk's
    assert [v["id"] for v in api.client.get("/vacancies", params={"q": "v-2"}, headers=desk).json()["items"]] == ["V-2"]
    # the start of an identifier finds the series, and the page shows each identifier
    by_prefix = pages.get("/werkgever", params={"q": "V-"}).text
    assert ">Kok<" in by_prefix and ">Zelfstandig kok<" in by_prefix and '<span class="muted">V-2</span>' in by_prefix
    assert pages.get(f"/werkgever/vacatures/{FOREIGN}").status_code == 404
    asked = pages.post(f"/werkgever/vacatures/{FOREIGN}/kennismaking", data={"csrf": csrf_of(listed.text), "candidate": real})
    assert asked.status_code == 404
    assert not api.driver.execute_query("MATCH (r:IntroductionRequest) RETURN r", database_=api.db).records


def _body(response, vacancy_id: str) -> dict:
    body = response.json()
    body.pop("request_id", None)
    return {k: v.replace(vacancy_id, "<id>") if isinstance(v, str) else v for k, v in body.items()}


def test_a_desk_cannot_change_a_vacancy_it_does_not_work_for_but_keeps_what_it_adds(elsewhere):
    api = elsewhere
    desk = api.h("employer_desk")
    sent = api.client.post("/vacancies", headers=desk, json=[
        {"identifier": FOREIGN, "title": "Overgenomen", "datePosted": "2026-11-01"},
        {"identifier": "V-DESK-1", "title": "Kok", "datePosted": "2026-11-01",
         "jobLocation": {"address": {"postalCode": "9711", "addressCountry": "NL"}}}])  # Groningen: not WR12
    items = {i["index"]: i for i in sent.json()["items"]}
    assert items[0]["status"] == "rejected" and items[1]["status"] == "landed"
    assert "bestaat al buiten uw regio's en is niet door u toegevoegd" in items[0]["problems"][0]["reason_nl"]
    [row] = api.driver.execute_query(f"MATCH (v:Vacancy {{id: '{FOREIGN}'}}) RETURN v.title AS t", database_=api.db).records
    assert row["t"] == "Kok elders"  # untouched
    [own] = api.driver.execute_query("MATCH (v:Vacancy {id: 'V-DESK-1'}) RETURN v.added_by AS by, v.region_code AS r",
                                     database_=api.db).records
    assert own["by"] == "desk-1" and own["r"] == "AM01"  # outside the desk's region
    assert api.client.get("/vacancies/V-DESK-1", headers=desk).status_code == 200  # its own, wherever it is
    again = api.client.post("/vacancies", headers=api.h("admin"), json=[
        {"identifier": "V-DESK-1", "title": "Kok (bijgewerkt)", "datePosted": "2026-11-01"}])
    assert again.json()["items"][0]["status"] == "landed"
    [own] = api.driver.execute_query("MATCH (v:Vacancy {id: 'V-DESK-1'}) RETURN v.added_by AS by", database_=api.db).records
    assert own["by"] == "desk-1"  # an update by someone else does not take it away
    page = signed_in(api, "employer_desk")
    changed = page.post("/werkgever/vacature", data={"csrf": csrf_of(page.get("/werkgever").text),
                                                     "identifier": FOREIGN, "title": "Kok"})
    assert "niet toegevoegd: 1" in changed.text and "buiten uw regio&#39;s en is niet door u toegevoegd" in changed.text


def test_an_admin_gives_a_desk_its_regions_and_a_desk_without_any_sees_only_its_own(elsewhere):
    api = elsewhere
    admin = api.h("admin")
    set_ = api.client.put("/admin/desks/desk-1", headers=admin, json={"regions": ["AM01"]})
    assert set_.status_code == 200 and set_.json() == {"subject": "desk-1", "regions": [{"code": "AM01", "name": "Groningen"}]}
    listed = api.client.get("/vacancies", headers=api.h("employer_desk")).json()
    assert [v["id"] for v in listed["items"]] == [FOREIGN]  # now Groningen's, no longer WR12's
    wrong = api.client.put("/admin/desks/desk-1", headers=admin, json={"regions": ["AM01", "AM99"]})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["pointer"] == "/regions/1"
    assert api.client.get("/admin/desks", headers=admin).json() == [set_.json()]  # the refused change left it as it was
    assert api.client.put("/admin/desks/desk-1", headers=api.h("employer_desk"), json={"regions": []}).status_code == 403
    entries = api.client.get("/admin/audit", headers=admin).json()["items"]
    assert any(e["action"] == "desk_regions_set" and "desk-1" in (e.get("target") or "") for e in entries)
    token, _ = api.app.state.tokens.create("desk-2", Role.EMPLOYER_DESK, "a desk no region was given")
    other = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/vacancies", headers=other).json()["total"] == 0
    assert api.client.get("/vacancies/V-1/candidates", headers=other).status_code == 404


def test_the_command_line_gives_a_desk_its_regions_by_the_same_rule(api):
    ok = CliRunner().invoke(app, ["desks", "set", "desk-1", "AM13", "AM01"])
    assert ok.exit_code == 0 and "desk-1: AM01 Groningen, AM13 Midden-Utrecht" in ok.output
    assert desk_repository.regions(api.driver, api.db, "desk-1") == ["AM01", "AM13"]
    wrong = CliRunner().invoke(app, ["desks", "set", "desk-1", "AM13", "AM99"])
    assert wrong.exit_code == 1 and "AM99: not a labour-market region code" in wrong.output
    assert desk_repository.regions(api.driver, api.db, "desk-1") == ["AM01", "AM13"]  # left as it was
    assert "desk-1: AM01 Groningen, AM13 Midden-Utrecht" in CliRunner().invoke(app, ["desks", "list"]).output
