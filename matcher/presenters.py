"""Matches, gaps and what-ifs as plain dicts (for JSON and the API) and as terminal lines."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from matcher.explain import GapItem
from matcher.scoring import Circumstances, MatchScore, RequirementResult, level_counted_as

if TYPE_CHECKING:  # the service (the index, numba) loads only for the commands that rank
    from matcher.service import Match, WhatIf


def _iso(value) -> str | None:
    if value is None:
        return None
    value = value.to_native() if hasattr(value, "to_native") else value
    return value.isoformat() if isinstance(value, date) else str(value)


def requirement_as_dict(r: RequirementResult, provenance: dict | None) -> dict:
    evidence = None
    if r.evidence is not None:
        p = provenance or {}
        evidence = {"level": round(r.evidence.level, 3), "confidence": round(r.evidence.confidence, 3),
                    "sources": p.get("sources") or [], "as_of": _iso(p.get("as_of")),
                    "inferred": bool(p.get("inferred", False))}
    return {"competency": r.requirement.competency, "label": r.requirement.label,
            "label_lang": r.requirement.label_lang, "essential": r.requirement.essential, "required_level": round(r.requirement.required_level, 3),
            "status": r.status.value, "contribution": round(r.contribution, 4), "evidence": evidence}


def fit_parts(m: MatchScore, penalty: float = 0.0) -> dict:
    """Expected fit, its range and the measured share, after `penalty`: the four numbers every
    ranked row, gap and what-if carries."""
    return {"fit": round(max(0.0, m.fit - penalty), 4), "fit_low": round(max(0.0, m.fit_low - penalty), 4),
            "fit_high": round(max(0.0, m.fit_high - penalty), 4), "coverage": round(m.coverage, 4),
            "measured": round(m.measured, 4)}


_MEASURED = {"nl": ("gemeten", "afgeleid"), "en": ("measured", "inferred")}


def fit_text(fit: float, low: float, high: float, measured: float, lang: str = "nl", inferred: float = 0.0) -> str:
    """How a person reads a fit: "72 % (55–85 %), 60 % gemeten", and ", 20 % afgeleid" when some of
    the evidence was inferred from work history or certificates rather than measured."""
    pct = lambda x: f"{round(100 * x):d}"  # noqa: E731
    words = _MEASURED.get(lang, _MEASURED["en"])
    text = f"{pct(fit)} % ({pct(low)}–{pct(high)} %), {pct(measured)} % {words[0]}"
    return text + (f", {pct(inferred)} % {words[1]}" if round(100 * inferred) > 0 else "")


def score_parts(m: Match) -> dict:
    """How a ranked row's fit came about: the fit from the competencies alone, and what distance,
    hours and education took off (the CLI and the API show the same parts)."""
    e = m.explained
    pair = Circumstances(e.distance_km, e.distance_penalty, m.hours_short, m.education_short)
    return {**penalised_parts(e.match, pair), "preference": m.preference}


def penalised_parts(score: MatchScore, pair: Circumstances) -> dict:
    """The fit after what a vacancy's distance, hours and education take off, with the fit from
    the competencies alone and each thing taken off: a ranked row, a gap and a what-if alike."""
    return {**fit_parts(score, pair.penalty), "competency_fit": round(score.fit, 4),
            "distance_km": None if pair.distance_km is None else round(pair.distance_km, 1),
            "distance_penalty": round(pair.distance_penalty, 4),
            "hours_short": pair.hours_short, "education_short": pair.education_short}


def match_as_dict(m: Match) -> dict:
    facts = {k: (_iso(v) if hasattr(v, "to_native") else v) for k, v in m.facts.items()}
    return {
        "rank": m.rank, "subject": m.subject, **score_parts(m),
        "facts": facts,
        "requirements": [requirement_as_dict(r, m.evidence.get(r.requirement.competency))
                         for r in m.explained.match.results],
    }


def gap_as_dict(g: GapItem) -> dict:
    return {"competency": g.requirement.competency, "label": g.requirement.label,
            "label_lang": g.requirement.label_lang, "essential": g.requirement.essential, "status": g.status.value,
            "current_level": None if g.current_level is None else round(g.current_level, 3),
            # what an unknown counts as in the fit today (matcher/scoring.py's prior)
            "counted_as_level": None if g.current_level is not None else round(
                level_counted_as(g.requirement.required_level, g.requirement.prior), 3),
            "required_level": round(g.requirement.required_level, 3), "gain": round(g.gain, 4),
            "unlocks": g.unlocks, "trait": g.trait,
            **({"rank_now": g.rank_now, "rank_after": g.rank_after} if g.rank_now is not None else {})}


def what_if_as_dict(w: WhatIf) -> dict:
    changed = [{"competency": b.requirement.competency, "label": b.requirement.label,
                "label_lang": b.requirement.label_lang, "before": b.status.value,
                "after": a.status.value} for b, a in zip(w.before.results, w.after.results) if b.status != a.status]
    return {"client": w.client, "target": {"kind": w.target_kind, "id": w.target},
            "changes": [{"competency": c, "level": lv} for c, lv in w.changes],
            "before": penalised_parts(w.before, w.circumstances), "after": penalised_parts(w.after, w.circumstances),
            "changed": changed,
            "rank_before": w.rank_before, "rank_after": w.rank_after,
            "vacancies_within_reach_before": w.vacancies_before, "vacancies_within_reach_after": w.vacancies_after,
            "opens": w.opens, "radius_km": w.radius_km,
            "note": "Hypothetical: nothing is stored, no measurement changes."}


def print_match(m: Match) -> None:
    e = m.explained
    title = m.facts.get("title") or m.facts.get("label") or ""
    flags = []
    if m.facts.get("gate") == "needs_support":
        flags.append("needs support")
    if e.distance_km is not None:
        flags.append(f"{e.distance_km:.0f} km")
    if m.hours_short:
        flags.append("fewer hours available than asked")
    if m.education_short:
        flags.append("education below what is asked")
    typer.echo(f"{m.rank:>3}. {m.subject} {title} fit "
               f"{fit_text(m.fit, m.fit_low, m.fit_high, e.match.measured, 'en', e.match.coverage - e.match.measured)}"
               + (f" [{', '.join(flags)}]" if flags else ""))
    for r in e.match.results:
        kind = "essential" if r.requirement.essential else "optional "
        if r.evidence is None:
            where = "no evidence"
        else:
            p = m.evidence.get(r.requirement.competency, {})
            src = ", ".join(p.get("sources") or []) or "profile"
            where = f"level {r.evidence.level:.2f} vs {r.requirement.required_level:.2f} ({src}"
            where += f", {_iso(p.get('as_of'))})" if p.get("as_of") else ")"
            if p.get("inferred"):
                where += " inferred from work history"
        typer.echo(f"       {r.status.value:<10} {kind} {r.requirement.label[:38]:<38} {where}")
