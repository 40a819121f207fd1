"""Text and identifiers at the edge: what a caller may put in an id or a free-text field.

- An `Identifier` is 1 to 64 characters, each a Unicode letter or digit (category L* or N*, so
  Chinese task numbers such as `宁波海关-2026-001` are ids) or one of `-`, `_`, `.`, `:`; it starts
  with a letter or digit. Pattern, in words: `[L|N][L|N|-|_|.|:]{0,63}`.
- `Text` is any string without control characters (Unicode category Cc: U+0000–U+001F,
  U+007F–U+009F) other than tab, line feed and carriage return. PostgreSQL cannot store U+0000 in
  text or JSONB, and control characters in ids end up in headers, file names and logs.

`forbidden_character` is the check the request edge applies to every string of a JSON body, path
and query (`rvi_shared.hygiene`), so a field that declares no type of its own is covered too.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

ID_MAX_LENGTH = 64
ID_PUNCTUATION = frozenset("-_.:")
ALLOWED_CONTROLS = frozenset("\t\n\r")
# The same sets as regular expressions, scanned in C rather than a character at a time: Cc less
# the allowed controls, and an ASCII id (whose letters and digits are exactly A-Z, a-z, 0-9).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ASCII_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")


def forbidden_character(value: str) -> str | None:
    """The first control character `value` may not hold, described (`U+0000`), or None."""
    found = _FORBIDDEN.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def check_text(value: str) -> str:
    bad = forbidden_character(value)
    if bad is not None:
        raise ValueError(f"control character {bad} is not allowed in text")
    return value


def check_identifier(value: str) -> str:
    if value.isascii() and _ASCII_ID.fullmatch(value):
        return value
    for index, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category[0] in "LN" or (index > 0 and ch in ID_PUNCTUATION):
            continue
        raise ValueError(
            f"character {ch!r} (U+{ord(ch):04X}) at position {index} is not allowed in an id: "
            "letters and digits (any script), then also - _ . :"
        )
    return value


ID_DESCRIPTION = (
    "1 to 64 characters: Unicode letters and digits (e.g. 宁波海关-2026-001), and after the first also - _ . :"
)
Identifier = Annotated[
    str,
    Field(min_length=1, max_length=ID_MAX_LENGTH, description=ID_DESCRIPTION),
    AfterValidator(check_identifier),
]
Text = Annotated[str, AfterValidator(check_text)]
