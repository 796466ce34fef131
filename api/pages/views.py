"""Pure presentation for the pages: percentages, dates, evidence kinds and sources in words, the
profile chart's geometry. No I/O and no rule of the product (scores, access, gates come from
the services as they are)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape

from competency_atlas.names import name_in
from ingest.profile_builder import CERTIFICATE, WORK_HISTORY
from matcher.presenters import fit_text
from matcher.scoring import Circumstances

# Instrument ids whose "measurements" are a coach's own observation (issue 13 adds one as an
# instrument profile, so it flows through the measurement ingest).
OBSERVATION_INSTRUMENTS = frozenset({"coach_observation", "observation", "waarneming", "waarneming_coach"})
INFERRED_PREFIXES = (WORK_HISTORY, CERTIFICATE)  # sources the profile builder writes for inferred evidence
STATUSES = ("met", "partly_met", "missing", "unknown")  # a ranked row's requirements, in the order shown
KIND_ORDER = ("measured", "observed", "inferred")  # one colour per bar: the strongest kind of evidence

# Atlas competency kinds grouped into themes a client understands.
THEMES: dict[str, tuple[str, str]] = {
    "onet_work_style": ("Werkhouding", "Work style"),
    "onet_skill": ("Basisvaardigheden", "Basic skills"),
    "skill": ("Vakvaardigheden", "Job skills"),
    "skill_group": ("Vakvaardigheden", "Job skills"),
    "knowledge": ("Kennis", "Knowledge"),
    "onet_knowledge": ("Kennis", "Knowledge"),
}
OTHER_THEME = ("Overig", "Other")


def pct(x: float | None) -> int:
    return 0 if x is None else int(round(100 * float(x)))


SLIDER_STEP = 5  # per cent; the template's range inputs use the same step


def slider_start(gap: dict) -> int:
    """Where a what-if slider starts: the level measured, or for an unknown the level it counts as
    today, on the slider's own step (a browser moves a value off the step onto it, and the moved
    value would then count as a change the coach never made)."""
    level = gap["current_level"] if gap["current_level"] is not None else gap["counted_as_level"]
    return SLIDER_STEP * round(pct(level) / SLIDER_STEP)


def shown_gate(gate: str | None, measured: bool | None = None) -> str:
    """The gate as a reader is told it: "matchable" where no measurement ever carried a gate block
    is nobody's finding, shown as unknown ("nog niet bepaald"); None (a profile derived before
    this was kept) counts as measured."""
    return "unknown" if not gate or (gate == "matchable" and measured is False) else gate


# O*NET's importance scale (1-5), in its own words: "Not important" ... "Extremely important".
IMPORTANCE_WORDS = {1: ("niet belangrijk", "not important"), 2: ("enigszins belangrijk", "somewhat important"),
                    3: ("belangrijk", "important"), 4: ("zeer belangrijk", "very important"),
                    5: ("uiterst belangrijk", "extremely important")}


def importance(x: float | None, lang: str) -> str:
    """An O*NET importance (1-5) as its word with the figure: "zeer belangrijk (4,4 van 5)"; '—'
    where the source names none (ESCO)."""
    if x is None:
        return "—"
    shown = round(float(x), 1)  # the word follows the figure the reader sees, rounded half up (4,5: 5)
    word = IMPORTANCE_WORDS[min(5, max(1, int(shown + 0.5)))][0 if lang == "nl" else 1]
    return f"{word} ({number(shown, lang)} {'van' if lang == 'nl' else 'of'} 5)"


def number(x: float, lang: str) -> str:
    """32 or 32,5 (Dutch decimal comma; 32.5 in English)."""
    text = f"{float(x):g}"
    return text.replace(".", ",") if lang == "nl" else text


_FIGURE_AND_UNIT = re.compile(r"(\d) (%|punten\b|punt\b|points\b|point\b)")
_RANGE_DASH = re.compile(r"(\d)–(\d)")
WORD_JOINER = "\u2060"


def unbroken(text: str) -> str:
    """A figure and its unit never split over two lines ("10" at the end of one, "%" on the next,
    seen on a narrow desk card): a no-break space between them. Nor does a range: a browser may
    break after an en dash ("(58–" at a line end), so a word joiner follows it."""
    return _RANGE_DASH.sub("\\1–" + WORD_JOINER + "\\2", _FIGURE_AND_UNIT.sub("\\1\u00a0\\2", text))


def fit_line(row: dict, lang: str) -> str:
    """"72 % (55–85 %), 60 % gemeten, 20 % afgeleid" for a ranked row or card (the matcher's own
    presenter), each figure kept with its unit."""
    return unbroken(fit_text(row["fit"], row["fit_low"], row["fit_high"], row["measured"], lang,
                             row["coverage"] - row["measured"]))


def taken_off(row: dict, lang: str) -> str:
    """Why a vacancy's fit is lower than its competencies' fit: "Op grond van competenties 46 %;
    eraf: reisafstand 11 punten, uren 10 punten." (points of the percentage, not a share of it).
    Nothing when nothing was taken off (or for an occupation)."""
    taken = Circumstances(None, row.get("distance_penalty") or 0.0, bool(row.get("hours_short")),
                          bool(row.get("education_short"))).parts  # the matcher's own rule
    parts = [(_TAKEN_OFF[name], share) for name, share in taken.items() if pct(share) > 0]
    if not parts or row.get("competency_fit") is None:
        return ""
    i = 1 if lang == "en" else 0
    listed = ", ".join(f"{word[i]} {pct(share)} {_TAKEN_OFF['point' if pct(share) == 1 else 'points'][i]}"
                       for word, share in parts)
    return unbroken(f"{_TAKEN_OFF['lead'][i]} {pct(row['competency_fit'])} %; {_TAKEN_OFF['off'][i]}: {listed}.")


_TAKEN_OFF = {"lead": ("Op grond van competenties", "From the competencies"), "off": ("eraf", "taken off"),
              "point": ("punt", "point"), "points": ("punten", "points"), "distance": ("reisafstand", "travel distance"), "hours": ("uren", "hours"),
              "education": ("opleiding", "education")}


def _dutch_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # no tz database on the machine: times are shown in UTC
        return None


def local_time(iso: str) -> datetime | None:
    """A stored date-time (UTC) on the Dutch clock; None for text that is not one."""
    try:
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    zone = _dutch_zone()
    return t.astimezone(zone) if zone and t.tzinfo else t


_DATE = re.compile(r"\b\d{2}-\d{2}-\d{4}\b")


def dates_whole(text: str | None) -> Markup:
    """`text`, escaped, each date in it (dd-mm-jjjj, see `day`) in a span the stylesheet never
    breaks at its hyphens: a source such as "ABC-meting, 12-04-2024" in a narrow column."""
    return Markup(_DATE.sub(lambda m: f'<span class="date">{m[0]}</span>', str(escape(text or ""))))


def day(iso: str | None) -> str:
    """ISO date or date-time as dd-mm-jjjj (Dutch order in both languages: the client reads it).
    A date-time is the day on the Dutch clock: a decision at 00:30 in Amsterdam is that day's, not
    the day before (UTC's)."""
    if not iso or len(iso) < 10:
        return ""
    t = local_time(iso) if len(iso) > 10 else None
    if t is not None:
        return t.strftime("%d-%m-%Y")
    y, m, d = iso[:10].split("-")
    return f"{d}-{m}-{y}"


def source_kind(source: str, instrument_of: dict[str, str]) -> str:
    """measured | observed | inferred for one evidence source (a measurement id, `work history:
    <uri>`, or a certificate/course source)."""
    if source.startswith(INFERRED_PREFIXES):
        return "inferred"
    if instrument_of.get(source) in OBSERVATION_INSTRUMENTS:
        return "observed"
    return "measured"


def bar_kind(sources: list[str], inferred: bool, instrument_of: dict[str, str]) -> str:
    if inferred or not sources:
        return "inferred"
    kinds = {source_kind(s, instrument_of) for s in sources}
    return next(k for k in KIND_ORDER if k in kinds)


@dataclass(frozen=True)
class SourceInfo:
    """What the page knows to name a source: measurements (id -> instrument, date) and the work
    history (occupation uri -> label, years)."""
    measurements: dict[str, dict]
    instrument_names: dict[str, str]
    work: dict[str, dict]
    lang: str

    def instrument_of(self) -> dict[str, str]:
        return {mid: m.get("instrument") or "" for mid, m in self.measurements.items()}

    def describe(self, source: str) -> str:
        """'ABC-meting, 12-04-2024', 'werkervaring: kok, 6 jaar', or the certificate text."""
        en = self.lang == "en"
        if source.startswith(WORK_HISTORY):
            uri = source[len(WORK_HISTORY):]
            w = self.work.get(uri, {})
            label = name_in(w, self.lang, uri)[0]
            years = w.get("years")
            unit = "years" if en else "jaar"
            what = "work history" if en else "werkervaring"
            return f"{what}: {label}" + (f", {number(years, self.lang)} {unit}" if isinstance(years, (int, float)) else "")
        if source.startswith(CERTIFICATE):
            return source[len(CERTIFICATE):]  # "VCA basis": the certificate's own (Dutch) name
        m = self.measurements.get(source)
        if m is None:
            return source
        inst = m.get("instrument") or ""
        name = "waarneming coach" if inst in OBSERVATION_INSTRUMENTS and not en else \
            self.instrument_names.get(inst, inst.upper())
        return f"{name}, {day(m.get('measured_at'))}"


def theme_label(kind: str | None, lang: str) -> str:
    pair = THEMES.get(kind or "", OTHER_THEME)
    return pair[1 if lang == "en" else 0]


BAR_X, BAR_W, ROW_H, HEAD_H = 260, 300, 22, 28


def chart(rows: list[dict], lang: str) -> dict:
    """Geometry of the profile chart: themes in a fixed order, within each the competencies by
    label; each row {label, level, kind, title, y, width}. Height is computed, widths in px."""
    order = {label: i for i, label in enumerate(dict.fromkeys(p[1 if lang == "en" else 0]
                                                               for p in [*THEMES.values(), OTHER_THEME]))}
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(theme_label(r.get("kind"), lang), []).append(r)
    y, out = 0, []
    for theme in sorted(groups, key=lambda g: order.get(g, 99)):
        y += HEAD_H
        items = []
        for r in sorted(groups[theme], key=lambda r: r["label"].lower()):
            items.append({**r, "y": y, "width": round(BAR_W * max(0.0, min(1.0, r["level"])), 1)})
            y += ROW_H
        out.append({"theme": theme, "y": y - ROW_H * len(items) - 8, "rows": items})
    return {"themes": out, "height": y + 8, "bar_x": BAR_X, "bar_w": BAR_W, "row_h": ROW_H}
