"""The pages in a real browser: Debian's headless Chromium (/usr/bin/chromium, installed by
scripts/setup.sh) driven by Playwright for Python, against the real app served by uvicorn on a
free loopback port and the real Neo4j. Playwright rather than Selenium: one pip package, no
driver binary to match to the browser version, and auto-waiting on every step. Screenshots of
each page go to <work dir>/screenshots/ (.atlas/screenshots by default)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from api.access import Role
from api.app import create_app
from api_fixtures import NAME_1, OCC, SUBJECTS, api_settings, seed_world, served
from graph_schema.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations
    .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"""
FIT = re.compile(r"\d+\s% \(\d+–\u2060\d+\s%\), \d+\s% gemeten")
LABELS = """
MATCH (o:Occupation {uri: $occ})
CREATE (:Label {key: 'l1', text: 'kok', lang: 'nl', kind: 'preferred'})-[:LABEL_OF]->(o)
CREATE (:Label {key: 'l2', text: 'cook', lang: 'en', kind: 'preferred'})-[:LABEL_OF]->(o)
CREATE (h:Occupation {uri: $occ + '-forklift', label_en: 'forklift operator', label_nl: 'heftruckchauffeur'})
CREATE (:Label {key: 'l3', text: 'heftruckchauffeur', lang: 'nl', kind: 'preferred'})-[:LABEL_OF]->(h)
CREATE (:Label {key: 'l4', text: 'forklift operator', lang: 'en', kind: 'preferred'})-[:LABEL_OF]->(h)
"""


@pytest.fixture
def live(clean_db, settings: Settings, tmp_path):
    """The real app with the API tests' seeded world, served by uvicorn in a thread."""
    s = api_settings(settings, tmp_path, mi_min_group=2)
    seed_world(clean_db, s.neo4j_database)
    clean_db.execute_query(LABELS, occ=OCC, database_=s.neo4j_database)
    app = create_app(s)
    tokens = {label: app.state.tokens.create(subject, Role.COACH if label == "coach_b" else Role(label), label)[0]
              for label, subject in SUBJECTS.items()}
    with served(app) as url:
        yield url, tokens


@pytest.fixture(scope="module")
def chromium():
    """One browser for the module: each test opens its own pages, each page its own context (cookies)."""
    if not CHROMIUM.exists():  # fail loudly, never skip: the journeys are the point of this file
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.sh` as root or `apt-get install -y chromium`.")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


def shots_dir() -> Path:
    folder = Settings().work_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shots() -> Path:
    return shots_dir()


def look(page, shots: Path, name: str) -> None:
    """A screenshot of the page, and axe-core run inside it: no serious or critical violation.
    (Evaluated over the DevTools protocol, which the page's Content-Security-Policy does not block.)"""
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    bad = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"


def sign_in(browser, base: str, token: str, start: str, viewport=(1280, 800)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(base + start)
    assert "/aanmelden" in page.url
    look(page, shots_dir(), "sign-in")
    page.fill("#token", token)
    page.click("button:text('Aanmelden')")
    page.wait_for_url(re.compile(re.escape(base + start) + "$"))
    return page


def test_coach_finds_a_client_and_sees_fits_and_requirement_statuses(live, chromium, shots):
    base, tokens = live
    page = sign_in(chromium, base, tokens["coach"], "/klanten")
    page.fill("#q", "K-1")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=K-1"))
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1 and "plaatsbaar" in rows.first.inner_text()
    look(page, shots, "coach-caseload")

    page.click("a:text-is('K-1')")
    page.wait_for_url(base + "/klanten/K-1")
    bars = page.locator("svg.chart rect.ev-measured")
    assert bars.count() == 2  # two measured competencies, drawn in the measured colour
    assert "ABC-meting, 12-04-2024" in page.locator("table.evidence").inner_text()
    assert page.locator("svg.chart rect.ev-unknown").count() == 1  # instruments never taken: grey
    look(page, shots, "coach-client")

    # The gate is advice too: followed here, with the decision shown beside it.
    gate = page.locator("section[aria-labelledby=h-gate]")
    gate.locator("form.inline button").click()
    page.wait_for_url(re.compile(r"/klanten/K-1#h-gate$"))
    assert "volgen" in page.locator("section[aria-labelledby=h-gate] .decision").inner_text()

    page.click("a:text('Vacatures in de buurt')")
    page.wait_for_url(base + "/klanten/K-1/vacatures")
    cards = page.locator("article.vacancy")
    assert cards.count() == 2
    first = cards.first.inner_text()
    assert FIT.search(first), first
    statuses = set(page.locator("article.vacancy .status").all_inner_texts())
    assert {"voldoet", "nog niet gemeten"} <= statuses and statuses <= {"voldoet", "deels", "ontbreekt",
                                                                        "nog niet gemeten"}
    look(page, shots, "coach-vacancies")

    # Override inline with a reason; the advice shows the decision afterwards.
    v1 = page.locator("#v-V-1")
    v1.locator("summary:text('afwijken')").click()
    v1.locator("select[name=reason_code]").select_option("travel_distance")
    v1.locator("input[name=reason_text]").fill("Geen auto; de bus doet er 90 minuten over.")
    v1.locator("form.override button").click()
    page.wait_for_url(re.compile(r"/vacatures#v-V-1$"))
    decision = page.locator("#v-V-1 .decision").inner_text()
    assert "afwijken" in decision and "reisafstand" in decision and "90 minuten" in decision

    # Consent for V-1 only.
    page.locator("#v-V-1 .consent button").click()
    page.wait_for_url(re.compile(r"#v-V-1$"))
    assert "toestemming gegeven" in page.locator("#v-V-1 .consent").inner_text()
    assert "geen toestemming" in page.locator("#v-V-2 .consent").inner_text()

    # Gap and what-if: moving a slider updates the fit, rank and vacancies within a second.
    page.locator("#v-V-1 a:text('Ontwikkelpunten en wat als')").click()
    page.wait_for_url(re.compile(r"/ontwikkelpunten\?vacature=V-1$"))
    assert "nog niet gemeten" in page.locator("table.gaps").inner_text()
    started = time.monotonic()
    page.locator("input[name='l:onet:1.C.1.a']").fill("100")
    page.locator("#whatif .whatif-result").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    before, after = re.findall(r"(\d+)\s% \(", page.locator("#whatif").inner_text())
    assert int(after) > int(before)
    look(page, shots, "coach-gap-what-if")

    # An occupation overridden with a reason, on its own card.
    page.goto(base + "/klanten/K-1/beroepen")
    card = page.locator("article.occupation").first
    card.locator("summary:text('afwijken')").click()
    card.locator("select[name=reason_code]").select_option("client_preference")
    card.locator("input[name=reason_text]").fill("Wil liever buiten werken.")
    card.locator("form.override button").click()
    page.wait_for_url(re.compile(r"/beroepen#o-"))
    decision = page.locator("article.occupation .decision").first.inner_text()
    assert "afwijken" in decision and "buiten werken" in decision
    look(page, shots, "coach-occupations")
    page.close()


def test_tablet_layout_has_no_horizontal_scroll(live, chromium, shots):
    base, tokens = live
    page = sign_in(chromium, base, tokens["coach"], "/klanten/K-1/vacatures", viewport=(768, 1024))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768, width
    look(page, shots, "coach-vacancies-tablet")
    page.close()


def texts_split(pattern: str) -> str:
    """A page script: how many texts on the page match the JS regex `pattern`, and which of them
    land on more than one line."""
    return """() => {
  const found = [], split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (const m of n.data.matchAll(PATTERN)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      found.push(m[0]);
      if (new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1) split.push(m[0]);
    }
  }
  return {found: found.length, split};
}""".replace("PATTERN", pattern)


RANGES_SPLIT = texts_split(r"/\d+–\u2060?\d+\u00a0%/g")  # a fit range, "55–85 %"
DATES_SPLIT = texts_split(r"/\d{2}-\d{2}-\d{4}/g")  # a date, dd-mm-jjjj


@pytest.mark.parametrize("path", ["/klanten/K-1", "/klanten"])
def test_a_date_stays_on_one_line_at_every_tablet_and_phone_width(live, chromium, path):
    base, tokens = live
    page = sign_in(chromium, base, tokens["coach"], path, viewport=(320, 800))
    for width in range(320, 1025, 8):
        page.set_viewport_size({"width": width, "height": 800})
        seen = page.evaluate(DATES_SPLIT)
        assert seen["found"] > 0 and not seen["split"], (width, seen)
    page.close()


def test_a_fit_range_stays_on_one_line_at_every_phone_width(live, chromium):
    base, tokens = live
    page = sign_in(chromium, base, tokens["coach"], "/klanten/K-1/vacatures", viewport=(320, 800))
    for width in range(300, 481, 4):
        page.set_viewport_size({"width": width, "height": 800})
        seen = page.evaluate(RANGES_SPLIT)
        assert seen["found"] > 0 and not seen["split"], (width, seen)
    page.close()


def test_advisor_searches_as_they_type_and_opens_the_profile(live, chromium, shots):
    base, tokens = live
    page = sign_in(chromium, base, tokens["ctc_advisor"], "/beroepen")
    page.type("#occ-q", "heftruckchauffeur", delay=20)  # no Enter: the suggestions come while typing
    hit = page.locator("#occ-hits a:text('heftruckchauffeur')")
    hit.wait_for(timeout=5000)
    assert page.url == base + "/beroepen"
    look(page, shots, "advisor-search")
    page.goto(base + "/beroepen")
    page.type("#occ-q", "kok", delay=20)
    page.locator("#occ-hits a:text('kok')").click()
    page.wait_for_url(re.compile(r"/beroepen/profiel"))
    assert page.locator("h1").inner_text() == "kok"
    assert "noodzakelijk (2)" in page.locator("#h-essential").inner_text()
    assert "wenselijk (1)" in page.locator("#h-optional").inner_text()
    look(page, shots, "advisor-profile")
    page.close()


def test_employer_desk_sees_pseudonymised_cards(live, chromium, shots):
    base, tokens = live
    page = sign_in(chromium, base, tokens["employer_desk"], "/werkgever")
    page.click("a:text('Kok')")
    page.wait_for_url(base + "/werkgever/vacatures/V-1")
    cards = page.locator("article.candidate")
    assert cards.count() == 2
    text = " ".join(cards.all_inner_texts())
    assert len(re.findall(r"C-[0-9a-f]{16}", text)) == 2 and "K-1" not in text and FIT.search(text)
    assert "Mijn klanten" not in page.locator("header nav").inner_text()
    look(page, shots, "employer-shortlist")
    page.close()


def test_employer_desk_adds_a_vacancy_and_sees_an_identity_only_after_consent(live, chromium, shots):
    base, tokens = live
    desk = sign_in(chromium, base, tokens["employer_desk"], "/werkgever")
    desk.click("summary:text('Vacature toevoegen')")
    desk.fill("#f-identifier", "V-NIEUW")
    desk.fill("#f-title", "Magazijnmedewerker")
    desk.fill("#f-postal_code", "3511")
    desk.fill("#f-hours_per_week", "32")
    desk.fill("#f-description", "Orders verzamelen en met de heftruck werken.")
    desk.click("button:text('Toevoegen')")
    assert "toegevoegd: 1" in desk.locator("#resultaat").inner_text()
    assert desk.locator("a:text('Magazijnmedewerker')").count() == 1
    look(desk, shots, "employer-vacancies")
    desk.click("summary:text('Vacature toevoegen')")
    desk.fill("#f-identifier", "V-FOUT")
    desk.fill("#f-hours_per_week", "70")
    desk.click("button:text('Toevoegen')")
    problems = desk.locator("#resultaat table").inner_text()
    assert "het formulier" in problems and "Functie" in problems and "moet tussen 1 en 60 liggen" in problems
    look(desk, shots, "employer-problems")  # the refused form, its problems in Dutch
    coach = sign_in(chromium, base, tokens["coach"], "/klanten/K-1/vacatures")
    coach.locator("#v-V-1 button:text('Toestemming geven')").click()
    coach.wait_for_load_state()
    desk.goto(base + "/werkgever/vacatures/V-1")
    cards = desk.locator("article.candidate").all_inner_texts()
    named = [c for c in cards if NAME_1 in c]
    assert len(named) == 1 and len(cards) == 2  # K-1 consented for V-1: named; the other stays a pseudonym
    assert all(re.search(r"C-[0-9a-f]{16}", c) for c in cards if c not in named)
    desk.goto(base + "/werkgever/vacatures/V-2")  # consent is per vacancy: no name on another one
    assert NAME_1 not in " ".join(desk.locator("article.candidate").all_inner_texts())
    look(desk, shots, "employer-shortlist-consented")
    desk.close()
    coach.close()


def test_a_slider_moved_after_the_session_ended_asks_to_sign_in_again(live, chromium):
    # The fragment's fetch was sent on to the sign-in page; the whole sign-in page used to land
    # inside the what-if box. Now the page reloads, asks to sign in, and comes back after.
    base, tokens = live
    gap = "/klanten/K-1/ontwikkelpunten?vacature=V-1"
    page = sign_in(chromium, base, tokens["coach"], gap)
    page.context.clear_cookies()  # the session ended (signed out elsewhere, or timed out)
    page.locator("input[name='l:onet:1.C.1.a']").fill("100")
    page.wait_for_url(re.compile(r"/aanmelden"), timeout=5000)
    assert page.locator("#whatif").count() == 0  # the sign-in page itself, not a gap page with it inside
    page.fill("#token", tokens["coach"])
    page.click("button:text('Aanmelden')")
    page.wait_for_url(re.compile(re.escape(base + gap) + "$"))


def test_a_client_who_is_not_matchable_sees_development_points_without_vacancies(live, chromium, shots):
    base, tokens = live
    page = sign_in(chromium, base, tokens["coach"], "/klanten/K-3/ontwikkelpunten?vacature=V-1")
    assert "Deze klant is nu niet plaatsbaar" in page.locator("main").inner_text()
    assert page.locator("table.gaps th:text('Opent')").count() == 0
    assert "plaats tussen" not in page.locator("p.help").inner_text()  # no rank to change either
    look(page, shots, "coach-gap-not-matchable")
