"""The psychological part of a measurement in words, and what it reaches.

Balance, stressors, locus of control, life domains and the ABC cluster (instrument profiles,
`sensitive: true`) are shown to the client's coach only, on an explicit "toon gevoelige gegevens"
(pages principle 6). Where they are shown they are named as the instrument names them, in the
reader's language ("Stressor: Dwang 3 (1–10)", not "stressor_dwang 3"); a fired gate's reason,
stored in English, is given in the reader's language from the rule that fired.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from api.access import sensitive_competencies
from competency_atlas.instrument_profiles import InstrumentProfile, shipped_profiles


@lru_cache(maxsize=1)
def competencies() -> frozenset[str]:
    """Every competency a sensitive scale maps to (ABC stabiliteit -> psychological well-being)."""
    return sensitive_competencies(shipped_profiles().values())


@lru_cache(maxsize=2)
def _gate_words(lang: str) -> dict[str, str]:
    return {r.reason_en: (r.reason_en if lang == "en" else r.reason_nl) for p in shipped_profiles().values() for r in p.gates}


def gate_reasons(reasons: Iterable[str], lang: str) -> list[str]:
    """Fired gates' reasons (stored in English) in `lang`; a reason no rule gives stays as stored."""
    words = _gate_words(lang)
    return [words.get(r, r) for r in reasons]


def items(instrument: str | None, held: dict, lang: str) -> list[tuple[str, str]]:
    """(name, value) of one measurement's sensitive blocks, then its sensitive scales, in words."""
    profile = shipped_profiles().get(instrument or "")
    out = [(_block_name(profile, key, lang), _block_value(profile, key, value, lang))
           for key, value in sorted((held.get("blocks") or {}).items())]
    for key, score in sorted((held.get("scores") or {}).items()):
        raw = score.get("raw") if isinstance(score, dict) else score
        out.append(_scale_item(profile, key, raw, lang))
    return out


def _label(thing, lang: str) -> str:
    return thing.label_en if lang == "en" else thing.label_nl


def _block_name(profile: InstrumentProfile | None, key: str, lang: str) -> str:
    for group in ((profile.blocks or []) + (profile.themes or [])) if profile else []:
        if group.id == key:
            return _label(group, lang)
    return key.replace("_", " ")


def _block_value(profile: InstrumentProfile | None, key: str, value, lang: str) -> str:
    if isinstance(value, dict):  # scores grouped under a theme, {scale: score}
        return ", ".join(f"{name} {score}" for name, score in (_scale_item(profile, k, v, lang)
                                                                for k, v in sorted(value.items())))
    block = next((b for b in (profile.blocks or []) if b.id == key), None) if profile else None
    values = {v.id: _label(v, lang) for v in (block.values or [])} if block else {}
    if isinstance(value, list):
        return ", ".join(values.get(str(v), str(v)) for v in value)
    return values.get(str(value), str(value))


def _scale_item(profile: InstrumentProfile | None, key: str, raw, lang: str) -> tuple[str, str]:
    try:
        scale = profile.scale(key) if profile else None
    except KeyError:
        scale = None
    number = f"{raw:g}" if isinstance(raw, (int, float)) else str(raw)
    if scale is None:
        return key.replace("_", " "), number
    return _label(scale, lang), f"{number} ({scale.range.min:g}–{scale.range.max:g})"
