"""Consent, audit, decisions and erasure through the API."""
from __future__ import annotations

from api.client_repository import measurement_snapshot
from api_fixtures import NAME_1, OCC, SKILLS, api, audit_count  # noqa: F401  (fixture)
from matcher.freshness import bump_generation, graph_state


def _cards(api, vacancy):
    r = api.client.get(f"/vacancies/{vacancy}/candidates", headers=api.h("employer_desk"))
    assert r.status_code == 200
    return r.json()["items"]


def test_employer_sees_pseudonymised_cards_until_consent_for_that_vacancy_only(api):
    before = _cards(api, "V-1")
    assert {c["candidate"][:2] for c in before} == {"C-"} and len(before) == 2  # K-1, K-2; K-3 not matchable
    text = str(before)
    for secret in ("K-1", "K-2", NAME_1, "anna@", "cluster", "stressors", "gate", "stabiliteit"):
        assert secret not in text
    assert all(c["consented"] is False and "client_key" not in c and "name" not in c for c in before)
    assert {"met", "missing", "coverage", "fit", "fit_low", "fit_high"} <= set(before[0])
    other = _cards(api, "V-2")
    assert not {c["candidate"] for c in before} & {c["candidate"] for c in other}  # unlinkable across vacancies

    r = api.client.post("/clients/K-1/consents", json={"vacancy_id": "V-1"}, headers=api.h("coach"))
    assert r.status_code == 201 and r.json()["consented"] is True

    after = {c["candidate"]: c for c in _cards(api, "V-1")}
    named = [c for c in after.values() if c["consented"]]
    assert len(named) == 1 and named[0]["client_key"] == "K-1" and named[0]["name"] == NAME_1
    assert all("name" not in c for c in after.values() if not c["consented"])
    assert NAME_1 not in str(_cards(api, "V-2"))  # consent is for V-1 only

    api.client.delete("/clients/K-1/consents/V-1", headers=api.h("coach"))
    assert NAME_1 not in str(_cards(api, "V-1"))


def test_every_client_read_is_audited(api):
    reads = [("coach", "/clients/K-1"), ("coach", "/clients/K-1/measurements"), ("coach", "/clients/K-1/gates"),
             ("coach", "/clients/K-1/vacancies"), ("coach", "/clients/K-1/occupations"),
             ("ctc_advisor", "/clients/K-1/gap?vacancy_id=V-1"), ("ctc_advisor", "/clients/K-1/decisions")]
    for n, (who, path) in enumerate(reads, start=1):
        assert api.client.get(path, headers=api.h(who)).status_code == 200
        assert audit_count(api, "K-1") == n, path
    api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk"))
    assert audit_count(api, "K-1") == len(reads) + 1 and audit_count(api, "K-2") == 1
    # A denied read is not a read: nothing is logged for it.
    api.client.get("/clients/K-2", headers=api.h("coach"))
    assert audit_count(api, "K-2") == 1

    log = api.client.get("/admin/audit?client_key=K-1&limit=100", headers=api.h("admin")).json()
    assert log["total"] == len(reads) + 1
    entry = next(e for e in log["items"] if e["action"] == "read_profile")
    assert entry["subject"] == "coach-a" and entry["role"] == "coach" and entry["endpoint"] == "GET /clients/{key}"
    assert {e["action"] for e in log["items"]} >= {"candidate_card", "gap", "read_measurements"}
    # Append-only: no endpoint updates or deletes entries.
    for method in ("DELETE", "PUT", "PATCH", "POST"):
        assert api.client.request(method, "/admin/audit", headers=api.h("admin")).status_code == 405


def test_decision_flow_leaves_measurements_untouched_and_shows_next_to_advice(api):
    before = measurement_snapshot(api.driver, api.db, "K-1")
    vacancies = api.client.get("/clients/K-1/vacancies", headers=api.h("coach")).json()
    assert [v["vacancy"]["id"] for v in vacancies["items"]] and all(v.get("decision") is None for v in vacancies["items"])

    bad = api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "vacancy", "target": "V-1", "choice": "override", "reason_code": "travel_distance"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/reason_text"
    ok = api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "vacancy", "target": "V-1", "choice": "override", "reason_code": "travel_distance",
        "reason_text": "No car; 90 minutes by bus."})
    assert ok.status_code == 201 and ok.json()["advice_ref"] == "vacancy:V-1" and ok.json()["coach"] == "coach-a"
    api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "candidate", "target": "V-1", "choice": "follow", "reason_code": "agrees_with_advice"})
    api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "gate", "target": "matchable", "choice": "follow", "reason_code": "agrees_with_advice"})

    after = api.client.get("/clients/K-1/vacancies", headers=api.h("coach")).json()
    shown = {v["vacancy"]["id"]: v["decision"] for v in after["items"]}
    assert shown["V-1"]["choice"] == "override" and shown["V-1"]["reason_code"] == "travel_distance"
    assert shown["V-2"] is None
    cands = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
    assert cands[0]["decision"]["choice"] == "follow"
    assert api.client.get("/clients/K-1/gates", headers=api.h("coach")).json()["decision"]["kind"] == "gate"
    # The advice itself (scores) is unchanged by the decision, and so is every measurement.
    assert [v["fit"] for v in after["items"]] == [v["fit"] for v in vacancies["items"]]
    assert measurement_snapshot(api.driver, api.db, "K-1") == before
    listed = api.client.get("/clients/K-1/decisions", headers=api.h("ctc_advisor")).json()
    assert listed["total"] == 3


def test_erasure_through_the_api(api):
    before = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
    assert "K-1" in {c["client_key"] for c in before}
    service = api.app.state.matcher
    patches = service.counters["patches"]
    api.client.get("/clients/K-1", headers=api.h("coach"))
    api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
        "kind": "vacancy", "target": "V-1", "choice": "follow", "reason_code": "agrees_with_advice"})
    assert api.client.delete("/clients/K-1", headers=api.h("employer_desk")).status_code == 403
    assert api.client.delete("/clients/K-2", headers=api.h("coach")).status_code == 404  # not coach-a's
    r = api.client.delete("/clients/K-1", headers=api.h("coach"))
    assert r.status_code == 200 and r.json()["erased"] is True and r.json()["removed"]["measurements"] == 1
    # out of this process's index in the erasure's own request, not at the next ranking's check
    assert service.counters["patches"] == patches + 1
    assert service.status()["generation"] == graph_state(api.driver, api.db)[1]
    assert api.client.get("/clients/K-1", headers=api.h("coach")).status_code == 404
    left, _, _ = api.driver.execute_query(
        "MATCH (n) WHERE n.key = 'K-1' OR n.client_key = 'K-1' OR n.name = $name RETURN count(n) AS n",
        name=NAME_1, database_=api.db)
    assert left[0]["n"] == 0
    assert audit_count(api, "K-1") == 0 and audit_count(api) >= 2  # the trail stays, without the key
    assert api.client.delete("/clients/K-1", headers=api.h("admin")).status_code == 404
    assert NAME_1 not in str(_cards(api, "V-1"))


def test_what_if_starts_from_the_fit_the_ranking_shows(api):
    ranked = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
    shown = next(c for c in ranked if c["client_key"] == "K-1")
    taken_off = shown["distance_penalty"] + 0.1 * (shown["hours_short"] + shown["education_short"])
    assert abs(shown["fit"] - max(0.0, shown["competency_fit"] - taken_off)) < 1e-3  # the row says why
    assert shown["fit_low"] <= shown["fit"] <= shown["fit_high"]
    r = api.client.post("/clients/K-1/what-if", headers=api.h("coach"), json={
        "vacancy_id": "V-1", "changes": [{"competency": "onet:2.B.1.a", "level": 1.0}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["before"]["fit"] == shown["fit"] and body["before"]["competency_fit"] == shown["competency_fit"]
    assert body["after"]["fit"] >= body["before"]["fit"] and body["rank_after"] <= body["rank_before"]


def test_the_audit_listing_seeks_its_entries_and_sorts_only_a_page(api):
    # The log grows with every read (~940,000 entries after a day of benchmarks): a listing that
    # scanned and collected the whole log took 0.4-0.6 s for one client and 1.8 s for all of it.
    from api import audit

    def operators(client_key, subject) -> list[str]:
        plan = api.driver.execute_query("EXPLAIN " + audit.listing(client_key, subject), client_key=client_key,
                                        subject=subject, offset=0, limit=50, database_=api.db).summary.plan
        out, todo = [], [plan]
        while todo:
            node = todo.pop()
            out.append(node["operatorType"].split("@")[0])
            todo.extend(node.get("children", []))
        return out

    for client_key, subject, walk in (("K-1", None, "NodeIndexSeek"), (None, "coach-a", "NodeIndexSeek"),
                                      ("K-1", "coach-a", "NodeIndexSeek"), (None, None, "NodeIndexScan")):
        ops = operators(client_key, subject)
        assert walk in ops and "NodeByLabelScan" not in ops and {"Top", "PartialTop"} & set(ops), ops
    api.client.get("/clients/K-1", headers=api.h("coach"))
    api.client.get("/clients/K-1", headers=api.h("coach"))
    total, first = audit.list_entries(api.driver, api.db, client_key="K-1", limit=2)
    again, second = audit.list_entries(api.driver, api.db, client_key="K-1", offset=1, limit=2)
    assert total == again >= 2 and first[1] == second[0] and (first[0]["at"], first[0]["id"]) >= (first[1]["at"], "")
    assert audit.list_entries(api.driver, api.db, client_key="K-404") == (0, [])
    mine, _ = audit.list_entries(api.driver, api.db, client_key="K-1", subject="coach-a")
    assert 2 <= mine <= total and audit.list_entries(api.driver, api.db)[0] >= total


def test_gap_for_an_advisor_names_each_requirement_and_adds_up_to_the_fit(api):
    r = api.client.get("/clients/K-1/gap?vacancy_id=V-1", headers=api.h("ctc_advisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    labels = {q["competency"]: q["label"] for q in body["requirements"]}
    # Dutch by default, the stored labels, never the bare URIs; English on request, marked as such
    assert labels == {"onet:2.A.1.a": "vaardigheid onet:2.A.1.a", "onet:2.B.1.a": "vaardigheid onet:2.B.1.a",
                      "onet:1.C.1.a": "vaardigheid onet:1.C.1.a"}
    assert {q["label_lang"] for q in body["requirements"]} == {"nl"}
    english = api.client.get("/clients/K-1/gap?vacancy_id=V-1", headers={**api.h("ctc_advisor"),
                                                                       "Accept-Language": "en-GB,en;q=0.8"}).json()
    assert {q["label"] for q in english["requirements"]} == {"skill onet:2.A.1.a", "skill onet:2.B.1.a",
                                                              "skill onet:1.C.1.a"}
    assert {q["label_lang"] for q in english["requirements"]} == {"en"}
    assert abs(sum(q["contribution"] for q in body["requirements"]) - body["fit"]) < 1e-3
    assert {g["competency"] for g in body["gaps"]} <= set(labels)
    assert body["gaps"] and not any("rank_now" in g for g in body["gaps"])  # scoring every client: when asked
    ranked = api.client.get("/clients/K-1/gap?vacancy_id=V-1&ranks=true", headers=api.h("ctc_advisor")).json()["gaps"]
    for g in ranked:  # each place as the what-if of reaching that level alone counts it
        w = api.client.post("/clients/K-1/what-if", headers=api.h("ctc_advisor"), json={
            "vacancy_id": "V-1", "changes": [{"competency": g["competency"], "level": g["required_level"]}]}).json()
        assert (g["rank_now"], g["rank_after"]) == (w["rank_before"], w["rank_after"])


def test_a_changed_vacancy_shows_its_new_requirements_after_the_rebuild(api):
    """A vacancy's labelled requirements are kept between requests (matcher/service.py); a rebuild
    after its requirements changed must show the new ones, never the kept list."""
    import time

    def asked() -> set[str]:
        r = api.client.get("/clients/K-1/gap?vacancy_id=V-1", headers=api.h("coach"))
        return {q["competency"] for q in r.json()["requirements"]}

    assert asked() == set(SKILLS[:3]) and asked() == set(SKILLS[:3])  # the second from the kept list
    api.driver.execute_query(
        "MATCH (v:Vacancy {id: 'V-1'}), (k:Competency {uri: $uri}) "
        "CREATE (v)-[:REQUIRES {origin: 'text', relation: 'essential', required_level: 0.5, importance: 1.0}]->(k)",
        uri=SKILLS[3], database_=api.db)
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)  # a vacancy changed: the index is rebuilt
    deadline = time.monotonic() + 30
    while asked() != set(SKILLS) and time.monotonic() < deadline:
        time.sleep(0.1)  # the old index answers while the new one is built
    assert asked() == set(SKILLS)


def test_client_occupations_page_holds_at_most_limit_items(api):
    """The occupations a client worked in bring their SIMILAR_TO neighbours into the list; the page
    must still hold no more than `limit` items."""
    api.driver.execute_query(
        "MATCH (o:Occupation {uri: $occ}), (c:Client {key: 'K-1'}), (s:Competency {uri: 'onet:2.A.2.a'}) "
        "CREATE (w:Occupation {uri: $occ + '-2', label_en: 'line cook', label_nl: 'lijnkok'})"
        "-[:REQUIRES {relation: 'essential', required_level: 0.5, importance: 1.0}]->(s) "
        "CREATE (c)-[:WORKED_AS {years: 3.0}]->(o)-[:SIMILAR_TO {score: 0.8}]->(w)", occ=OCC, database_=api.db)
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)
    full = api.client.get("/clients/K-1/occupations?limit=10", headers=api.h("coach")).json()["items"]
    assert len(full) == 2
    first = api.client.get("/clients/K-1/occupations?limit=1", headers=api.h("coach")).json()["items"]
    assert [o["occupation"]["uri"] for o in first] == [full[0]["occupation"]["uri"]]


def test_a_coach_observation_lands_as_its_own_source_and_moves_the_ranking(api):
    def fit_of_k1():
        rows = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
        return next(c for c in rows if c["client_key"] == "K-1")

    before = fit_of_k1()
    service = api.app.state.matcher
    patches = service.counters["patches"]
    r = api.client.post("/clients/K-1/observations", headers=api.h("coach"),
                        json={"scale": "begrijpend_lezen", "score": 5, "observed_on": "2026-11-02"})
    assert r.status_code == 200 and r.json()["items"][0]["status"] == "landed", r.text
    # patched in the write's own request: the next ranking has nothing to catch up on
    assert service.counters["patches"] == patches + 1
    assert service.status()["generation"] == graph_state(api.driver, api.db)[1]
    [m] = api.driver.execute_query(
        "MATCH (:Client {key: 'K-1'})-[:HAS_MEASUREMENT]->(m:Measurement {instrument: 'waarneming'}) RETURN m",
        database_=api.db).records
    assert m["m"]["administered_by"] == "coach:coach-a" and str(m["m"]["measured_at"]) == "2026-11-02"
    after = fit_of_k1()
    assert after["fit"] > before["fit"]  # onet:2.A.1.a was unknown for K-1, now observed at the top
    assert "onet:2.A.1.a" in {c["uri"] for c in after["met"]}
    other = api.client.post("/clients/K-1/observations", headers=api.h("coach_b"), json={"scale": "samenwerken",
                                                                                       "score": 3})
    assert other.json()["items"][0]["status"] == "rejected"  # not coach-b's client
    bad = api.client.post("/clients/K-1/observations", headers=api.h("coach"), json={"scale": "toveren", "score": 3})
    assert bad.json()["items"][0]["status"] == "rejected" and "toveren" in str(bad.json()["items"][0]["problems"])


def test_a_clients_own_travel_radius_and_wished_occupation_reach_their_ranked_vacancies_and_occupations(api):
    def rows() -> dict:
        r = api.client.get("/clients/K-1/vacancies", headers=api.h("coach"))
        assert r.status_code == 200
        return {row["vacancy"]["id"]: row for row in r.json()["items"]}

    def occupation() -> dict:
        r = api.client.get("/clients/K-1/occupations", headers=api.h("coach"))
        assert r.status_code == 200
        return next(row for row in r.json()["items"] if row["occupation"]["uri"] == OCC)

    def set_facts(km, wished) -> None:  # as the profile builder writes them: with the client's change logged
        def write(tx):
            tx.run("MATCH (c:Client {key: 'K-1'}) SET c.travel_radius_km = $km, c.preferred_occupations = $wished",
                   km=km, wished=wished).consume()
            bump_generation(tx, ["K-1"])
        with api.driver.session(database=api.db) as session:
            session.execute_write(write)

    def same_fit_everywhere(row: dict) -> None:
        """The pair's fit is one number: on the vacancy's candidate list, the client's gap and what-if."""
        ranked = api.client.get("/vacancies/V-1/candidates", headers=api.h("coach")).json()["items"]
        card = next(c for c in ranked if c["client_key"] == "K-1")
        gap = api.client.get("/clients/K-1/gap?vacancy_id=V-1", headers=api.h("coach")).json()
        what_if = api.client.post("/clients/K-1/what-if", headers=api.h("coach"),
                                  json={"vacancy_id": "V-1", "changes": [{"competency": "onet:2.B.1.a", "level": 1.0}]}).json()
        within = api.client.get("/clients/K-1/vacancies?max_km=50", headers=api.h("coach")).json()["items"]
        filtered = next(r for r in within if r["vacancy"]["id"] == "V-1")  # a coach's "within 50 km" filters only
        for shown in (card, gap, what_if["before"], filtered):
            assert (shown["fit"], shown["distance_penalty"]) == (row["fit"], row["distance_penalty"])

    set_facts(1.0, [OCC])
    near = rows()["V-1"]  # ~1.7 km away: beyond a 1 km radius
    assert near["distance_penalty"] > 0 and near["preference"] == "wished"
    assert occupation()["preference"] == "wished"
    same_fit_everywhere(near)  # the candidate list takes the client's own radius too (it took 25 km for all)
    set_facts(None, [])
    near = rows()["V-1"]  # the default 25 km
    assert near["distance_penalty"] == 0 and near["preference"] is None
    assert occupation()["preference"] is None
    same_fit_everywhere(near)


def test_matchable_without_a_measured_gate_block_says_so_on_the_api_and_the_pages(api):
    from test_pages import signed_in

    def post(measurement):
        r = api.client.post("/measurements", json=[measurement], headers=api.h("coach"))
        assert r.status_code in (200, 201) and r.json()["items"][0]["status"] == "landed", r.text

    post({"client_key": "K-1", "instrument": "abc", "measured_at": "2024-05-01", "scores": {"Samenwerken": 7}})
    gate = api.client.get("/clients/K-1/gates", headers=api.h("coach")).json()
    assert (gate["gate"], gate["measured"]) == ("matchable", False)
    coach = signed_in(api, "coach")
    page = coach.get("/klanten/K-1").text
    assert "nog niet bepaald" in page and "nog niet bepaald" in coach.get("/klanten").text
    assert 'name="kind" value="gate"' not in page  # no finding: nothing to follow or override

    def decide(target):
        return api.client.post("/clients/K-1/decisions", headers=api.h("coach"), json={
            "kind": "gate", "target": target, "choice": "follow", "reason_code": "agrees_with_advice"})

    refused = decide("matchable")  # nor does the API take a decision on it
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/target", refused.text
    post({"client_key": "K-1", "instrument": "abc", "measured_at": "2024-05-02", "scores": {"Samenwerken": 7},
          "blocks": {"cluster": "G2"}})
    gate = api.client.get("/clients/K-1/gates", headers=api.h("coach")).json()
    assert (gate["gate"], gate["measured"]) == ("matchable", True)
    page = coach.get("/klanten/K-1/vacatures").text
    assert "nog niet bepaald" not in page and "plaatsbaar" in page
    assert 'name="kind" value="gate"' in coach.get("/klanten/K-1").text
    wrong = decide("not_matchable")  # a decision names the gate as it stands
    assert wrong.status_code == 422 and "'matchable'" in wrong.text, wrong.text
    assert decide("matchable").status_code == 201
    assert api.client.get("/clients/K-1", headers=api.h("coach")).json()["gate_measured"] is True


def test_a_job_title_sent_to_the_api_is_resolved_on_the_atlas_as_it_is_now(api):
    """The API keeps the ingest's context between requests, but a new atlas release (here: one
    that adds an occupation) makes it again: the next measurement's job title finds it."""
    def send(day: str) -> dict:
        item = {"client_key": "K-1", "instrument": "wcm", "measured_at": day, "scores": {"Samenwerken": 4},
                "blocks": {"experience": {"work_history": [
                    {"title": "pizzabakker", "from": "2015-01-01", "to": "2017-01-01"}]}}}
        r = api.client.post("/measurements", json=[item], headers=api.h("coach"))
        assert r.status_code == 200, r.text
        return r.json()

    first = send("2024-05-01")
    assert first["landed"] == 1 and ["pizzabakker" in w["reason"] for w in first["warnings"]] == [True]
    api.driver.execute_query(
        "CREATE (:Occupation {uri: $uri, label_nl: 'pizzabakker', label_en: 'pizzaiolo'}) "
        "CREATE (:AtlasRelease {version: 'next', status: 'complete', completed_at: datetime()})",
        uri=OCC + "-pizza", database_=api.db)
    second = send("2024-06-01")
    assert second["landed"] == 1 and second["warnings"] == []
    records, _, _ = api.driver.execute_query(
        "MATCH (:Client {key: 'K-1'})-[:WORKED_AS]->(o:Occupation) RETURN collect(o.uri) AS uris", database_=api.db)
    assert OCC + "-pizza" in records[0]["uris"]


def test_a_vacancys_requirements_say_in_which_language_they_are_named(api):
    """GET /vacancies/{id} names each requirement in Dutch where the atlas can, else in English, and says which."""
    api.driver.execute_query("MATCH (c:Competency {uri: $uri}) SET c.label_nl = null", uri=SKILLS[1], database_=api.db)
    found = api.client.get("/vacancies/V-1", headers=api.h("coach")).json()
    named = {q["uri"]: (q["label"], q["label_lang"]) for q in found["requirements"]}
    assert named[SKILLS[1]] == (f"skill {SKILLS[1]}", "en")
    assert all(lang == "nl" and label.startswith("vaardigheid ") for uri, (label, lang) in named.items() if uri != SKILLS[1])
    assert not {"label_nl", "label_en"} & set(found["requirements"][0])
