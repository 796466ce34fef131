"""The one rule for JSON values that no valid input carries, for request bodies (api/body_guard.py)
and ingest files alike.

The values that used to end in a 500 or a crash (an integer of 400 digits, NaN and Infinity, a
lone UTF-16 surrogate such as "\\ud800", nesting hundreds of levels deep, a NUL character) break
things far from where they enter: float conversion, the Neo4j driver's UTF-8 encoding, recursion.
Limits: integers within 64 bits (what Neo4j stores), finite numbers only, nesting at most
MAX_DEPTH levels, strings valid Unicode without NUL.
"""
from __future__ import annotations

import json
import math
import re

from ingest.report import Why

# A short text of one line (a title, an identifier, a name): no control characters or line and
# paragraph separators (they break logs and exports), no text-direction marks or overrides
# ("\u202e" shows what follows reversed).
NOT_ONE_LINE = "\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_NOT_ONE_LINE = re.compile(f"[{NOT_ONE_LINE}]")
MAX_DEPTH = 32  # a JobPosting or a measurement needs fewer than 10
INT_LIMIT = 2**63  # Neo4j's integers are 64-bit
TOO_DEEP = Why(f"nested more than {MAX_DEPTH} levels deep", f"meer dan {MAX_DEPTH} lagen diep genest")


class _Bad(Why):
    """What the parser saw where a value no input may carry stood: found with its place by the walk."""


def _bounded_int(text: str) -> int | _Bad:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) >= INT_LIMIT:
        return _Bad(f"the integer {text[:20]}... is too large (at most 64 bits)",
                    f"het gehele getal {text[:20]}... is te groot (hoogstens 64 bits)")
    return value


def _no_constant(name: str) -> _Bad:
    return _Bad(f"{name} is not a number JSON allows", f"{name} is geen getal dat JSON toestaat")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object: json.loads keeps the last of a key given twice, silently ({"client_key": "K-1",
    ..., "client_key": "K-2"} went to K-2); the key is marked for `first_bad_value` instead."""
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                out[key] = _Bad(f"{key!r} is given twice in one object", f"{key!r} staat twee keer in één object")
            seen.add(key)
    return out


def parse(text: str) -> object:
    """json.loads that marks too-large integers, NaN/Infinity and keys given twice for
    `first_bad_value` instead of converting them; nesting too deep for the parser is a
    JSONDecodeError, not a RecursionError."""
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, text, 0) from None


def text_problem(text: str) -> Why | None:
    if "\x00" in text:
        return Why("contains a NUL character", "bevat een NUL-teken")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Why("contains a lone surrogate (not valid Unicode)", "bevat een los surrogaatteken (geen geldige Unicode)")
    return None


def not_one_line(text: str) -> str | None:
    """The first character a one-line text may not hold, as U+XXXX, or None."""
    found = _NOT_ONE_LINE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def one_line_problem(text: str) -> Why | None:
    char = not_one_line(text)
    return None if char is None else Why(f"contains control or text-direction character {char}",
                                         f"bevat een onzichtbaar stuur- of schrijfrichtingsteken ({char})")


def escape(key: str) -> str:
    """A key as a JSON pointer segment, printable even when the key is not valid Unicode."""
    return key.replace("~", "~0").replace("/", "~1").encode("utf-8", "backslashreplace").decode()


def first_bad_value(value: object) -> tuple[str, Why] | None:
    """(JSON pointer, why) of the first value no valid input carries, or None. Iterative: the
    depth check must not itself recurse."""
    stack = [(value, "", 0)]
    while stack:
        item, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            return pointer, TOO_DEEP
        if isinstance(item, _Bad):
            return pointer, item
        if isinstance(item, float) and not math.isfinite(item):
            return pointer, Why("the number is too large (not finite)", "het getal is te groot (niet eindig)")
        if isinstance(item, str):
            if (problem := text_problem(item)) is not None:
                return pointer, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                if (problem := text_problem(key)) is not None:
                    return pointer, Why(f"a key {problem}", f"een sleutel {problem.nl}")
                stack.append((child, f"{pointer}/{escape(key)}", depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{pointer}/{i}", depth + 1) for i, child in enumerate(item))
    return None
