"""Role × endpoint matrix: allowed roles get through, others get 403; a client outside the
caller's caseload answers exactly like a client that does not exist, and denied calls leak nothing."""
from __future__ import annotations

import pytest

from api_fixtures import NAME_1, NAME_2, OCC, api  # noqa: F401  (fixture)

ROLES = ["coach", "ctc_advisor", "employer_desk", "admin"]
MEASUREMENT = [{"client_key": "K-1", "instrument": "abc", "measured_at": "2024-04-12", "scores": {"Samenwerken": 7}}]

# (method, path, json body, roles allowed)
MATRIX = [
    ("GET", "/occupations?q=kok", None, set(ROLES)),
    ("GET", f"/occupations/profile?uri={OCC}", None, set(ROLES)),
    ("GET", "/competencies?q=samenwerken", None, set(ROLES)),
    ("GET", "/clients", None, {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1", None, {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1/measurements", None, {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1/gates", None, {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1/vacancies", None, {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1/occupations", None, {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1/gap?vacancy_id=V-1", None, {"coach", "ctc_advisor"}),
    ("POST", "/clients/K-1/what-if", {"vacancy_id": "V-1", "changes": [{"competency": "onet:2.B.1.a", "level": 0.9}]},
     {"coach", "ctc_advisor"}),
    ("GET", "/clients/K-1/decisions", None, {"coach", "ctc_advisor"}),
    ("POST", "/clients/K-1/decisions", {"kind": "vacancy", "target": "V-1", "choice": "follow",
                                        "reason_code": "agrees_with_advice"}, {"coach"}),
    ("POST", "/clients/K-1/consents", {"vacancy_id": "V-1"}, {"coach"}),
    ("POST", "/measurements", MEASUREMENT, {"coach", "ctc_advisor", "admin"}),
    ("GET", "/vacancies", None, set(ROLES)),
    ("GET", "/vacancies/V-1", None, set(ROLES)),
    ("GET", "/vacancies/V-1/candidates", None, {"coach", "ctc_advisor", "employer_desk"}),
    ("GET", "/mi/client-base", None, {"coach", "ctc_advisor", "admin"}),
    ("GET", "/mi/missing-competencies?region=WR12", None, {"coach", "ctc_advisor", "admin"}),
    ("GET", "/mi/vacancies/V-1/exclusions", None, set(ROLES)),
    ("GET", "/admin/tokens", None, {"admin"}),
    ("GET", "/admin/audit", None, {"admin"}),
    ("PUT", "/admin/assignments", {"client_key": "K-9", "role": "coach", "subject": "coach-z"}, {"admin"}),
]


@pytest.mark.parametrize("method,path,body,allowed", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_endpoint_matrix(api, method, path, body, allowed):
    for role in ROLES:
        r = api.client.request(method, path, json=body, headers=api.h(role))
        if role in allowed:
            assert r.status_code < 400, (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            shown = r.json()
            shown.pop("instance", None)
            assert NAME_1 not in str(shown) and "K-1" not in str(shown)
    r = api.client.request(method, path, json=body)
    assert r.status_code == 401


CLIENT_PATHS = ["/clients/{k}", "/clients/{k}/measurements", "/clients/{k}/gates", "/clients/{k}/vacancies",
                "/clients/{k}/occupations", "/clients/{k}/gap?vacancy_id=V-1", "/clients/{k}/decisions"]


WHAT_IF = {"vacancy_id": "V-1", "changes": [{"competency": "onet:2.B.1.a", "level": 0.9}]}


@pytest.mark.parametrize("template", CLIENT_PATHS + ["POST /clients/{k}/what-if"])
def test_other_coachs_client_is_indistinguishable_from_none(api, template):
    method, _, path = template.rpartition(" ")
    ask = lambda key: api.client.request(method or "GET", path.format(k=key), headers=api.h("coach"),  # noqa: E731
                                         json=WHAT_IF if method == "POST" else None)
    foreign, missing = ask("K-2"), ask("K-404")  # K-2 is coach-b's
    assert foreign.status_code == missing.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k != "instance"}  # noqa: E731
    assert strip(foreign.json()) == strip(missing.json())
    assert NAME_2 not in foreign.text and "bram" not in foreign.text.lower()


def test_advisor_sees_referrals_only(api):
    assert api.client.get("/clients/K-1", headers=api.h("ctc_advisor")).status_code == 200
    assert api.client.get("/clients/K-3", headers=api.h("ctc_advisor")).status_code == 404
    listed = api.client.get("/clients", headers=api.h("ctc_advisor")).json()
    assert [c["key"] for c in listed["items"]] == ["K-1"] and listed["total"] == 1


def test_coach_candidates_are_limited_to_own_caseload(api):
    r = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach"))
    keys = [c["client_key"] for c in r.json()["items"]]
    # K-2 belongs to another coach; K-3 is not_matchable (never on a shortlist).
    assert keys == ["K-1"] and r.json()["total"] == 1


def test_coach_cannot_ingest_for_someone_elses_client(api):
    item = dict(MEASUREMENT[0], client_key="K-2")
    r = api.client.post("/measurements", json=[item], headers=api.h("coach"))
    assert r.status_code == 200
    result = r.json()["items"][0]
    assert result["status"] == "rejected" and result["problems"][0]["field"] == "client_key"
    nonexistent = api.client.post("/measurements", json=[dict(item, client_key="K-404")], headers=api.h("coach"))
    assert nonexistent.json()["items"][0]["problems"] == result["problems"]


def test_client_profile_for_coach_holds_identity_and_sensitive_measurements(api):
    profile = api.client.get("/clients/K-1", headers=api.h("coach")).json()
    assert profile["identity"]["name"] == NAME_1
    assert {c["uri"] for c in profile["competencies"]} == {"onet:2.A.1.a", "onet:2.B.1.a"}
    ms = api.client.get("/clients/K-1/measurements", headers=api.h("coach")).json()
    assert ms["total"] == 1 and ms["items"][0]["sensitive"]["blocks"]["cluster"] == "G2"
    assert ms["items"][0]["sensitive"]["scores"]["stabiliteit"]["raw"] == 7.0  # ABC balance: coaches see it


def test_a_held_caseload_follows_every_change_of_who_may_see_whom(api):
    """The API keeps a caseload between requests (api/services/caseload.py); an assignment made
    through the API, one made by another process straight in the graph, and an erasure each show
    in the very next candidate list."""
    from api import client_repository
    from ingest.measurement_repository import erase_client

    def shortlist() -> list[str]:
        r = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach"))
        return sorted(c["client_key"] for c in r.json()["items"])

    assert shortlist() == ["K-1"] and shortlist() == ["K-1"]  # the second answer from the held caseload
    generation, keys = client_repository.scope_keys(api.driver, api.db, "coach", "coach-a")
    assert sorted(keys) == ["K-1", "K-3"]
    assert client_repository.scope_keys(api.driver, api.db, "coach", "coach-a", known=generation) == (generation, None)
    assert api.client.put("/admin/assignments", json={"client_key": "K-2", "role": "coach", "subject": "coach-a"},
                          headers=api.h("admin")).status_code == 204
    assert shortlist() == ["K-1", "K-2"]
    listed = api.client.get("/clients", headers=api.h("coach")).json()  # paged from the same held caseload
    assert [c["key"] for c in listed["items"]] == ["K-1", "K-2", "K-3"] and listed["total"] == 3
    client_repository.unassign(api.driver, api.db, "K-1", "coach", "coach-a")  # as another API process would
    assert shortlist() == ["K-2"]
    assert [c["key"] for c in api.client.get("/clients", headers=api.h("coach")).json()["items"]] == ["K-2", "K-3"]
    erase_client(api.driver, api.db, "K-2")
    client_repository.assign(api.driver, api.db, "K-1", "coach", "coach-a")
    assert shortlist() == ["K-1"]
    moved, _ = client_repository.scope_keys(api.driver, api.db, "coach", "coach-a")
    assert moved != generation

    def referrals() -> list[str]:
        return [c["key"] for c in api.client.get("/clients", headers=api.h("ctc_advisor")).json()["items"]]

    assert referrals() == ["K-1"] and referrals() == ["K-1"]
    client_repository.assign(api.driver, api.db, "K-3", "ctc_advisor", "advisor-a")
    assert referrals() == ["K-1", "K-3"]
    client_repository.unassign(api.driver, api.db, "K-1", "ctc_advisor", "advisor-a")
    assert referrals() == ["K-3"]


def test_without_an_access_token_no_caseload_is_held(api):
    """A graph no writer has bumped (or migrated) yet has no token: every request reads the
    caseload again, and what was held before cannot answer for it."""
    from api.deps import Ctx
    from api.access import Principal, Role
    from api.services.caseload import client_keys

    ctx, cache = Ctx(Principal("coach-a", Role.COACH), api.driver, api.db, api.settings, "TEST"), {}
    held = client_keys(ctx, cache)
    assert held.holder == ("coach", "coach-a") and held.version is not None
    api.driver.execute_query("MATCH (s:AccessState) DELETE s", database_=api.db)
    api.driver.execute_query("MATCH (:Coach {id: 'coach-a'})-[r:COACHES]->(:Client {key: 'K-3'}) DELETE r",
                             database_=api.db)  # not through client_repository: no bump, and no token to bump
    fresh = client_keys(ctx, cache)
    assert fresh.keys == ("K-1",) and fresh.holder is None and fresh.version is None
