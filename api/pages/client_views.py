"""The coach's client and vacancy pages as view models (pure: from the adapters' data to what
the templates show)."""
from __future__ import annotations

import re

from api import sensitive
from api.decisions import AdviceKind, advice_ref
from api.pages import views
from api.pages.adapters import instrument_names
from competency_atlas.names import labelled


def source_info(measurements: list[dict], work_history: list[dict], lang: str) -> views.SourceInfo:
    return views.SourceInfo({m["id"]: m for m in measurements}, instrument_names(lang),
                            {w["uri"]: w for w in work_history}, lang)




def profile_rows(competencies: list[dict], kinds: dict[str, str | None], info: views.SourceInfo) -> list[dict]:
    instrument_of = info.instrument_of()
    rows = []
    for c in competencies:
        sources = c.get("sources") or []
        described = "; ".join(dict.fromkeys(info.describe(s) for s in sources))
        rows.append({"uri": c["uri"], **labelled(c, info.lang, c["uri"]), "level": float(c.get("level") or 0.0),
                     "kind": kinds.get(c["uri"]), "evidence": views.bar_kind(sources, bool(c.get("inferred")),
                                                                             instrument_of),
                     "sources": described, "date": views.day(c.get("as_of")), "trait": c.get("trait")})
    return rows


def client_view(data: dict, lang: str, coach: bool = False, show_sensitive: bool = False) -> dict:
    """The client page. Competencies a sensitive scale reaches (ABC stabiliteit -> psychological
    well-being) say what the psychological blocks say: in the profile only on the coach's explicit
    request, like the blocks themselves. The gate's reasons name the ABC cluster: the coach's only."""
    profile = data["profile"]
    info = source_info(data["measurements"], profile["work_history"], lang)
    hidden = frozenset() if show_sensitive else sensitive.competencies()
    rows = profile_rows([c for c in profile["competencies"] if c["uri"] not in hidden], data["kinds"], info)
    taken = {m.get("instrument") for m in data["measurements"]}
    names = instrument_names(lang)
    gate_ref = advice_ref(AdviceKind.GATE, profile.get("gate") or "unknown")  # the advice is the gate as it stands
    return {"key": profile["key"], "gate": profile.get("gate"), "gate_reasons": sensitive.gate_reasons(profile.get("gate_reasons") or [], lang) if coach else [],
            "gate_measured": profile.get("gate_measured"),
            "gate_decision": next((d for d in profile.get("decisions") or [] if d.get("advice_ref") == gate_ref), None),
            "chart": views.chart(rows, lang), "rows": sorted(rows, key=lambda r: r["label"].lower()),
            "not_measured": [names[i] for i in sorted(names) if i not in taken and i not in views.OBSERVATION_INSTRUMENTS],
            "attributes": data["availability"],
            "work": [{**labelled(w, lang, w["uri"]), "years": w.get("years")} for w in profile["work_history"]],
            "measurements": [{"name": info.describe(m["id"])} for m in data["measurements"]]}


def sensitive_rows(measurements: list[dict], lang: str) -> list[dict]:
    """Per measurement that holds them: the psychological blocks and scales (ABC balance, stressors,
    locus of control, cluster; WCM life domains) in words, for the coach's explicit view."""
    names = instrument_names(lang)
    out = []
    for m in measurements:
        items = sensitive.items(m.get("instrument"), m.get("sensitive") or {}, lang)
        if items:
            out.append({"instrument": names.get(m.get("instrument"), m.get("instrument")),
                        "date": views.day(m.get("measured_at")), "items": items})
    return out


def requirement_rows(row: dict, evidence: dict[str, dict], info: views.SourceInfo) -> list[dict]:
    """The requirements a ranked vacancy's row names (all partly met and missing ones; the met and
    unknown ones up to api/services/matching.NAMED each) with their status and, where there is
    evidence, its source and date (essential first, then by label)."""
    out = []
    for status in views.STATUSES:
        for c in row.get(status, []):
            out.append({"label": c["label"], "label_lang": c.get("label_lang"), "status": status,
                        "essential": c["essential"],
                        "evidence": "" if status == "unknown" else evidence_text(evidence.get(c["uri"]), info)})
    return sorted(out, key=lambda r: (not r["essential"], views.STATUSES.index(r["status"]), r["label"].lower()))


def evidence_text(e: dict | None, info: views.SourceInfo) -> str:
    """Where a competency's evidence comes from and how old it is: "ABC-meting, 12-04-2024;
    werkervaring: kok, 6 jaar" ("" without evidence)."""
    return "" if e is None else "; ".join(dict.fromkeys(info.describe(s) for s in e.get("sources") or []))


def gap_view(data: dict, lang: str) -> dict:
    """The gap with, per point measured below its level, where that level comes from."""
    info = source_info(data["measurements"], data["work_history"], lang)
    return {**data["gap"], "gaps": [{**g, "evidence": "" if g["current_level"] is None else
                                     evidence_text(data["evidence"].get(g["competency"]), info)}
                                    for g in data["gap"]["gaps"]]}


def place(vacancy: dict) -> str | None:
    """The vacancy's place in words; a bare CBS code (GM0344) is an internal code, not shown."""
    m = vacancy.get("municipality")
    return None if not m or re.fullmatch(r"GM\d{4}", m) else m


def vacancies_view(data: dict, lang: str) -> list[dict]:
    """The cards: a vacancy asked about that is not on this page first (`pinned`), then the ranked ones."""
    info = source_info(data["measurements"], data["work_history"], lang)
    rows = ([{**data["pinned"], "pinned": True}] if data.get("pinned") else []) + data["rows"]
    return [{**{k: r[k] for k in ("fit", "fit_low", "fit_high", "coverage", "measured")}, "pinned": r.get("pinned", False),
             "competency_fit": r.get("competency_fit"), "distance_penalty": r.get("distance_penalty"),
             "rank": r["rank"], "vacancy": r["vacancy"], "place": place(r["vacancy"]), "distance_km": r.get("distance_km"),
             "hours_short": r.get("hours_short"), "education_short": r.get("education_short"),
             "preference": r.get("preference"),
             "decision": r.get("decision"), "consented": r["vacancy"]["id"] in data["consents"],
             "requirements": requirement_rows(r, data["evidence"], info), "met_more": r.get("met_more", 0),
             "unknown_more": r.get("unknown_more", 0)}
            for r in rows]
