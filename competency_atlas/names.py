"""A concept's name in the language a person reads: the one rule for every list, page and report.

The atlas has a Dutch and an English label for most concepts, but no Dutch label yet for many ESCO
skills (the reference data has none: docs/atlas.md). A Dutch reader then gets the English label,
and the page marks it as English (`lang="en"`), so a screen reader pronounces it as English.
"""
from __future__ import annotations

from collections.abc import Mapping


def name_in(names: Mapping, lang: str | None, fallback: str | None) -> tuple[str | None, str | None]:
    """(label, the language it is in) from `names`' `label_nl` / `label_en`: the asked language's
    (English when none is asked, as the atlas' own language), else the other one, else `fallback`
    (language None)."""
    order = ("nl", "en") if lang == "nl" else ("en", "nl")
    for code in order:
        label = names.get(f"label_{code}")
        if label:
            return label, code
    return fallback, None


def labelled(names: Mapping, lang: str | None, fallback: str | None) -> dict:
    """`name_in` as the two fields a row carries: {"label": ..., "label_lang": ...}."""
    label, label_lang = name_in(names, lang, fallback)
    return {"label": label, "label_lang": label_lang}
