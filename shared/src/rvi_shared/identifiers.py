"""Chinese enterprise identifiers and HS codes, normalized and validated at the edge (DOMAIN 10).

Normalization (before storage and before every lookup): Unicode NFKC (full-width `９１３３…` and
`０３０２` become ASCII), upper case, spaces, hyphens and dots removed.

Enterprise ids (`EnterpriseId`), the kind told by the shape of the normalized value:
- 18 characters: the Unified Social Credit Code (统一社会信用代码, GB 32100-2015), validated with
  `python-stdnum` (`stdnum.cn.uscc`): eight digits (registration authority, category, division
  code), nine characters of the organization code alphabet, and the check character (mod 31);
- 10 digits: the customs registration code (海关注册编码) of a consignee or consignor.
Anything else is refused, naming the rule; a wrong check character names the expected one.

HS codes (`HsCode`): 2 to 10 digits in an even count (chapter, heading, subheading, the national
8- and 10-digit tariff lines); the 13-digit form of a customs declaration is the 10-digit code
followed by the 3-digit inspection and quarantine (CIQ) code, split by `split_declaration_code`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BeforeValidator, WithJsonSchema
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

EnterpriseIdKind = Literal["uscc", "customs_registration_code"]
_SEPARATORS = re.compile(r"[\s\-.]+")
_HS_SEPARATORS = re.compile(r"[\s\-.]+")


def normalize_identifier(value: str) -> str:
    """NFKC width folding, upper case, whitespace, hyphens and dots removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def enterprise_id_kind(normalized: str) -> EnterpriseIdKind | None:
    if len(normalized) == 18:
        return "uscc"
    if len(normalized) == 10 and normalized.isascii() and normalized.isdigit():
        return "customs_registration_code"
    return None


def parse_enterprise_id(value: object) -> str:
    """The normalized enterprise id; ValueError naming the rule (and the expected check character)."""
    if not isinstance(value, str):
        raise ValueError("an enterprise id is a string")
    return _parse_enterprise_id(value)


@lru_cache(maxsize=4096)  # the same enterprises recur; a valid id is checked once
def _parse_enterprise_id(value: str) -> str:
    if len(value) > 64:
        raise ValueError("an enterprise id is an 18-character USCC or a 10-digit customs registration code")
    number = normalize_identifier(value)
    kind = enterprise_id_kind(number)
    if kind == "customs_registration_code":
        return number
    if kind is None:
        raise ValueError(
            "an enterprise id is an 18-character Unified Social Credit Code (GB 32100) or a 10-digit "
            f"customs registration code; {value!r} is neither"
        )
    try:
        return uscc.validate(number)
    except InvalidChecksum:
        expected = uscc.calc_check_digit(number[:17])
        raise ValueError(
            f"{number} is not a valid Unified Social Credit Code: the check character is {number[17]!r}, "
            f"expected {expected!r} (GB 32100)"
        ) from None
    except ValidationError:
        raise ValueError(
            f"{number} is not a valid Unified Social Credit Code: 8 digits, then 9 characters of "
            "0-9 A-H J-N P-R T U W-Y, then the check character (GB 32100)"
        ) from None


def example_uscc(label: str, prefix: str = "91330282") -> str:
    """A valid USCC derived from `label` (for demos and tests): `prefix` (eight digits: 9 = industry
    and commerce, 1 = enterprise, 330282 = Cixi), nine digits from the label's hash, the check."""
    digits = str(int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big")).zfill(9)[-9:]
    body = prefix + digits
    return body + uscc.calc_check_digit(body)


def normalize_hs_code(value: str) -> str:
    """ASCII digits of an HS code (`０３０２.１１` -> `030211`), 2-10 digits in an even count or
    the 13-digit declaration form; ValueError naming the rule."""
    digits = _HS_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if not (digits.isascii() and digits.isdigit()) or not (
        (len(digits) % 2 == 0 and 2 <= len(digits) <= 10) or len(digits) == 13
    ):
        raise ValueError(
            f"{value!r} is not an HS code: 2, 4, 6, 8 or 10 digits (dots and spaces allowed), or the 13-digit "
            "declaration form (10-digit code + 3-digit inspection and quarantine code)"
        )
    return digits


def split_declaration_code(code: str) -> tuple[str, str | None]:
    """`0302110000101` -> (`0302110000`, `101`); a shorter code has no CIQ suffix."""
    return (code[:10], code[10:]) if len(code) == 13 else (code, None)


def _hs_code(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("an HS code is a string of digits")
    return normalize_hs_code(value)


EnterpriseId = Annotated[
    str,
    BeforeValidator(parse_enterprise_id),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 10,
            "maxLength": 64,
            "description": "Unified Social Credit Code (18 characters, GB 32100) or 10-digit customs "
            "registration code; full-width characters, lower case, spaces and hyphens are normalized",
            "examples": ["91330282MA2H1XKQ9C"],
        }
    ),
]
HsCode = Annotated[
    str,
    BeforeValidator(_hs_code),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 32,
            "description": "HS code: 2-10 digits (dots, spaces, full-width digits allowed), or the 13-digit "
            "declaration form whose last 3 digits are the inspection and quarantine code",
            "examples": ["0302.11", "0302110000", "0302110000101"],
        }
    ),
]
