"""Matches, gaps and what-ifs as plain dicts (for JSON and the API) and as terminal lines."""
from __future__ import annotations

from datetime import date

import typer

from matcher.explain import GapItem
from matcher.scoring import RequirementResult
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
            "essential": r.requirement.essential, "required_level": round(r.requirement.required_level, 3),
            "status": r.status.value, "contribution": round(r.contribution, 4), "evidence": evidence}


def score_parts(m: Match) -> dict:
    """How a ranked row's score came about: the competency score, and what distance, hours and
    education took off (the CLI and the API show the same parts)."""
    e = m.explained
    return {"score": round(m.score, 4), "competency_score": round(e.match.score, 4),
            "distance_km": None if e.distance_km is None else round(e.distance_km, 1),
            "distance_penalty": round(e.distance_penalty, 4),
            "hours_short": m.hours_short, "education_short": m.education_short}


def match_as_dict(m: Match) -> dict:
    e = m.explained
    facts = {k: (_iso(v) if hasattr(v, "to_native") else v) for k, v in m.facts.items()}
    return {
        "rank": m.rank, "subject": m.subject, **score_parts(m),
        "score_range": [round(m.score, 4), round(m.upper, 4)],
        "coverage": round(e.match.coverage, 4),
        "facts": facts,
        "requirements": [requirement_as_dict(r, m.evidence.get(r.requirement.competency)) for r in e.match.results],
    }


def gap_as_dict(g: GapItem) -> dict:
    return {"competency": g.requirement.competency, "label": g.requirement.label,
            "essential": g.requirement.essential, "status": g.status.value,
            "current_level": None if g.current_level is None else round(g.current_level, 3),
            "required_level": round(g.requirement.required_level, 3), "gain": round(g.gain, 4),
            "unlocks": g.unlocks, "trait": g.trait}


def what_if_as_dict(w: WhatIf) -> dict:
    return {"client": w.client, "competency": w.competency, "level": w.level, "vacancy": w.vacancy,
            "score_before": round(w.score_before, 4), "score_after": round(w.score_after, 4),
            "rank_before": w.rank_before, "rank_after": w.rank_after,
            "vacancies_within_reach_before": w.vacancies_before, "vacancies_within_reach_after": w.vacancies_after,
            "opens": w.opens, "radius_km": w.radius_km}


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
    typer.echo(f"{m.rank:>3}. {m.subject} {title} score {m.score:.2f} (range {m.score:.2f}-{m.upper:.2f}), "
               f"coverage {e.match.coverage:.0%}" + (f" [{', '.join(flags)}]" if flags else ""))
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
