"""Enterprise ids (USCC, GB 32100, via python-stdnum; customs registration codes) and HS codes."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from rvi_shared.events.payloads import ChecklistItem
from rvi_shared.identifiers import EnterpriseId, enterprise_id_kind, example_uscc, normalize_hs_code

USCC = "91330282MA2H1XKQ9C"


class Holder(BaseModel):
    enterprise_id: EnterpriseId


@pytest.mark.parametrize(
    "written",
    [
        USCC,
        USCC.lower(),
        "９１３３０２８２ＭＡ２Ｈ１ＸＫＱ９Ｃ",
        "91 3302 82MA 2H1X KQ9C",
        "9133-0282-MA2H-1XKQ-9C",
        " 91330282ma2h1xkq9c ",
    ],
)
def test_one_uscc_however_written(written: str) -> None:
    assert Holder(enterprise_id=written).enterprise_id == USCC
    assert enterprise_id_kind(USCC) == "uscc"


def test_customs_registration_code() -> None:
    assert Holder(enterprise_id="３１０４ 9601-23").enterprise_id == "3104960123"
    assert enterprise_id_kind("3104960123") == "customs_registration_code"


@pytest.mark.parametrize(
    ("written", "rule"),
    [
        ("91330282MA2H1XKQ90", "expected 'C'"),
        ("ENT-1", "neither"),
        ("31049601234", "neither"),
        ("9133028IMA2H1XKQ9C", "8 digits"),
        ("91330282MA2H1XKQIC", "0-9 A-H"),
        ("E" * 300, "18-character"),
    ],
)
def test_refused_naming_the_rule(written: str, rule: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Holder(enterprise_id=written)
    [error] = refused.value.errors()
    assert error["loc"] == ("enterprise_id",) and rule in error["msg"]


def test_example_uscc_is_valid_and_stable() -> None:
    assert Holder(enterprise_id=example_uscc("x")).enterprise_id == example_uscc("x") != example_uscc("y")


@pytest.mark.parametrize(
    ("written", "code", "ciq"),
    [
        ("０３０２１１００００", "0302110000", None),
        ("0302.11", "030211", None),
        ("0302 1100 00", "0302110000", None),
        ("0302110000101", "0302110000", "101"),
        ("０３０２．１１００．００ １０１", "0302110000", "101"),
        ("03", "03", None),
    ],
)
def test_hs_codes_normalized_and_the_declaration_form_split(written: str, code: str, ciq: str | None) -> None:
    item = ChecklistItem(item_id="I1", description="fish", commodity_code=written)
    assert (item.hs_code, item.ciq_code) == (code, ciq)
    assert item.commodity_code == code + (ciq or "")


@pytest.mark.parametrize("written", ["0", "030", "03021100001", "030211000010", "0302A1", "٠٣٠٢", "03021100001011"])
def test_other_hs_codes_refused(written: str) -> None:
    with pytest.raises(ValueError, match="not an HS code"):
        normalize_hs_code(written)
    with pytest.raises(ValidationError) as refused:
        ChecklistItem(item_id="I1", description="fish", commodity_code=written)
    assert refused.value.errors()[0]["loc"] == ("commodity_code",)
