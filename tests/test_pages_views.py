"""Pure parts of the pages (no database): the session cookie, evidence kinds and their words,
the chart's grouping."""
from __future__ import annotations

import re
import time

from api.pages import report_words, session, views
from api.pages.adapters import short_name

KEY = b"k" * 32


def plain(text: str) -> str:
    """The words without the no-break spaces and word joiners that keep a figure with its unit
    and a range whole."""
    return text.replace("\u00a0", " ").replace(views.WORD_JOINER, "")


def test_session_cookie_round_trips_and_rejects_tampering_and_expiry():
    s = session.PageSession(token_id="abc123def456", lang="en")
    value = session.encode(KEY, s)
    back = session.decode(KEY, value)
    assert (back.token_id, back.csrf, back.lang) == ("abc123def456", s.csrf, "en")
    assert session.decode(b"x" * 32, value) is None  # another key
    payload, mac = value.rsplit(".", 1)
    assert session.decode(KEY, payload + "x." + mac) is None
    assert session.decode(KEY, value, now=time.time() + session.MAX_AGE_S + 1) is None
    assert session.decode(KEY, "garbage") is None and session.decode(KEY, None) is None


def test_csrf_check_needs_the_exact_token():
    s = session.PageSession()
    assert session.csrf_ok(s, s.csrf)
    assert not session.csrf_ok(s, "") and not session.csrf_ok(s, None) and not session.csrf_ok(s, s.csrf[:-1])


def test_evidence_kinds():
    instruments = {"m1": "abc", "m2": "waarneming"}
    assert views.source_kind("m1", instruments) == "measured"
    assert views.source_kind("m2", instruments) == "observed"
    assert views.source_kind("work history: http://x/occ", instruments) == "inferred"
    assert views.source_kind("certificate: VCA basis", instruments) == "inferred"
    # A bar takes the strongest kind among its sources; only-inferred evidence is inferred.
    assert views.bar_kind(["work history: u", "m2"], False, instruments) == "observed"
    assert views.bar_kind(["m2", "m1"], False, instruments) == "measured"
    assert views.bar_kind(["m1"], True, instruments) == "inferred"


def test_sources_in_words():
    info = views.SourceInfo({"m1": {"instrument": "abc", "measured_at": "2024-04-12"},
                             "m2": {"instrument": "waarneming", "measured_at": "2026-11-03T10:00:00"}},
                            {"abc": "ABC-meting", "waarneming": "Waarneming coach"},
                            {"u": {"label_nl": "magazijnmedewerker", "label_en": "warehouse worker", "years": 6.0}},
                            "nl")
    assert info.describe("m1") == "ABC-meting, 12-04-2024"
    assert info.describe("m2") == "waarneming coach, 03-11-2026"
    assert info.describe("work history: u") == "werkervaring: magazijnmedewerker, 6 jaar"
    assert info.describe("certificate: VCA basis") == "VCA basis"
    info.work["u"]["years"] = 6.5
    assert info.describe("work history: u") == "werkervaring: magazijnmedewerker, 6,5 jaar"  # as a Dutch reader writes it
    assert short_name("Competentie Testcentra (CTC)") == "CTC"
    assert short_name("ABC-meting (Attitude, Balans, Competenties)") == "ABC-meting"


def test_fit_line_reads_as_pages_md_says():
    row = {"fit": 0.72, "fit_low": 0.55, "fit_high": 0.85, "coverage": 0.6, "measured": 0.6}
    assert plain(views.fit_line(row, "nl")) == "72 % (55–85 %), 60 % gemeten"
    # what work history or a certificate shows is there, but not measured
    assert plain(views.fit_line({**row, "measured": 0.2}, "nl")) == "72 % (55–85 %), 20 % gemeten, 40 % afgeleid"


def test_a_figure_never_parts_from_its_unit_at_a_line_end():
    row = {"fit": 0.25, "fit_low": 0.1, "fit_high": 0.4, "coverage": 0.6, "measured": 0.2, "competency_fit": 0.46,
           "distance_penalty": 0.112, "hours_short": True, "education_short": False}
    report_row = {"fit": 25, "low": 10, "high": 40, "measured": 20, "inferred": 40}  # the report's rounded figures
    for text in (views.fit_line(row, "nl"), views.taken_off(row, "nl"), views.taken_off(row, "en"),
                 report_words.fit(report_row, "nl")):
        assert not re.search(r"\d (%|punt|point)", text), text  # a plain space there may break the line
        assert text.count("\u00a0") == len(re.findall(r"\d\s(?:%|punt|point)", text)) > 0
    for text in (views.fit_line(row, "nl"), report_words.fit(report_row, "nl")):
        assert "10–\u206040\u00a0%" in text  # a browser may break after a bare en dash


def test_importance_reads_as_onet_scale_words_not_a_percentage():
    assert views.importance(4.4, "nl") == "zeer belangrijk (4,4 van 5)"
    assert views.importance(1.0, "nl") == "niet belangrijk (1 van 5)"
    assert views.importance(5.0, "nl").startswith("uiterst belangrijk")
    assert views.importance(None, "nl") == "—"  # ESCO names no importance
    assert views.importance(4.48, "nl") == views.importance(4.52, "nl")  # one figure shown, one word
    assert views.importance(4.48, "nl") == "uiterst belangrijk (4,5 van 5)"


def test_a_vacancys_fit_says_what_distance_hours_and_education_took_off():
    row = {"fit": 0.25, "competency_fit": 0.46, "distance_penalty": 0.112, "hours_short": True, "education_short": False}
    assert plain(views.taken_off(row, "nl")) == "Op grond van competenties 46 %; eraf: reisafstand 11 punten, uren 10 punten."
    assert plain(views.taken_off({**row, "hours_short": False}, "en")) == \
        "From the competencies 46 %; taken off: travel distance 11 points."
    assert views.taken_off({**row, "distance_penalty": 0.0, "hours_short": False}, "nl") == ""  # nothing taken off
    assert plain(views.taken_off({**row, "distance_penalty": 0.008, "hours_short": False}, "nl")).endswith("reisafstand 1 punt.")
    assert views.taken_off({"fit": 0.5, "competency_fit": None}, "nl") == ""  # an occupation's row


def test_chart_groups_by_theme_in_a_fixed_order_and_scales_bars():
    rows = [{"label": "b", "level": 0.5, "kind": "knowledge"}, {"label": "a", "level": 1.0, "kind": "onet_work_style"},
            {"label": "c", "level": 1.4, "kind": None}]
    ch = views.chart(rows, "nl")
    assert [g["theme"] for g in ch["themes"]] == ["Werkhouding", "Kennis", "Overig"]
    widths = {r["label"]: r["width"] for g in ch["themes"] for r in g["rows"]}
    assert widths == {"a": views.BAR_W, "b": views.BAR_W / 2, "c": views.BAR_W}  # clipped at 100 %
    ys = [r["y"] for g in ch["themes"] for r in g["rows"]]
    assert ys == sorted(ys) and len(set(ys)) == 3 and ch["height"] > ys[-1]


def test_a_gate_nobody_measured_is_told_as_unknown_and_numbers_take_the_dutch_comma():
    assert views.shown_gate("matchable", False) == "unknown"
    assert views.shown_gate("matchable", None) == "matchable"  # derived before gate_measured was kept
    assert views.shown_gate("matchable", True) == "matchable" and views.shown_gate(None) == "unknown"
    assert views.shown_gate("needs_support", False) == "needs_support"  # a fired gate is a finding
    assert (views.number(32.5, "nl"), views.number(32.5, "en"), views.number(32.0, "nl")) == ("32,5", "32.5", "32")


def test_a_time_shows_as_the_day_on_the_dutch_clock():
    assert views.day("2026-12-01T23:30:00+00:00") == "02-12-2026"  # 00:30 in Amsterdam (winter, UTC+1)
    assert views.day("2026-07-01T22:30:00+00:00") == "02-07-2026"  # 00:30 in summer (UTC+2)
    assert views.day("2026-12-01T22:30:00+00:00") == "01-12-2026"  # 23:30 in Amsterdam: still the 1st
    assert views.day("2026-12-01") == "01-12-2026"  # a date (a measurement's) is the day as given
    assert views.day("") == "" and views.day(None) == ""


def test_templates_read_a_dicts_keys_first_and_everything_else_as_jinja_does():
    """The page environment looks `row.label` up as a key before an attribute (the views hand
    the templates dicts); what has no such key reads as Jinja reads it."""
    import jinja2

    from api.pages.web import PageEnvironment

    source = "{{ row.label }}|{{ row.items() | list | length }}|{{ row.get('x', 'none') }}|{{ obj.real }}|{{ row.absent }}"
    # a key named like a dict method (a posted form field `get`) does not hide the method
    shadowing = {"label": "Heftruck", "items": [1, 2, 3], "get": "x"}
    assert PageEnvironment().from_string(source).render(row=shadowing, obj=2) == "Heftruck|3|none|2|"
    plain = {"label": "Kok"}  # no such key: the method, as in Jinja's own order
    ours, theirs = PageEnvironment(), jinja2.Environment()
    assert ours.from_string("{{ row.label }}|{{ row.items() | list }}").render(row=plain) == \
        theirs.from_string("{{ row.label }}|{{ row.items() | list }}").render(row=plain)
    # an undefined stays undefined (Jinja renders it empty; strict undefined would still raise)
    strict = PageEnvironment(undefined=jinja2.StrictUndefined)
    try:
        strict.from_string("{{ row.absent }}").render(row=plain)
    except jinja2.UndefinedError:
        pass
    else:
        raise AssertionError("a missing key must stay undefined")


def test_dates_in_running_text_are_kept_whole_and_the_rest_escaped():
    shown = views.dates_whole("ABC-meting <b>&</b>, 12-04-2024 en 01-02-2025; 2024-04-12 is geen datum hier")
    assert shown == ('ABC-meting &lt;b&gt;&amp;&lt;/b&gt;, <span class="date">12-04-2024</span> en '
                     '<span class="date">01-02-2025</span>; 2024-04-12 is geen datum hier')
    assert views.dates_whole(None) == "" and views.dates_whole(views.day("2024-04-12")) == \
        '<span class="date">12-04-2024</span>'
