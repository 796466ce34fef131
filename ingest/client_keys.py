"""The one rule for a client key, used by the ingest validation, the API's path and body
parameters and the pages alike (docs/measurements.md, docs/api.md).

A key is pseudonymous and goes into URLs, file names of reports and audit entries, so it is kept
to characters that need no escaping anywhere: letters, digits, `-`, `_` and `.`, starting with a
letter or digit (no `.`/`..` path segments), at most 64 characters. Quotes, slashes, spaces,
control characters and anything outside ASCII are refused rather than cleaned, so two inputs can
never end up as the same key.
"""
from __future__ import annotations

import re

MAX_LENGTH = 64
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_KEY = re.compile(PATTERN)
RULE = "letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters"
RULE_NL = "letters, cijfers, '-', '_' en '.', beginnend met een letter of cijfer, hoogstens 64 tekens"


def is_client_key(value: object) -> bool:
    return isinstance(value, str) and _KEY.fullmatch(value) is not None
