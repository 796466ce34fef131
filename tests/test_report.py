"""The client report (rapportage, issue 14 item 6) through FastAPI's TestClient on the real Neo4j:
the content hash (stable for the same data, new after a measurement, decision or agreement), both
acknowledgements stored with it, "changed: needs a new acknowledgement", sensitive blocks only when
the coach includes them, the PDF, audit, and who may see it (employer desk: 404)."""
from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.pages.report_words import changed_line, develop_line, words
from api.report import (acknowledgement_state, changed_parts, content_hash, for_other_reader, options, report_content,
                        versions_seen_before)
from api_fixtures import api, audit_count  # noqa: F401  (fixture)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HASH = re.compile(r'<code class="hash">([0-9a-f]{64})</code>')
ARTICLE = re.compile(r'<article class="report".*?</article>', re.S)
PAGE = "/klanten/K-1/rapport"


def signed_in(api, who: str) -> TestClient:
    b = TestClient(api.app, raise_server_exceptions=False, follow_redirects=False)
    form = b.get("/aanmelden").text
    r = b.post("/aanmelden", data={"token": api.tokens[who], "csrf": CSRF.search(form).group(1), "next": ""})
    assert r.status_code == 303, r.text
    return b


def opened(b: TestClient, path: str = PAGE) -> tuple[str, str, str]:
    """The report page: its html, the shown hash and the form's CSRF token."""
    r = b.get(path)
    assert r.status_code == 200, r.text
    return r.text, HASH.search(r.text).group(1), CSRF.search(r.text).group(1)


def acks_in_graph(api) -> list[dict]:
    records, _, _ = api.driver.execute_query(
        "MATCH (a:Acknowledgement)-[:ACKNOWLEDGES]->(v:ReportVersion)-[:ABOUT]->(:Client {key: 'K-1'}) "
        "RETURN a.role AS role, a.by AS by, a.present AS present, a.at IS NOT NULL AS timed, v.hash AS hash, "
        "v.content_json AS content ORDER BY a.at", database_=api.db)
    return [dict(r) for r in records]


def pdf_text(body: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)


FACTS = {"key": "K-9", "measurements": [{"id": "m1", "instrument": "abc", "measured_at": "2024-04-12",
                                         "administered_by": "coach C-17",
                                         "sensitive": {"blocks": {"cluster": "G2", "stressors": {"dwang": 3}}},
                                         "sensitive_words": [("Cluster", "G2 - in balans, direct plaatsbaar"),
                                                             ("Stressoren", "dwang 3")]}],
         "instrument_names": {"abc": "ABC-meting"}, "observation_instruments": frozenset({"waarneming"}),
         "competencies": [{"uri": "c0", "label": "Samenwerken", "level": 0.82, "evidence": "measured"},
                          {"uri": "c4", "label": "Koken", "level": 0.9, "evidence": "inferred"},
                          {"uri": "c5", "label": "Psychisch welzijn", "level": 0.95, "evidence": "measured",
                           "sensitive": True}],
         "vacancies": [], "occupations": [], "decisions": {}, "reason_words": {},
         "gaps": [{"target": "Kok", "reach_km": 30.0, "gaps": [
             {"competency": "c0", "label": "Samenwerken", "essential": True, "status": "partly_met", "unlocks": 4},
             {"competency": "c1", "label": "Plannen", "essential": False, "status": "missing", "unlocks": 2},
             {"competency": "c2", "label": "Hygiëne", "essential": True, "status": "unknown", "unlocks": 0},
             {"competency": "c3", "label": "Veerkracht", "essential": False, "status": "partly_met", "unlocks": 1,
              "sensitive": True}]}],
         "availability": {"hours": 24, "radius": None, "education": "mbo", "preferences": None},
         "gate": "needs_support", "gate_reasons": ["ABC cluster G2"]}


def test_a_label_in_another_language_than_the_reports_is_marked_and_shown_as_such(api):
    """An ESCO skill without a Dutch label reads in English in a Dutch report: the content says so
    (and only then), the page marks it lang="en" for a screen reader."""
    unknown = {"competency": "c9", "label": "food hygiene", "label_lang": "en", "essential": True, "status": "unknown"}
    facts = {**FACTS, "competencies": [{**FACTS["competencies"][0], "label": "teamwork", "label_lang": "en"}],
             "gaps": [{**FACTS["gaps"][0], "gaps": [{**FACTS["gaps"][0]["gaps"][1], "label_lang": "nl"}, unknown]}]}
    content = report_content(facts, options())
    assert content["strengths"][0]["label_lang"] == "en" and "label_lang" not in content["develop"][0]
    assert content["not_measured"] == ["food hygiene"] and content["foreign_labels"] == {"food hygiene": "en"}
    assert "label_lang" not in report_content(facts, options(lang="en"))["strengths"][0]
    # the mark is not a word the client reads: a version acknowledged before it was added stays current
    unmarked = {**content, "strengths": [{k: v for k, v in s.items() if k != "label_lang"} for s in content["strengths"]],
                "foreign_labels": {}}
    assert content_hash(unmarked) == content_hash(content) and changed_parts([unmarked], content) == []
    reworded = {**content, "strengths": [{**content["strengths"][0], "label": "samenwerken"}]}
    assert content_hash(reworded) != content_hash(content) and changed_parts([reworded], content) == ["strengths"]
    api.driver.execute_query("MATCH (c:Competency) SET c.label_nl = null", database_=api.db)
    html, _, _ = opened(signed_in(api, "coach"))
    assert re.search(r'<strong><span lang="en">skill [^<]+</span></strong>', html)
    assert re.search(r'class="not-measured">[^<]+: <span lang="en">skill [^<]+</span>', html)


def test_content_is_plain_words_and_its_hash_is_canonical():
    content = report_content(FACTS, options())
    assert content["measured"] == [{"what": "ABC-meting", "date": "2024-04-12", "by": "coach C-17"}]
    assert content["strengths"] == [{"competency": "c0", "label": "Samenwerken", "word": "zeer sterk"}]  # inferred is no measured strength
    # measured below is to learn (but what is called a strength is not also to learn: the client would read
    # "zeer sterk" and "nog leren" about one thing); not measured is to measure, never a shortfall
    assert [d["label"] for d in content["develop"]] == ["Plannen"] and content["not_measured"] == ["Hygiëne"]
    w = words("nl")
    assert develop_line(content["develop"][0], w) == "Plannen (wenselijk): +2 vacatures binnen 30 km"  # the client's radius
    assert develop_line({**content["develop"][0], "opens": 1}, w) == "Plannen (wenselijk): +1 vacature binnen 30 km"
    assert develop_line({**content["develop"][0], "opens": 0}, w) == "Plannen (wenselijk)"  # no "+0"
    assert content["sensitive"] is None and "G2" not in str(content) and "dwang" not in str(content)
    assert "welzijn" not in str(content)  # a competency measured by a sensitive scale is left out too
    same = report_content({k: FACTS[k] for k in reversed(list(FACTS))}, options())
    assert content_hash(same) == content_hash(content) and len(content_hash(content)) == 64
    assert content_hash(report_content(FACTS, options("Maandag bellen."))) != content_hash(content)
    with_blocks = report_content(FACTS, options(include_sensitive=True))
    assert with_blocks["sensitive"]["blocks"][0]["items"] == ["Cluster: G2 - in balans, direct plaatsbaar",
                                                              "Stressoren: dwang 3"]
    assert content_hash(with_blocks) != content_hash(content)
    # a shortfall a sensitive scale measured says what the blocks say: only when the coach includes them
    assert "Veerkracht" not in str(content) and [d["label"] for d in with_blocks["develop"]] == ["Plannen", "Veerkracht"]
    # a CTC advisor reading that version: none of it, and a line saying something was left out
    other = for_other_reader(with_blocks)
    assert "Veerkracht" not in str(other) and "welzijn" not in str(other) and "G2" not in str(other)
    assert other["sensitive_withheld"] and [d["label"] for d in other["develop"]] == ["Plannen"]
    assert for_other_reader(content)["sensitive_withheld"] is False and for_other_reader(content)["develop"] == content["develop"]
    assert with_blocks["strengths"][0] == {"competency": "c5", "label": "Psychisch welzijn", "word": "zeer sterk",
                                           "sensitive": True}


def test_advice_with_nothing_measured_behind_it_is_not_in_the_report():
    def row(uri, coverage):
        return {"occupation": {"uri": uri, "label": uri}, "fit": 0.5, "fit_low": 0.0, "fit_high": 1.0,
                "coverage": coverage, "measured": coverage / 2}
    facts = {**FACTS, "occupations": [row("kok", 0.6), row("heftruckchauffeur", 0.0)]}
    content = report_content(facts, options())
    assert [o["title"] for o in content["occupations"]] == ["kok"]  # 50 % (0-100 %), 0 % measured: a guess
    assert (content["occupations"][0]["measured"], content["occupations"][0]["inferred"]) == (30, 30)


def test_acknowledgement_state_per_role():
    acks = [{"role": "client", "hash": "new", "at": "2", "by": "client", "present": "c"},
            {"role": "coach", "hash": "old", "at": "1", "by": "c", "present": None}]
    state = acknowledgement_state("new", acks)
    assert state["roles"]["client"]["current"] and not state["roles"]["coach"]["current"]
    assert state["changed"] and not state["complete"]
    assert acknowledgement_state("none", [])["changed"] is False


def test_what_changed_since_a_version_was_seen_is_named_and_advice_alone_is_told_apart():
    seen = report_content(FACTS, options())
    assert changed_parts([seen], seen) == []
    moved = {**seen, "vacancies": [{"title": "Kok"}], "develop": []}  # only the work around the client moved
    assert changed_parts([seen], moved) == ["vacancies", "develop"]
    w = words("nl")
    line = changed_line({"changed": True, "changed_parts": changed_parts([seen], moved)}, w)
    assert "Alleen het werk om u heen is veranderd" in line and "Veranderd:" not in line
    # The client saw the version before new agreements, the coach the one after: the client is told
    # about the agreements too, not only about what moved since the coach looked.
    agreed = {**seen, "agreements": "Iets anders."}
    parts = changed_parts([seen, agreed], {**agreed, "vacancies": [{"title": "Kok"}]})
    assert parts == ["agreements", "vacancies"]
    line = changed_line({"changed": True, "changed_parts": parts}, w)
    assert line.endswith("Veranderd: afspraken, vacatures.") and "Alleen het werk" not in line
    assert changed_parts([{**seen, "lang": "en"}], seen) == []  # another language: every sentence differs
    assert changed_line({"changed": True, "changed_parts": []}, w) == w("changed")
    state = acknowledgement_state("C", [{"role": "coach", "hash": "B", "at": "2", "by": "c", "present": None},
                                        {"role": "client", "hash": "A", "at": "1", "by": "client", "present": "c"}])
    assert versions_seen_before(state) == ["B", "A"]
    assert versions_seen_before(acknowledgement_state("B", [{"role": "coach", "hash": "B", "at": "2", "by": "c",
                                                             "present": None}])) == []


def test_report_page_in_plain_dutch_and_audited(api):
    coach = signed_in(api, "coach")
    html, digest, _ = opened(coach)
    article = ARTICLE.search(html).group(0)
    for words in ("Wat is er gemeten?", "ABC-meting op 12-04-2024", "Waar bent u goed in?", "Wat kunt u nog leren?",
                  "Nog niet gemeten, maar wel nodig voor dit werk: vaardigheid onet:1.C.1.a", "Welk werk past bij u?", "Besluit van de coach: nog geen besluit",
                  "Afspraken en volgende stappen", "nog niet gezien en besproken", digest):
        assert words in article, words
    assert re.search(r"\d+\s% \(\d+–\u2060\d+\s%\), \d+\s% gemeten", article)
    assert "http" not in article and "V-1" not in article  # no URIs, no vacancy codes
    log = api.client.get("/admin/audit?client_key=K-1", headers=api.h("admin")).json()["items"]
    assert [(e["action"], e["endpoint"]) for e in log] == [("read_report", "GET /klanten/{key}/rapport")]
    assert 'href="/klanten/K-1/rapport"' in coach.get("/klanten/K-1").text  # linked from the client page


def test_hash_is_stable_and_changes_with_a_decision_or_a_measurement(api):
    coach = signed_in(api, "coach")
    _, first, token = opened(coach)
    assert opened(coach)[1] == first  # same data, same hash
    coach.post("/klanten/K-1/besluit", data={"csrf": token, "target": "V-1", "choice": "override",
                                             "reason_code": "travel_distance", "reason_text": "Geen auto."})
    html, second, _ = opened(coach)
    assert second != first and "afwijken (reisafstand): Geen auto." in html
    api.driver.execute_query(
        "MATCH (c:Client {key: 'K-1'}) CREATE (c)-[:HAS_MEASUREMENT]->(:Measurement {id: 'M-K-1-ctc', "
        "client_key: 'K-1', instrument: 'ctc', measured_at: date('2026-10-01'), administered_by: 'CTC Utrecht', "
        "scale_ids: [], raw_scores: [], levels: [], blocks_json: '{}', sensitive_json: '{}'})", database_=api.db)
    html, third, _ = opened(coach)
    assert third not in (first, second) and "CTC op 01-10-2026, afgenomen door CTC Utrecht" in html


def test_both_acknowledgements_are_stored_with_the_hash_and_a_change_needs_new_ones(api):
    coach = signed_in(api, "coach")
    _, digest, token = opened(coach)
    for role in ("coach", "client"):
        r = coach.post(PAGE + "/gezien", data={"csrf": token, "role": role, "hash": digest})
        assert r.status_code == 303 and r.headers["location"] == PAGE + "#gezien"
    stored = acks_in_graph(api)
    assert [(a["role"], a["by"], a["present"], a["timed"], a["hash"]) for a in stored] == [
        ("coach", "coach-a", None, True, digest), ("client", "client", "coach-a", True, digest)]
    assert content_hash(__import__("json").loads(stored[0]["content"])) == digest  # the exact content version
    html, same, token = opened(coach)
    assert same == digest and html.count("gezien en besproken op") == 2 and "samen met coach coach-a" in html
    assert "hebben deze versie gezien en besproken" in html and "Dit rapport is veranderd" not in html
    log = {e["action"] for e in api.client.get("/admin/audit?client_key=K-1", headers=api.h("admin")).json()["items"]}
    assert {"acknowledge_report_coach", "acknowledge_report_client"} <= log

    # New agreements are a new version: the report says it changed and asks for new acknowledgements.
    assert coach.post(PAGE, data={"csrf": token, "agreements": "Volgende week gesprek bij de bakker.",
                                  "report_lang": "nl"}).status_code == 303
    html, changed, token = opened(coach)
    assert changed != digest and "Dit rapport is veranderd" in html and "Volgende week gesprek bij de bakker." in html
    assert "Veranderd: afspraken." in html and "gelijk gebleven" not in html  # what changed since it was seen
    assert html.count("alleen een andere versie") == 2
    # The version that was acknowledged stays readable, exactly as it was, with its acknowledgements.
    assert html.count(f'href="/klanten/K-1/rapport?versie={digest}"') == 2
    old = coach.get(PAGE, params={"versie": digest}).text
    assert HASH.search(old).group(1) == digest and "eerdere versie van het rapport" in old
    assert "bij de bakker" not in ARTICLE.search(old).group(0) and old.count("ack-current") == 2
    assert "/rapport/gezien" not in old  # nothing to sign on an old version
    assert digest in pdf_text(coach.get(PAGE + ".pdf", params={"versie": digest}).content)
    assert coach.get(PAGE, params={"versie": "0" * 64}).status_code == 404
    # An acknowledgement of the version that was on the screen before is refused, not stored.
    stale = coach.post(PAGE + "/gezien", data={"csrf": token, "role": "coach", "hash": digest})
    assert stale.headers["location"] == PAGE + "?fout=veranderd#gezien" and len(acks_in_graph(api)) == 2
    assert "net veranderd" in coach.get(PAGE + "?fout=veranderd").text
    coach.post(PAGE + "/gezien", data={"csrf": token, "role": "coach", "hash": changed})
    assert [a["hash"] for a in acks_in_graph(api)] == [digest, digest, changed]
    # Without the session's CSRF token nothing is stored.
    assert coach.post(PAGE + "/gezien", data={"csrf": "forged", "role": "client", "hash": changed}).status_code == 403
    assert len(acks_in_graph(api)) == 3


def test_a_report_act_whose_audit_entry_cannot_be_written_is_not_stored_either(api, monkeypatch):
    # A save or an acknowledgement and its entry are one transaction: before, the act was stored
    # and the entry written after it, so a failure between them left a signature nobody logged.
    from api import audit

    def versions() -> int:
        return api.driver.execute_query("MATCH (v:ReportVersion {client_key: 'K-1'}) RETURN count(v) AS n",
                                        database_=api.db).records[0]["n"]

    def entries(action: str) -> int:
        return api.driver.execute_query("MATCH (a:AuditEntry {client_key: 'K-1', action: $action}) RETURN count(a) AS n",
                                        action=action, database_=api.db).records[0]["n"]

    coach = signed_in(api, "coach")
    _, digest, token = opened(coach)
    held, acks, signed = versions(), len(acks_in_graph(api)), entries("acknowledge_report_client")

    def refused(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "act_recorded", refused)
    saved = coach.post(PAGE, data={"csrf": token, "agreements": "Een afspraak die niet mag blijven.", "report_lang": "nl"})
    seen = coach.post(PAGE + "/gezien", data={"csrf": token, "role": "client", "hash": digest})
    assert saved.status_code == 500 and seen.status_code == 500
    assert (versions(), len(acks_in_graph(api)), entries("acknowledge_report_client")) == (held, acks, signed)
    monkeypatch.undo()
    assert coach.post(PAGE + "/gezien", data={"csrf": token, "role": "client", "hash": digest}).status_code == 303
    assert (len(acks_in_graph(api)), entries("acknowledge_report_client")) == (acks + 1, signed + 1)


def test_sensitive_blocks_only_when_the_coach_includes_them(api):
    coach = signed_in(api, "coach")
    html, plain, token = opened(coach)
    pdf = pdf_text(coach.get(PAGE + ".pdf").content)
    for secret in ("g2", "dwang", "stressoren", "gevoelige gegevens", "plaatsbaarheid", "stabiliteit"):
        assert secret not in ARTICLE.search(html).group(0).lower() and secret not in pdf.lower(), secret
    coach.post(PAGE, data={"csrf": token, "agreements": "", "sensitive": "1", "report_lang": "nl"})
    html, with_blocks, _ = opened(coach)
    article = ARTICLE.search(html).group(0)
    # as the instrument names them, in the report's language: never a stored id
    assert with_blocks != plain and "Gevoelige gegevens" in article and "Cluster: G2 - in balans, direct plaatsbaar" in article
    assert "Stressoren: dwang 3" in article and "Stabiliteit: 7 (1–10)" in article
    assert "Cluster: G2 - in balans" in pdf_text(coach.get(PAGE + ".pdf").content)
    advisor = signed_in(api, "ctc_advisor")  # the blocks the coach included are the coach's only
    seen = ARTICLE.search(advisor.get(PAGE).text).group(0).lower() + pdf_text(advisor.get(PAGE + ".pdf").content).lower()
    assert "alleen de coach van de klant ziet ze" in seen
    for secret in ("g2", "dwang", "stressoren", "stabiliteit", "cluster"):
        assert secret not in seen, secret


def test_pdf_carries_the_hash_and_the_acknowledgements(api):
    coach = signed_in(api, "coach")
    _, digest, token = opened(coach)
    coach.post(PAGE + "/gezien", data={"csrf": token, "role": "coach", "hash": digest})
    r = coach.get(PAGE + ".pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(r.content))
    assert 1 <= len(reader.pages) <= 2
    text = pdf_text(r.content)
    assert digest in text and "Gezien en besproken" in text and "Wat is er gemeten?" in text
    assert "gezien en besproken op" in text and "nog niet gezien en besproken" in text  # coach yes, client not yet
    assert audit_count(api, "K-1") >= 3  # page, acknowledgement and PDF each audited


def test_who_may_see_and_sign_the_report(api):
    desk = signed_in(api, "employer_desk")
    for path in (PAGE, PAGE + ".pdf"):
        r = desk.get(path)
        assert r.status_code == 404 and "Niet gevonden" in r.text  # "not yours" looks like "does not exist"
    assert signed_in(api, "coach_b").get(PAGE).status_code == 404  # another coach's client
    assert signed_in(api, "coach").get("/klanten/K-404/rapport").status_code == 404
    assert audit_count(api, "K-1") == 0
    advisor = signed_in(api, "ctc_advisor")  # K-1 is referred to advisor-a: may read, not sign
    html, digest, token = opened(advisor)
    assert "/rapport/gezien" not in html and 'name="agreements"' not in html
    assert advisor.post(PAGE + "/gezien", data={"csrf": token, "role": "coach", "hash": digest}).status_code == 403
    assert desk.post(PAGE + "/gezien", data={"csrf": token, "role": "coach", "hash": digest}).status_code == 404
    assert acks_in_graph(api) == []
    anonymous = TestClient(api.app, follow_redirects=False).get(PAGE)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/aanmelden")


def test_not_matchable_client_and_the_report_language(api):
    coach = signed_in(api, "coach")
    html, plain, token = opened(coach, "/klanten/K-3/rapport")
    article = ARTICLE.search(html).group(0)
    assert "Er is nu geen werk om voor te stellen." in article and "niet plaatsbaar" not in article
    screen_en, same, _ = opened(coach, "/klanten/K-3/rapport?lang=en")
    assert same == plain and "For the coach" in screen_en and "Wat is er gemeten?" in screen_en  # body stays Dutch
    coach.post("/klanten/K-3/rapport", data={"csrf": CSRF.search(screen_en).group(1), "agreements": "",
                                             "report_lang": "en"})
    html, english, _ = opened(coach, "/klanten/K-3/rapport")
    assert english != plain and "What was measured?" in html and 'lang="en" aria-labelledby="rep-title"' in html
