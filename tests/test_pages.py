"""The server-rendered pages (api/pages) through FastAPI's TestClient on the real Neo4j: sign-in
into a session cookie, CSRF, sign-out, role navigation, audit of page reads, escaping, and the
coach's decision and consent forms calling the same services as the JSON API."""
from __future__ import annotations

import json

import re

import pytest
from fastapi.testclient import TestClient

from api_fixtures import NAME_1, OCC, SKILLS, api, audit_count  # noqa: F401  (fixture)
from matcher.freshness import bump_generation

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(api) -> TestClient:
    """A fresh client with its own cookie jar (one per person at a screen)."""
    return TestClient(api.app, raise_server_exceptions=False, follow_redirects=False)


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def signed_in(api, who: str) -> TestClient:
    b = browser(api)
    r = b.post("/aanmelden", data={"token": api.tokens[who], "csrf": csrf_of(b.get("/aanmelden").text), "next": ""})
    assert r.status_code == 303, r.text
    return b


def test_sign_in_sets_a_strict_httponly_cookie_and_returns_to_the_asked_page(api):
    b = browser(api)
    r = b.get("/klanten?q=K-1")
    assert r.status_code == 303 and r.headers["location"] == "/aanmelden?next=%2Fklanten%3Fq%3DK-1"
    cookie = r.headers["set-cookie"].lower()  # the session starts with the redirect
    form = b.get(r.headers["location"])
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    bad = b.post("/aanmelden", data={"token": "atm_nope", "csrf": csrf_of(form.text), "next": "/klanten?q=K-1"})
    assert bad.status_code == 401 and "kennen we niet" in bad.text
    ok = b.post("/aanmelden", data={"token": api.tokens["coach"], "csrf": csrf_of(form.text), "next": "/klanten?q=K-1"})
    assert ok.status_code == 303 and ok.headers["location"] == "/klanten?q=K-1"
    page = b.get("/klanten?q=K-1")
    assert page.status_code == 200 and ">K-1<" in page.text and "K-3" not in page.text  # the search filters
    assert audit_count(api, "K-1") == 1 and audit_count(api, "K-3") == 0  # the listed clients, like the API


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_sign_in(api):
    b = browser(api)
    back = b.post("/klanten/K-1/besluit", data={"target": "V-1", "choice": "follow"},
                  headers={"Referer": "http://testserver/klanten/K-1/vacatures?max_km=50"})
    assert back.status_code == 303
    assert back.headers["location"] == "/aanmelden?next=%2Fklanten%2FK-1%2Fvacatures%3Fmax_km%3D50%26niet_verstuurd%3D1"
    signed = signed_in(api, "coach")
    assert "niet opgeslagen" in signed.get("/klanten/K-1/vacatures?max_km=50&niet_verstuurd=1").text  # said, not lost silently
    assert "niet opgeslagen" not in signed.get("/klanten/K-1/vacatures?max_km=50").text
    elsewhere = b.post("/klanten/K-1/besluit", data={}, headers={"Referer": "http://evil.example/klanten/K-1"})
    assert elsewhere.headers["location"] == "/aanmelden?next=%2F"


def test_page_addresses_answer_errors_as_pages_in_the_readers_language(api):
    b = signed_in(api, "coach")
    missing = b.get("/klanten/K-1/bestaat-niet")
    assert missing.status_code == 404 and "<h1>Niet gevonden</h1>" in missing.text
    wrong = b.get("/klanten/K-1/besluit")  # a form's address opened as a page
    assert wrong.status_code == 405 and "kan zo niet worden geopend" in wrong.text
    invalid = b.get("/klanten/K-1/vacatures", params={"max_km": "9999"})
    assert invalid.status_code == 422 and "Dit adres klopt niet" in invalid.text
    assert "This address is not right" in b.get("/klanten/K-1/vacatures", params={"max_km": "9999", "lang": "en"}).text
    api_missing = b.get("/clients/K-1/nope")  # the API keeps its problem documents
    assert api_missing.status_code == 404 and api_missing.headers["content-type"].startswith("application/problem+json")


def test_sign_in_never_redirects_off_site_and_cookie_is_secure_behind_tls(api):
    assert "secure" in browser(api).get("/aanmelden", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"].lower()
    b = TestClient(api.app, base_url="https://testserver", follow_redirects=False)
    form = b.get("/aanmelden")
    assert "secure" in form.headers["set-cookie"].lower()
    r = b.post("/aanmelden", data={"token": api.tokens["coach"], "csrf": csrf_of(form.text), "next": "//evil.example/x"})
    assert r.headers["location"] == "/klanten"


def test_forms_without_the_session_csrf_token_are_rejected(api):
    b = browser(api)
    b.get("/aanmelden")
    assert b.post("/aanmelden", data={"token": api.tokens["coach"]}).status_code == 403
    coach = signed_in(api, "coach")
    wrong = coach.post("/klanten/K-1/besluit", data={"csrf": "forged", "target": "V-1", "choice": "follow",
                                                      "reason_code": "agrees_with_advice"})
    assert wrong.status_code == 403 and "verlopen" in wrong.text
    assert api.client.get("/clients/K-1/decisions", headers=api.h("coach")).json()["total"] == 0
    # The token from before sign-in is worthless afterwards (it is replaced on sign-in).
    other = browser(api)
    stale = csrf_of(other.get("/aanmelden").text)
    other.post("/aanmelden", data={"token": api.tokens["coach"], "csrf": stale, "next": ""})
    assert other.post("/afmelden", data={"csrf": stale}).status_code == 403


def test_sign_out_and_revocation_end_the_session(api):
    b = signed_in(api, "coach")
    page = b.get("/klanten")
    assert page.status_code == 200
    out = b.post("/afmelden", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/aanmelden"
    assert b.get("/klanten").status_code == 303
    b = signed_in(api, "coach")
    token_id = next(t.token_id for t in api.app.state.tokens.list() if t.subject == "coach-a")
    api.app.state.tokens.revoke(token_id)
    assert b.get("/klanten").status_code == 303


def test_forged_cookie_is_ignored(api):
    b = signed_in(api, "coach")
    value = b.cookies.get("atlas_session")
    payload, mac = value.rsplit(".", 1)
    b.cookies.clear()
    b.cookies.set("atlas_session", payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac)
    assert b.get("/klanten").status_code == 303


@pytest.mark.parametrize("who, sees, not_sees, allowed, denied", [
    ("coach", ["/klanten", "/beroepen"], ["/werkgever"], "/klanten", "/werkgever"),
    ("ctc_advisor", ["/klanten", "/beroepen"], ["/werkgever"], "/klanten", "/werkgever"),
    ("employer_desk", ["/werkgever", "/beroepen"], ["/klanten"], "/werkgever", "/klanten"),
])
def test_navigation_and_pages_follow_the_role(api, who, sees, not_sees, allowed, denied):
    b = signed_in(api, who)
    page = b.get(allowed)
    assert page.status_code == 200
    nav = re.search(r"<nav.*?</nav>", page.text, re.S).group(0)
    assert all(f'href="{p}"' in nav for p in sees) and not any(f'href="{p}"' in nav for p in not_sees)
    assert b.get(denied).status_code == 403


def test_client_page_is_audited_like_the_api_and_others_clients_are_not_found(api):
    b = signed_in(api, "coach")
    r = b.get("/klanten/K-1")
    assert r.status_code == 200 and "<svg" in r.text
    log = api.client.get("/admin/audit?client_key=K-1", headers=api.h("admin")).json()["items"]
    assert {(e["action"], e["subject"], e["endpoint"]) for e in log} == {
        ("read_profile", "coach-a", "GET /klanten/{key}"), ("read_measurements", "coach-a", "GET /klanten/{key}")}
    assert len(log) == 2 and len({e["request_id"] for e in log}) == 1  # one page view, one request
    assert b.get("/klanten/K-2").status_code == 404 and audit_count(api, "K-2") == 0  # coach-b's client
    assert b.get("/klanten/K-404").status_code == 404


def test_client_page_shows_evidence_kind_source_date_and_what_is_not_measured(api):
    b = signed_in(api, "coach")
    html = b.get("/klanten/K-1").text
    assert 'class="ev-measured"' in html and "ABC-meting, 12-04-2024" in html
    assert "Nog niet gemeten met" in html and "<td>CTC</td>" in html  # instruments never taken: grey, not red
    assert "plaatsbaar" in html
    en = b.get("/klanten/K-1?lang=en").text
    assert "not yet measured" in en and '<html lang="en">' in en
    assert '<html lang="en">' in b.get("/klanten").text  # the choice is kept in the session


def test_client_page_themes_are_the_same_before_and_after_the_index_keeps_the_kinds(api, monkeypatch):
    """Before the match service has an index the page reads the competencies' kinds itself; after,
    the service keeps them: the same themes, and a second page reads no kinds at all."""
    import matcher.service as service

    api.driver.execute_query("MATCH (k:Competency) WHERE k.uri IN $uris SET k.kind = 'knowledge'", uris=SKILLS,
                             database_=api.db)
    b = signed_in(api, "coach")
    if hasattr(api.app.state, "matcher"):
        del api.app.state.matcher  # no match service yet: the page reads the kinds itself
    before = b.get("/klanten/K-1").text
    assert not hasattr(api.app.state, "matcher")  # and the page did not start one
    assert api.client.get("/clients/K-1/vacancies", headers=api.h("coach")).status_code == 200  # the index is up
    reads = []
    real = service.concept_names
    monkeypatch.setattr(service, "concept_names", lambda *a: reads.append(a[2]) or real(*a))
    after, again = b.get("/klanten/K-1").text, b.get("/klanten/K-1").text
    themes = lambda html: re.findall(r'<text class="theme"[^>]*>([^<]+)</text>', html)  # noqa: E731
    assert "Kennis" in themes(before)  # the kinds were read
    assert themes(after) == themes(before) == themes(again)
    assert len(reads) == 1 and set(SKILLS) & set(reads[0])  # read once, then kept


def test_client_page_names_wishes_and_education_in_words_as_the_report_does(api):
    api.driver.execute_query("MATCH (c:Client {key: 'K-1'}) SET c.preferred_occupations = [$occ], "
                             "c.education_level = 'vmbo', c.hours_available = 20.0", occ=OCC, database_=api.db)
    b = signed_in(api, "coach")
    html = b.get("/klanten/K-1").text
    assert "<dd>kok</dd>" in html and OCC not in html  # never a URI
    assert "<dd>20</dd>" in html  # hours as a person writes them, not 20.0
    assert "Vmbo / mbo-1" in html
    en = b.get("/klanten/K-1?lang=en").text
    assert "<dd>cook</dd>" in en and "Lower secondary / entry level" in en


def test_a_fit_says_how_much_was_measured_and_how_much_inferred_from_work_history(api):
    from datetime import date

    from matcher.profile import CompetencyEstimate
    from matcher.profile_repository import set_profiles
    from matcher.profile_store import encode
    a, b = SKILLS[0], SKILLS[1]  # K-1: a measured, b now from work history alone
    profile = {a: CompetencyEstimate(a, 0.8, 0.7, date(2024, 4, 12), False, ("M-K-1",), "trainable"),
               b: CompetencyEstimate(b, 0.6, 0.7, date(2024, 4, 12), True, ("work history: " + OCC,), "trainable")}
    with api.driver.session(database=api.db) as session:
        session.execute_write(set_profiles, [{"key": "K-1", "props": encode(profile)}])
        session.execute_write(bump_generation, ["K-1"])
    row = next(r for r in api.client.get("/clients/K-1/vacancies", headers=api.h("coach")).json()["items"]
               if r["vacancy"]["id"] == "V-1")
    assert 0 < row["measured"] < row["coverage"]  # both have evidence; one was measured
    page = signed_in(api, "coach").get("/klanten/K-1/vacatures").text
    shown = re.search(r"(\d+)\s% gemeten, (\d+)\s% afgeleid", page.split('id="v-V-1"', 1)[1])
    assert shown and (int(shown[1]), int(shown[2])) == (round(100 * row["measured"]),
                                                        round(100 * (row["coverage"] - row["measured"])))


def test_vacancy_cards_show_the_hours_asked(api):
    api.driver.execute_query("MATCH (v:Vacancy {id: 'V-1'}) SET v.hours_per_week = 32.5", database_=api.db)
    page = signed_in(api, "coach").get("/klanten/K-1/vacatures").text
    assert "32,5 uur per week" in page and page.count("uur per week") == 1  # V-2 asks none


def test_vacancy_cards_name_a_few_met_and_unknown_requirements_and_count_the_rest(api, monkeypatch):
    b = signed_in(api, "coach")
    first = b.get("/klanten/K-1/vacatures").text
    named = {status: first.count(f"st-{status}") for status in ("met", "unknown")}
    monkeypatch.setattr("api.services.matching.NAMED", 0)  # none named: each one counted
    page = b.get("/klanten/K-1/vacatures").text
    assert all(named.values()) and "st-unknown" not in page and "st-met" not in page
    unknown = re.findall(r"Nog (1 eis|\d+ eisen) niet gemeten\.", page)
    met = re.findall(r"Voldoet ook aan nog (1 eis|\d+ eisen)\.", page)
    assert sum(int(n.split()[0]) for n in unknown) == named["unknown"]
    assert sum(int(n.split()[0]) for n in met) == named["met"]


def test_vacancies_page_shows_fit_range_coverage_and_requirement_statuses(api):
    b = signed_in(api, "coach")
    r = b.get("/klanten/K-1/vacatures")
    assert r.status_code == 200, r.text
    assert re.search(r"\d+\s% \(\d+–\u2060\d+\s%\), \d+\s% gemeten", r.text)
    assert "voldoet" in r.text and "nog niet gemeten" in r.text and "Zelfstandig kok" in r.text
    assert "<td>ABC-meting, 12-04-2024</td>" in r.text  # where each piece of evidence comes from
    assert audit_count(api, "K-1") == 1
    assert r.text.count('class="card vacancy"') == 2
    none = b.get("/klanten/K-3/vacatures").text  # not matchable: no suggestions, said in words
    assert "niet plaatsbaar" in none and "geen vacatures voorgesteld" in none


def test_decision_and_consent_forms_use_the_api_services(api):
    b = signed_in(api, "coach")
    page = b.get("/klanten/K-1/vacatures?max_km=50")
    token = csrf_of(page.text)
    # every card offers the same reasons to differ, in Dutch, as options (rendered once, not escaped)
    options = re.findall(r'<option value="([a-z_]+)">([^<]+)</option>', page.text)
    per_card = len(options) // 2
    assert options and options[:per_card] == options[per_card:] and "&lt;option" not in page.text
    assert dict(options)["travel_distance"].lower().startswith("reisafstand")
    missing = b.post("/klanten/K-1/besluit", data={"csrf": token, "target": "V-1", "choice": "override",
                                                   "reason_code": "travel_distance", "reason_text": " ",
                                                   "max_km": "50"})
    assert missing.status_code == 303 and "fout=V-1" in missing.headers["location"]
    assert api.client.get("/clients/K-1/decisions", headers=api.h("coach")).json()["total"] == 0
    done = b.post("/klanten/K-1/besluit", data={"csrf": token, "target": "V-1", "choice": "override",
                                                "reason_code": "travel_distance", "reason_text": "Geen auto.",
                                                "max_km": "50"})
    assert done.headers["location"] == "/klanten/K-1/vacatures?max_km=50#v-V-1"
    stored = api.client.get("/clients/K-1/decisions", headers=api.h("coach")).json()["items"]
    assert [(d["advice_ref"], d["choice"], d["reason_code"]) for d in stored] == [
        ("vacancy:V-1", "override", "travel_distance")]
    assert "reisafstand" in b.get("/klanten/K-1/vacatures").text and "Geen auto." in b.get("/klanten/K-1/vacatures").text

    assert b.post("/klanten/K-1/toestemming", data={"csrf": token, "vacancy_id": "V-1", "give": "1"}).status_code == 303
    desk = signed_in(api, "employer_desk")
    assert NAME_1 in desk.get("/werkgever/vacatures/V-1").text
    assert NAME_1 not in desk.get("/werkgever/vacatures/V-2").text
    # a client who consented but has no name or e-mail on record: never the municipality's own client number
    api.driver.execute_query("MATCH (i:ClientIdentity {client_key: 'K-1'}) SET i.name = null, i.email = null",
                             database_=api.db)
    card = desk.get("/werkgever/vacatures/V-1").text
    assert "neem contact op via de coach" in card and "K-1</h2>" not in card
    b.post("/klanten/K-1/toestemming", data={"csrf": token, "vacancy_id": "V-1", "give": "0"})
    assert NAME_1 not in desk.get("/werkgever/vacatures/V-1").text
    # An advisor may read the page but not decide.
    adv = signed_in(api, "ctc_advisor")
    page = adv.get("/klanten/K-1/vacatures")
    assert page.status_code == 200 and "/besluit" not in page.text
    assert adv.post("/klanten/K-1/besluit", data={"csrf": csrf_of(page.text), "target": "V-1", "choice": "follow",
                                                  "reason_code": "agrees_with_advice"}).status_code == 403


def test_the_gate_and_an_occupation_are_followed_or_overridden_on_their_pages(api):
    b = signed_in(api, "coach")
    assert 'href="/klanten/K-3#h-gate"' in b.get("/klanten").text  # waits for the coach's decision
    page = b.get("/klanten/K-3")
    token = csrf_of(page.text)
    assert 'name="kind" value="gate"' in page.text and 'name="target" value="not_matchable"' in page.text
    refused = b.post("/klanten/K-3/besluit", data={"csrf": token, "kind": "gate", "target": "not_matchable",
                                                   "choice": "override", "reason_code": "other", "reason_text": ""})
    assert refused.headers["location"] == "/klanten/K-3?fout=gate#h-gate"
    assert "Bij afwijken zijn een reden en een toelichting nodig." in b.get(refused.headers["location"]).text
    # A page drawn before the gate changed names the old status: the coach is told it changed.
    stale = b.post("/klanten/K-3/besluit", data={"csrf": token, "kind": "gate", "target": "matchable",
                                                 "choice": "follow", "reason_code": "agrees_with_advice"})
    assert stale.headers["location"] == "/klanten/K-3?fout=gate-veranderd#h-gate"
    shown = b.get(stale.headers["location"]).text
    assert "De plaatsbaarheid is intussen veranderd." in shown and "een reden en een toelichting" not in shown
    done = b.post("/klanten/K-3/besluit", data={"csrf": token, "kind": "gate", "target": "not_matchable",
                                                "choice": "follow", "reason_code": "agrees_with_advice"})
    assert done.headers["location"] == "/klanten/K-3#h-gate"
    assert "<strong>volgen</strong>" in b.get("/klanten/K-3").text
    assert 'href="/klanten/K-3#h-gate"' not in b.get("/klanten").text  # decided: no longer waiting

    page = b.get("/klanten/K-1/beroepen")
    assert f'name="target" value="{OCC}"' in page.text
    done = b.post("/klanten/K-1/besluit", data={"csrf": csrf_of(page.text), "kind": "occupation", "target": OCC,
                                                "choice": "override", "reason_code": "client_preference",
                                                "reason_text": "Wil niet in de horeca."})
    assert done.headers["location"].startswith("/klanten/K-1/beroepen#o-http")
    assert "Wil niet in de horeca." in b.get("/klanten/K-1/beroepen").text
    stored = api.client.get("/clients/K-1/decisions", headers=api.h("coach")).json()["items"]
    assert [(d["advice_ref"], d["choice"]) for d in stored] == [(f"occupation:{OCC}", "override")]
    adv = signed_in(api, "ctc_advisor")  # reads the pages, does not decide
    assert "/besluit" not in adv.get("/klanten/K-1/beroepen").text and "/besluit" not in adv.get("/klanten/K-1").text


def test_employer_shortlist_is_pseudonymised_and_audited(api):
    desk = signed_in(api, "employer_desk")
    html = desk.get("/werkgever/vacatures/V-1").text
    assert len(set(re.findall(r"C-[0-9a-f]{16}", html))) == 2  # two candidates, each on its card and its form
    for secret in ("K-1", "K-2", NAME_1, "anna@", "cluster"):
        assert secret not in html
    assert re.search(r"\d+\s% \(\d+–\u2060\d+\s%\), \d+\s% gemeten", html)
    assert audit_count(api, "K-1") == 1 and audit_count(api, "K-2") == 1
    assert desk.get("/werkgever/vacatures/V-404").status_code == 404


def test_script_in_a_client_key_or_vacancy_title_is_shown_as_text(api):
    evil = "<script>alert(1)</script>"
    api.driver.execute_query(
        "MATCH (co:Coach {id: 'coach-a'}) CREATE (co)-[:COACHES]->(:Client {key: $key, gate: 'matchable', "
        "gate_reasons: [$evil]}) WITH 1 AS x MATCH (v:Vacancy {id: 'V-2'}) SET v.title = $evil, v.employer = $evil",
        key="K-" + evil, evil=evil, database_=api.db)
    coach = signed_in(api, "coach")
    for path in ("/klanten", "/klanten?q=" + evil):
        html = coach.get(path).text
        assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    desk = signed_in(api, "employer_desk")
    html = desk.get("/werkgever").text
    assert evil not in html and "&lt;script&gt;" in html
    assert "script-src 'self'" in desk.get("/werkgever").headers["content-security-policy"]


def test_an_occupation_found_by_its_english_title_is_named_in_the_pages_language(api):
    """The search box looks through Dutch and English titles; a hit is named as the page speaks."""
    api.driver.execute_query(
        "MATCH (o:Occupation {uri: $occ}) "
        "CREATE (:Label {key: 'test-cook-en', text: 'cook', lang: 'en'})-[:LABEL_OF]->(o), "
        "(:Label {key: 'test-cook-nl', text: 'kok', lang: 'nl'})-[:LABEL_OF]->(o)", occ=OCC, database_=api.db)
    b = signed_in(api, "ctc_advisor")
    hits = b.get("/beroepen/zoek", params={"q": "cook"})
    assert hits.status_code == 200 and "occupation/test-cook" in hits.text
    assert '">kok</a>' in hits.text and '">cook</a>' not in hits.text  # named in Dutch, found by "cook"


def test_a_competency_without_a_dutch_label_is_shown_in_english_and_marked_english(api):
    """Many ESCO skills have no Dutch label yet: a Dutch page then shows the English one inside
    lang="en" (a screen reader pronounces it as English), and the JSON says which language it is."""
    api.driver.execute_query("MATCH (c:Competency {uri: $uri}) SET c.label_nl = null", uri=SKILLS[2],
                             database_=api.db)  # K-1's one gap for OCC
    english, dutch = f"skill {SKILLS[2]}", f"vaardigheid {SKILLS[0]}"
    b = signed_in(api, "coach")
    profile = b.get("/beroepen/profiel", params={"uri": OCC}).text
    assert f'<span lang="en">{english}</span>' in profile
    assert f"<td>{dutch}</td>" in profile  # the Dutch ones as they were
    gap = b.get("/klanten/K-1/ontwikkelpunten", params={"beroep": OCC}).text
    assert f'<td><span lang="en">{english}</span> <span class="muted">' in gap
    assert f'Wat als: <span lang="en">{english}</span></label>' in gap
    assert f'<span lang="en">{english}</span>' in b.get("/klanten/K-1/beroepen").text  # the occupation cards
    assert f'<td><span lang="en">{english}</span> <span class="muted">' in b.get("/klanten/K-1/vacatures").text
    api.driver.execute_query("MATCH (o:Occupation {uri: $uri}) SET o.label_nl = null", uri=OCC, database_=api.db)
    assert '<strong><span lang="en">cook</span></strong>' in b.get(
        "/klanten/K-1/ontwikkelpunten", params={"beroep": OCC}).text  # the gap's target, named in English
    assert f'<span lang="en">{english}</span>' not in b.get("/beroepen/profiel", params={"uri": OCC, "lang": "en"}).text
    found = b.get("/occupations/profile", params={"uri": OCC}, headers={"Authorization": f"Bearer {api.tokens['coach']}"})
    langs = {r["uri"]: r["label_lang"] for r in found.json()["requirements"]}
    assert langs[SKILLS[2]] == "en" and langs[SKILLS[0]] == "nl"


def test_occupation_profile_groups_requirements_in_dutch(api):
    b = signed_in(api, "ctc_advisor")
    r = b.get("/beroepen/profiel", params={"uri": OCC})
    assert r.status_code == 200
    essential, optional = r.text.split("wenselijk (", 1)
    assert "noodzakelijk (2)" in essential and "vaardigheid onet:2.A.1.a" in essential
    assert "vaardigheid onet:1.C.1.a" in optional and "vaardigheid onet:1.C.1.a" not in essential
    assert "niet belangrijk (1 van 5)" in essential and "100 %" not in essential  # O*NET's 1-5 scale, not a share
    assert b.get("/beroepen/profiel", params={"uri": OCC + "-nope"}).status_code == 404
    # from the profile to what one of the advisor's clients lacks for it; another's client is not found
    compared = b.get("/beroepen/vergelijk", params={"uri": OCC, "klant": " K-1 "})
    assert compared.status_code == 303
    gap = b.get(compared.headers["location"])
    assert gap.status_code == 200 and "Ontwikkelpunten en wat als" in gap.text and "kok" in gap.text
    assert b.get(b.get("/beroepen/vergelijk", params={"uri": OCC, "klant": "K-2"}).headers["location"]).status_code == 404
    assert 'action="/beroepen/vergelijk"' not in signed_in(api, "employer_desk").get(
        "/beroepen/profiel", params={"uri": OCC}).text  # a desk looks up profiles, not clients


def test_a_vacancy_shows_one_fit_on_the_list_the_gap_page_and_the_what_if(api):
    def write(tx):  # K-1 moves to Groningen, ~170 km from V-1 (as a measurement would: its change logged)
        tx.run("MATCH (c:Client {key: 'K-1'}) SET c.location = point({latitude: 53.22, longitude: 6.57})").consume()
        bump_generation(tx, ["K-1"])
    with api.driver.session(database=api.db) as session:
        session.execute_write(write)

    fit = re.compile(r'<span class="fit"[^>]*><strong>([^<]+)</strong></span> <span class="muted taken-off">([^<]+)')
    b = signed_in(api, "coach")
    card = b.get("/klanten/K-1/vacatures").text.split('id="v-V-1"', 1)[1]
    listed = fit.search(card).groups()
    assert "eraf: reisafstand 30\u00a0punten" in listed[1]  # the most distance takes off
    page = b.get("/klanten/K-1/ontwikkelpunten?vacature=V-1").text
    assert fit.search(page).groups() == listed  # the gap page showed the competencies' fit alone
    frag = b.get("/klanten/K-1/wat-als", params={"vacature": "V-1", "l:onet:2.B.1.a": "100",
                                                 "o:onet:2.B.1.a": "20"}).text
    assert f"<strong>{listed[0]}</strong> →" in frag and "Plaats tussen alle kandidaten voor deze vacature: " in frag


def test_static_files_are_served_by_the_app(api):
    css = browser(api).get("/static/atlas.css")
    assert css.status_code == 200 and "http" not in css.text  # nothing from elsewhere


def test_gap_page_and_what_if_fragment(api):
    b = signed_in(api, "coach")
    r = b.get("/klanten/K-2/ontwikkelpunten?vacature=V-1")
    assert r.status_code == 404  # coach-b's client: not found, like the API
    b = signed_in(api, "coach_b")
    r = b.get("/klanten/K-2/ontwikkelpunten?vacature=V-1")
    assert r.status_code == 200, r.text
    assert 'name="l:onet:2.B.1.a"' in r.text and "ontbreekt" in r.text and "Verschuif" in r.text
    assert audit_count(api, "K-2") == 1
    moved = {"vacature": "V-1", "l:onet:2.B.1.a": "100", "o:onet:2.B.1.a": "20"}
    frag = b.get("/klanten/K-2/wat-als", params=moved)
    assert frag.status_code == 200 and "<html" not in frag.text
    before, after = re.findall(r"<strong>(\d+)\s%", frag.text)
    assert int(after) > int(before)
    assert "ontbreekt</span> → <span class=\"status st-met\">voldoet" in frag.text
    same = b.get("/klanten/K-2/wat-als", params={**moved, "l:onet:2.B.1.a": "20"})  # not moved: no what-if
    assert "Verschuif" in same.text
    # Without JavaScript the form reloads the page with the result.
    full = b.get("/klanten/K-2/ontwikkelpunten", params=moved)
    assert "<html" in full.text and 'value="100"' in full.text and " → " in full.text
    assert b.get("/klanten/K-2/ontwikkelpunten?vacature=V-404").status_code == 404
    assert "vacatures binnen 25 km" in full.text  # the reach the service counted with
    # Every slider starts on its step where its o: says, so an untouched one is never a change; an
    # unmeasured competency starts at the level it counts as now, not at 0.
    sliders = re.findall(r'name="o:([^"]+)" value="(\d+)">\s*<input id="s-\d+" type="range" min="0" max="100" '
                         r'step="5" name="l:\1"\s*value="(\d+)"', r.text)
    assert sliders and all(o == v and int(v) % 5 == 0 for _, o, v in sliders)
    gaps = {g["competency"]: g for g in api.client.get("/clients/K-2/gap", params={"vacancy_id": "V-1"},
                                                      headers=api.h("coach_b")).json()["gaps"]}
    unknown = [(c, int(v)) for c, _, v in sliders if gaps[c]["current_level"] is None]
    assert unknown and all(v == 5 * round(gaps[c]["counted_as_level"] * 20) > 0 for c, v in unknown)
    assert "telt nu als" in r.text
    # each point's place once reached, where it climbs ("rang 14 → 3"), as the API counts it
    placed = api.client.get("/clients/K-2/gap", params={"vacancy_id": "V-1", "ranks": "true"},
                            headers=api.h("coach_b")).json()["gaps"]
    climbs = [f"rang {g['rank_now']} → {g['rank_after']}" for g in placed if g["rank_after"] < g["rank_now"]]
    assert climbs and re.findall(r'<span class="rank-change"[^>]*>([^<]+)</span>', r.text) == climbs


def test_gap_page_names_where_each_level_measured_below_comes_from(api):
    # Principle 2 of the brief: evidence, not verdicts — a point measured below its level says from
    # which measurement and how old; an unmeasured one has nothing to name.
    gaps = api.client.get("/clients/K-2/gap", params={"vacancy_id": "V-1"}, headers=api.h("coach_b")).json()["gaps"]
    page = signed_in(api, "coach_b").get("/klanten/K-2/ontwikkelpunten?vacature=V-1").text
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", page, re.S)
    assert len(rows) == len(gaps) and any(g["current_level"] is not None for g in gaps)
    for g, row in zip(gaps, rows):
        evidence = re.findall(r"<td>(.*?)</td>", row, re.S)[2]  # after the competency: status, level, evidence
        assert evidence == ("ABC-meting, 12-04-2024" if g["current_level"] is not None
                            else '<span class="muted">—</span>'), (g, row)


def test_gap_for_an_occupation_is_titled_in_the_page_language(api):
    b = signed_in(api, "coach_b")
    nl = b.get("/klanten/K-2/ontwikkelpunten", params={"beroep": OCC})
    assert nl.status_code == 200 and "<strong>kok</strong>" in nl.text
    assert "<strong>cook</strong>" in b.get("/klanten/K-2/ontwikkelpunten", params={"beroep": OCC, "lang": "en"}).text


def test_occupations_for_a_client_link_to_their_gap(api):
    b = signed_in(api, "coach")
    r = b.get("/klanten/K-1/beroepen")
    assert r.status_code == 200 and "</span> kok" in r.text and "vaardigheid onet:1.C.1.a" in r.text
    assert re.search(r"\d+\s% \(\d+–\u2060\d+\s%\), \d+\s% gemeten", r.text)
    link = re.search(r'href="(/klanten/K-1/ontwikkelpunten\?beroep=[^"]+)"', r.text).group(1)
    assert b.get(link.replace("&amp;", "&")).status_code == 200
    assert [e["action"] for e in api.client.get("/admin/audit?client_key=K-1", headers=api.h("admin")).json()["items"]] \
        == ["gap", "match_occupations"]


def test_the_occupations_page_tells_missing_from_unmeasured_marks_a_wish_and_pages_on(api, monkeypatch):
    api.driver.execute_query(
        "CREATE (o2:Occupation {uri: $occ + '-2', label_nl: 'kok 2'}) WITH o2 "
        "MATCH (:Occupation {uri: $occ})-[r:REQUIRES]->(k) "
        "CREATE (o2)-[:REQUIRES {relation: r.relation, required_level: r.required_level, importance: 1.0}]->(k) "
        "WITH DISTINCT 1 AS one MATCH (c:Client {key: 'K-2'}) SET c.preferred_occupations = [$occ]",
        occ=OCC, database_=api.db)
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)  # the atlas changed: a rebuild
    monkeypatch.setattr("api.pages.routes_coach.PER_PAGE", 1)
    b = signed_in(api, "coach_b")
    first = b.get("/klanten/K-2/beroepen").text
    assert '<span class="status st-missing">Ontbreekt</span>: vaardigheid onet:2.B.1.a' in first  # K-2 measured 20 %
    assert '<span class="status st-unknown">Nog niet gemeten</span>: vaardigheid onet:1.C.1.a' in first
    assert "1–1 van 2" in first and "offset=1" in first
    wished = first if "gewenst beroep" in first else b.get("/klanten/K-2/beroepen?offset=1").text
    assert wished.count("gewenst beroep") == 1 and "</span> kok\n" in wished.replace(" kok 2", "")
    second = b.get("/klanten/K-2/beroepen?offset=1").text
    assert "2–2 van 2" in second and second.count('class="card occupation"') == 1


def test_a_coach_records_an_observation_on_the_client_page_through_the_measurement_ingest(api):
    b = signed_in(api, "coach")
    page = b.get("/klanten/K-1")
    assert 'action="/klanten/K-1/waarneming"' in page.text and "Begrijpend lezen" in page.text
    token = csrf_of(page.text)
    assert b.post("/klanten/K-1/waarneming", data={"csrf": "forged", "scale": "begrijpend_lezen",
                                                    "score": "4"}).status_code == 403
    done = b.post("/klanten/K-1/waarneming", data={"csrf": token, "scale": "begrijpend_lezen", "score": "4"})
    assert done.status_code == 303 and done.headers["location"].endswith("/klanten/K-1?waarneming=ok")
    [m] = api.driver.execute_query("MATCH (:Client {key: 'K-1'})-[:HAS_MEASUREMENT]->(m:Measurement "
                                   "{instrument: 'waarneming'}) RETURN m.administered_by AS by", database_=api.db).records
    assert m["by"] == "coach:coach-a"
    assert "De waarneming is vastgelegd." in b.get("/klanten/K-1?waarneming=ok").text
    bad = b.post("/klanten/K-1/waarneming", data={"csrf": token, "scale": "toveren", "score": "4"})
    assert bad.headers["location"].endswith("waarneming=fout")
    adv = signed_in(api, "ctc_advisor")  # read-only: no form, and a post is refused
    assert 'action="/klanten/K-1/waarneming"' not in adv.get("/klanten/K-1").text
    assert adv.post("/klanten/K-1/waarneming", data={"csrf": token, "scale": "samenwerken",
                                                     "score": "3"}).status_code == 403


def test_the_employer_desk_adds_a_vacancy_by_form_and_by_file_with_each_rows_problems_shown(api):
    desk = signed_in(api, "employer_desk")
    page = desk.get("/werkgever")
    token = csrf_of(page.text)
    assert 'action="/werkgever/vacature' in page.text and 'action="/werkgever/bestand' in page.text
    added = desk.post("/werkgever/vacature", data={
        "csrf": token, "identifier": "V-FORM-1", "title": "Magazijnmedewerker <b>nacht</b>", "employer": "Pakhuis BV",
        "postal_code": "3511", "hours_per_week": "32", "date_posted": "2026-11-01",
        "description": "Orders verzamelen en de heftruck besturen."})
    assert added.status_code == 200 and "toegevoegd: 1" in added.text
    assert "Magazijnmedewerker &lt;b&gt;nacht&lt;/b&gt;" in added.text  # shown as text, never as markup
    [v] = api.driver.execute_query("MATCH (v:Vacancy {id: 'V-FORM-1'}) RETURN v.hours_per_week AS h",
                                   database_=api.db).records
    assert v["h"] == 32
    assert "Toegevoegd, maar let op" not in added.text  # nothing to note about this one
    assert 'Kandidaten bekijken: <a href="/werkgever/vacatures/V-FORM-1">V-FORM-1</a>' in added.text
    nowhere = desk.post("/werkgever/vacature", data={"csrf": token, "identifier": "V-FORM-3", "title": "Kok",
                                                      "postal_code": "0000", "date_posted": "2026-11-01"})
    assert "toegevoegd: 1" in nowhere.text and "Toegevoegd, maar let op" in nowhere.text  # landed, with what to check
    assert ("<td>het formulier</td><td>Postcode</td><td>postcode &#39;0000&#39; niet herkend; locatie onbekend gelaten</td>"
            in nowhere.text)  # by the form's own label
    wrong = desk.post("/werkgever/vacature", data={"csrf": token, "identifier": "V-FORM-2", "title": "",
                                                    "hours_per_week": "-5"})
    assert "niet toegevoegd: 1" in wrong.text and 'value="V-FORM-2"' in wrong.text
    assert "<td>het formulier</td><td>Functie</td><td>ontbreekt</td>" in wrong.text  # Dutch, by the form's label
    assert "uren per week &#39;-5&#39; is negatief" in wrong.text
    csv_text = ("identifier;title;hours_per_week;date_posted\n"
                "V-CSV-1;Kok;36;2026-11-02\n"
                "V-CSV-2;;36;2026-11-02\n")  # as Dutch Excel writes it: `;`, one row without a title
    uploaded = desk.post("/werkgever/bestand", data={"csrf": token, "filename": "vacatures.csv", "content": csv_text})
    # the second data row is the sheet's third (the header is its first)
    assert "toegevoegd: 1" in uploaded.text and "<td>rij 3</td><td>Functie</td><td>ontbreekt</td>" in uploaded.text
    feed = json.dumps([{"identifier": "V-JSON-1", "title": "Kok"}, {"identifier": "V-JSON-2", "hoursPerWeek": 70}])
    posted = desk.post("/werkgever/bestand", data={"csrf": token, "filename": "feed.json", "content": feed})
    assert "<td>vacature 2</td><td>Functie</td><td>ontbreekt</td>" in posted.text  # not "het formulier"
    assert "moet tussen 1 en 60 liggen" in posted.text
    sheet = desk.post("/werkgever/bestand", data={"csrf": token, "filename": "vacatures.xlsx", "content": csv_text})
    assert "onbekend soort bestand &#39;.xlsx&#39;" in sheet.text and "niet toegevoegd: 1" in sheet.text  # as the CLI says
    latin1 = "identifier;title\nV-CSV-3;Caf\ufffd-medewerker\n"  # a Latin-1 "é" as the browser read it
    garbled = desk.post("/werkgever/bestand", data={"csrf": token, "filename": "oud.csv", "content": latin1})
    assert "geen UTF-8-tekst" in garbled.text and "regel 2" in garbled.text
    assert not api.driver.execute_query("MATCH (v:Vacancy {id: 'V-CSV-3'}) RETURN v", database_=api.db).records
    pasted = desk.post("/werkgever/bestand", data={"csrf": token, "filename": "",
                                                    "content": "identifier;title\nV-PASTE-1;Schilder\n"})
    assert "toegevoegd: 1" in pasted.text and "geen geldig JSON" not in pasted.text  # pasted CSV is read as CSV
    pasted = desk.post("/werkgever/bestand", data={"csrf": token, "content": '\n [{"identifier": "V-PASTE-2", "title": "Kok"}]'})
    assert "toegevoegd: 1" in pasted.text
    assert "leeg: er is niets te lezen" in desk.post("/werkgever/bestand", data={"csrf": token, "content": " \n"}).text
    assert desk.post("/werkgever/bestand", data={"csrf": "forged", "content": csv_text}).status_code == 403
    coach = signed_in(api, "coach")  # only a desk (or an admin through the API) adds vacancies
    assert coach.post("/werkgever/vacature", data={"csrf": token, "title": "x"}).status_code == 403


def test_an_employer_desk_asks_an_introduction_and_the_coach_sees_it_on_the_caseload(api):
    desk = signed_in(api, "employer_desk")
    shortlist = desk.get("/werkgever/vacatures/V-1")
    pseudonym = re.search(r'name="candidate" value="(C-[0-9a-f]+)"', shortlist.text).group(1)
    asked = desk.post("/werkgever/vacatures/V-1/kennismaking", data={"csrf": csrf_of(shortlist.text),
                                                                   "candidate": pseudonym})
    assert asked.status_code == 303 and "gevraagd=" in asked.headers["location"]
    assert "de coach van deze kandidaat ziet uw verzoek" in desk.get(asked.headers["location"]).text
    later = desk.get("/werkgever/vacatures/V-1").text  # reloaded: the request is still said, not offered again
    assert "Kennismaking gevraagd op " in later and f'name="candidate" value="{pseudonym}"' not in later
    card = next(c for c in api.client.get("/vacancies/V-1/candidates", headers=api.h("employer_desk")).json()["items"]
                if c["candidate"] == pseudonym)
    assert card["introduction_asked_at"] and not card["consented"]
    unknown = desk.post("/werkgever/vacatures/V-1/kennismaking", data={"csrf": csrf_of(shortlist.text),
                                                                     "candidate": "C-0000000000000000"})
    # not on this shortlist (any more): nothing asked, and the desk is told so on the list as it is now
    assert unknown.status_code == 303 and unknown.headers["location"] == "/werkgever/vacatures/V-1?verlopen=1"
    assert "staat niet meer op de lijst" in desk.get(unknown.headers["location"]).text
    assert desk.post("/werkgever/vacatures/V-404/kennismaking", data={"csrf": csrf_of(shortlist.text),
                                                                    "candidate": pseudonym}).status_code == 404
    rows = api.driver.execute_query("MATCH (r:IntroductionRequest) RETURN r.client_key AS k, r.requested_by AS by",
                                    database_=api.db).records
    assert len(rows) == 1 and rows[0]["by"] == "desk-1"
    key = rows[0]["k"]
    coach = signed_in(api, "coach" if key in ("K-1", "K-3") else "coach_b")
    assert f'/klanten/{key}/vacatures?vacature=V-1#v-V-1' in coach.get("/klanten").text  # on the coach's caseload
    api_call = api.client.post("/vacancies/V-1/introductions", headers=api.h("employer_desk"),
                               json={"candidate": pseudonym})
    assert api_call.status_code == 200 and api_call.json()["requested"] is True  # asking twice changes nothing
    assert len(api.driver.execute_query("MATCH (r:IntroductionRequest) RETURN r", database_=api.db).records) == 1
    assert api.client.post("/vacancies/V-1/introductions", headers=api.h("coach"),
                           json={"candidate": pseudonym}).status_code == 403
    assert "voor Kok</a>" in coach.get("/klanten").text  # the vacancy by its title, not its code
    # The coach answers: the client's consent for that vacancy closes the request on the caseload.
    page = coach.get(f"/klanten/{key}/vacatures")
    coach.post(f"/klanten/{key}/toestemming", data={"csrf": csrf_of(page.text), "vacancy_id": "V-1", "give": "1"})
    assert f'/klanten/{key}/vacatures?vacature=V-1#v-V-1' not in coach.get("/klanten").text
    assert "Kennismaking gevraagd op " not in desk.get("/werkgever/vacatures/V-1").text  # answered
    answered = api.driver.execute_query("MATCH (r:IntroductionRequest) RETURN r.status AS s, r.answer AS a",
                                        database_=api.db).records
    assert [(r["s"], r["a"]) for r in answered] == [("answered", "consent")]
    # ... and so does a decision on that vacancy (the client declined, with the reason)
    shortlist = desk.get("/werkgever/vacatures/V-2")
    other = re.search(r'name="candidate" value="(C-[0-9a-f]+)"', shortlist.text).group(1)
    desk.post("/werkgever/vacatures/V-2/kennismaking", data={"csrf": csrf_of(shortlist.text), "candidate": other})
    asked_of = api.driver.execute_query("MATCH (r:IntroductionRequest {vacancy_id: 'V-2'}) RETURN r.client_key AS k",
                                        database_=api.db).records[0]["k"]
    coach = signed_in(api, "coach" if asked_of in ("K-1", "K-3") else "coach_b")
    assert "voor Zelfstandig kok</a>" in coach.get("/klanten").text
    page = coach.get(f"/klanten/{asked_of}/vacatures")
    coach.post(f"/klanten/{asked_of}/besluit", data={"csrf": csrf_of(page.text), "target": "V-2", "choice": "override",
                                                     "reason_code": "client_preference", "reason_text": "Wil niet."})
    assert "Zelfstandig kok</a>" not in coach.get("/klanten").text
    # asked again after the answer (the client may have changed their mind): open again
    desk.post("/werkgever/vacatures/V-2/kennismaking", data={"csrf": csrf_of(shortlist.text), "candidate": other})
    assert "voor Zelfstandig kok</a>" in coach.get("/klanten").text


def test_the_vacancy_asked_about_is_on_the_page_wherever_it_ranks(api):
    coach = signed_in(api, "coach")
    outside = coach.get("/klanten/K-1/vacatures?max_km=1").text  # V-1 lies 2 km away
    assert 'id="v-V-1"' not in outside
    page = coach.get("/klanten/K-1/vacatures?max_km=1&vacature=V-1").text
    card = page[page.index('id="v-V-1"'):]
    assert "Kennismaking gevraagd" in card and 'name="vacancy_id" value="V-1"' in card  # consent can be given
    assert page.count('id="v-V-1"') == 1 and page.index('id="v-V-1"') < page.index('id="v-V-2"')  # first
    given = coach.post("/klanten/K-1/toestemming", data={"csrf": csrf_of(page), "vacancy_id": "V-1", "give": "1",
                                                         "max_km": "1", "vacature": "V-1"})
    assert given.headers["location"] == "/klanten/K-1/vacatures?max_km=1&vacature=V-1#v-V-1"
    assert "toestemming gegeven" in coach.get(given.headers["location"]).text
    ranked = coach.get("/klanten/K-1/vacatures?vacature=V-1").text  # on the page already: shown once
    assert ranked.count('id="v-V-1"') == 1 and "Kennismaking gevraagd" not in ranked


def test_sensitive_blocks_only_on_the_coachs_explicit_request(api):
    import json as _json
    from datetime import date

    from api_fixtures import _profile
    from matcher.profile import CompetencyEstimate
    from matcher.profile_repository import set_profiles
    from matcher.profile_store import encode

    api.driver.execute_query("MATCH (c:Client {key: 'K-1'}) CREATE (c)-[:HAS_MEASUREMENT]->(:Measurement "
                             "{id: 'M-S', client_key: 'K-1', instrument: 'abc', measured_at: date('2024-04-12'), "
                             "sensitive_json: $s, scale_ids: [], levels: []})",
                             s=_json.dumps({"blocks": {"cluster": "G2"}, "scores": {"stressor_dwang": {"raw": 3.0}}}),
                             database_=api.db)
    # a level from ABC ambitie, a sensitive scale: it says what the balance block says
    profile = {**_profile({"key": "K-1", "a": 0.8, "b": 0.6}),
               "onet:1.C.1.a": CompetencyEstimate("onet:1.C.1.a", 0.9, 0.7, date(2024, 4, 12), False, ("M-S",), "stable")}
    with api.driver.session(database=api.db) as session:
        session.execute_write(set_profiles, [{"key": "K-1", "props": encode(profile)}])
    coach = signed_in(api, "coach")
    plain = coach.get("/klanten/K-1").text
    assert "Toon gevoelige gegevens" in plain and "Stressor: Dwang" not in plain and "in balans" not in plain
    assert "vaardigheid onet:1.C.1.a" not in plain and "vaardigheid onet:2.A.1.a" in plain
    shown = coach.get("/klanten/K-1?gevoelig=1").text
    assert "Verberg gevoelige gegevens" in shown and "vaardigheid onet:1.C.1.a" in shown
    assert "<th scope=\"row\">Stressor: Dwang</th><td>3 (1–10)</td>" in shown  # in words, not stressor_dwang
    assert "<th scope=\"row\">Cluster</th><td>G2 - in balans, direct plaatsbaar</td>" in shown
    advisor = signed_in(api, "ctc_advisor")
    for page in (advisor.get("/klanten/K-1?gevoelig=1").text, advisor.get("/klanten/K-1").text):
        assert "Stressor" not in page and "Toon gevoelige gegevens" not in page and "onet:1.C.1.a" not in page


def test_what_a_sensitive_scale_measured_is_not_named_to_a_ctc_advisor_on_ranked_pages(api):
    # onet:1.C.1.a is what ABC ambitie (a sensitive scale) measures; kok asks it
    coach, advisor = signed_in(api, "coach"), signed_in(api, "ctc_advisor")
    for path in ("/klanten/K-1/vacatures", "/klanten/K-1/beroepen", "/klanten/K-1/ontwikkelpunten?vacature=V-1"):
        assert "onet:1.C.1.a" in coach.get(path).text, path
        shown = advisor.get(path)
        assert shown.status_code == 200 and "onet:1.C.1.a" not in shown.text, path
    api_rows = api.client.get("/clients/K-1/vacancies", headers=api.h("ctc_advisor")).json()["items"]
    assert "onet:1.C.1.a" in str(api_rows)  # the JSON API gives an advisor the full profile (api/access.py)


def test_gate_reasons_in_the_page_language_for_the_coach_only(api):
    reason = "ABC cluster G6: out of balance; intensive conversations first, no job suggestions."
    api.driver.execute_query("MATCH (c:Client {key: 'K-1'}) SET c.gate = 'not_matchable', c.gate_reasons = [$r]",
                             r=reason, database_=api.db)
    coach = signed_in(api, "coach")
    assert "ABC-cluster G6: uit balans; eerst intensieve gesprekken" in coach.get("/klanten/K-1").text
    assert reason in coach.get("/klanten/K-1?lang=en").text
    advisor = signed_in(api, "ctc_advisor").get("/klanten/K-1").text
    assert "niet plaatsbaar" in advisor and "cluster G6" not in advisor and "uit balans" not in advisor

def test_a_rejected_upload_keeps_its_text_and_hours_take_what_the_ingest_takes(api):
    desk = signed_in(api, "employer_desk")
    page = desk.get("/werkgever").text
    assert 'id="f-hours_per_week" name="hours_per_week" type="text"' in page  # "32-40" and "32,5" may be typed
    csv_text = "identifier;title;date_posted\nV-UP-1;Kok;2026-11-02\nV-UP-2;;2026-11-02\n"
    rejected = desk.post("/werkgever/bestand", data={"csrf": csrf_of(page), "filename": "v.csv", "content": csv_text})
    assert "niet toegevoegd: 1" in rejected.text and "V-UP-2;;2026-11-02\n</textarea>" in rejected.text
    assert '<details class="card" open>\n  <summary>Vacatures uit een bestand' in rejected.text
    assert 'name="filename" type="hidden" value="v.csv"' in rejected.text
    fine = desk.post("/werkgever/bestand", data={"csrf": csrf_of(page), "filename": "w.csv",
                                                 "content": "identifier;title;date_posted\nV-UP-3;Kok;2026-11-02\n"})
    assert 'rows="6"></textarea>' in fine.text  # nothing to correct: an empty form for the next file


def test_an_observation_score_as_typed_is_checked_by_the_ingest_not_turned_into_an_error_page(api):
    b = signed_in(api, "coach")
    token = csrf_of(b.get("/klanten/K-1").text)
    for typed in ("²", "vier", ""):
        r = b.post("/klanten/K-1/waarneming", data={"csrf": token, "scale": "begrijpend_lezen", "score": typed})
        assert r.status_code == 303 and r.headers["location"].endswith("waarneming=fout"), typed
    decimal = b.post("/klanten/K-1/waarneming", data={"csrf": token, "scale": "begrijpend_lezen", "score": "3,0"})
    assert decimal.headers["location"].endswith("waarneming=ok")


def test_a_client_who_is_not_matchable_is_shown_development_points_without_vacancies_they_would_open(api):
    b = signed_in(api, "coach")
    placed = b.get("/klanten/K-1/ontwikkelpunten?vacature=V-1").text
    assert "Deze klant is nu niet plaatsbaar" not in placed and '<th scope="col">Opent</th>' in placed
    page = b.get("/klanten/K-3/ontwikkelpunten?vacature=V-1")
    assert page.status_code == 200 and "Deze klant is nu niet plaatsbaar" in page.text
    assert '<th scope="col">Opent</th>' not in page.text and not re.search(r"\d vacatures? binnen [\d,]+ km", page.text)
    moved = b.get("/klanten/K-3/wat-als", params={"vacature": "V-1", f"l:{SKILLS[1]}": "100"}).text
    assert not re.search(r"\d vacatures? binnen [\d,]+ km", moved) and "Plaats tussen" not in moved
    api_gap = b.get("/clients/K-3/gap?vacancy_id=V-1", headers=api.h("coach")).json()
    assert api_gap["gate"] == "not_matchable"


def test_a_gate_from_before_gate_measured_was_kept_can_be_followed_as_the_page_offers(api):
    api.driver.execute_query("MATCH (c:Client {key: 'K-3'}) REMOVE c.gate_measured", database_=api.db)
    b = signed_in(api, "coach")
    page = b.get("/klanten/K-3")
    assert 'name="target" value="not_matchable"' in page.text  # offered: None counts as measured
    done = b.post("/klanten/K-3/besluit", data={"csrf": csrf_of(page.text), "kind": "gate", "target": "not_matchable",
                                                "choice": "follow", "reason_code": "agrees_with_advice"})
    assert done.headers["location"] == "/klanten/K-3#h-gate"


def test_a_vacancy_without_requirements_is_not_called_fully_met(api):
    api.driver.execute_query("CREATE (:Vacancy {id: 'V-EMPTY', title: 'Onbekend werk', status: 'open', "
                             "region_code: 'WR12'})", database_=api.db)  # a title the atlas did not recognise
    with api.driver.session(database=api.db) as session:
        session.execute_write(bump_generation)
    b = signed_in(api, "coach")
    page = b.get("/klanten/K-1/ontwikkelpunten?vacature=V-EMPTY")
    assert page.status_code == 200 and "Voor dit doel zijn geen eisen bekend" in page.text
    assert "aan elke eis is voldaan" not in page.text


def test_each_cards_buttons_name_what_they_decide_on(api):
    b = signed_in(api, "coach")
    page = b.get("/klanten/K-1/vacatures").text
    for title in ("Kok", "Zelfstandig kok"):  # two cards: a screen reader tells their buttons apart
        assert f'aria-label="volgen: {title}"' in page and f'aria-label="afwijken: {title}"' in page
        assert f'aria-label="Toestemming geven: {title}"' in page
    assert 'aria-label="volgen: kok"' in b.get("/klanten/K-1/beroepen").text


def test_a_refused_override_keeps_its_form_open_beside_the_error_and_the_menu_is_named_as_a_menu(api):
    b = signed_in(api, "coach")
    page = b.get("/klanten/K-1/vacatures")
    assert '<nav aria-label="Hoofdmenu">' in page.text
    refused = b.post("/klanten/K-1/besluit", data={"csrf": csrf_of(page.text), "kind": "vacancy", "target": "V-1",
                                                   "choice": "override", "reason_code": "other", "reason_text": ""})
    shown = b.get(refused.headers["location"]).text
    card = shown[shown.index('id="v-V-1"'):]
    card = card[:card.index("</article>")]
    assert 'role="alert"' in card and "<details open>" in card  # not a closed form under the error
