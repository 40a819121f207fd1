"""The document kinds of a verification (GACC Announcement 2018 No.195; DOMAIN 7) and the order
in which each is signed: the customs seal certifies first, then the officers (in any order among
themselves), then the enterprise (its representative's signature or seal, 签章)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from rvi_documents.rendering import Slot


class Kind(StrEnum):
    INSPECTION_RECORD = "inspection_record"
    WORK_RECORD = "work_record"
    RECTIFICATION_NOTICE = "rectification_notice"
    MARKED_COPY = "marked_copy"
    ADVANCE_NOTICE = "advance_notice"
    PROOF_OF_SERVICE = "proof_of_service"


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    title_zh: str
    title_en: str
    abbreviation: str  # 机关代字 part of the document number (GB/T 9704 发文字号)
    officers_sign: bool
    enterprise_signs: bool
    gates_completion: bool  # announced with rvi.document.issued.v1: the inspection waits for it


SPECS: dict[Kind, KindSpec] = {
    s.kind: s
    for s in (
        KindSpec(Kind.INSPECTION_RECORD, "检查记录", "Inspection record", "检记", True, True, True),
        KindSpec(Kind.WORK_RECORD, "核查工作记录", "Closing work record", "核记", True, True, True),
        KindSpec(Kind.RECTIFICATION_NOTICE, "核查整改通知书", "Rectification notice", "整改", False, False, True),
        KindSpec(Kind.MARKED_COPY, "复制件核对记录", "Marked copy of a submitted document", "核对", True, True, True),
        KindSpec(
            Kind.ADVANCE_NOTICE, "远程视频核查通知书", "Advance notice of inspection", "通知", False, False, False
        ),
        KindSpec(Kind.PROOF_OF_SERVICE, "送达回证", "Proof of service", "送达", False, False, False),
    )
}

CUSTOMS_SEAL = "customs_seal"
ENTERPRISE = "enterprise"


def officer_slot(credential_no: str) -> str:
    return f"officer:{credential_no}"


@dataclass(frozen=True)
class Officer:
    name: str
    credential_no: str


def signing_order(spec: KindSpec, officers: Sequence[Officer]) -> list[list[Slot]]:
    """Groups signed one after the other; the slots of one group in any order."""
    groups: list[list[Slot]] = [[Slot(CUSTOMS_SEAL, "海关印章", "customs seal")]]
    if spec.officers_sign:
        groups.append(
            [
                Slot(officer_slot(o.credential_no), f"执法人员 {o.name}", f"officer, credential {o.credential_no}")
                for o in officers
            ]
        )
    if spec.enterprise_signs:
        groups.append(
            [Slot(ENTERPRISE, "被检查单位代表签章", "enterprise representative: signature or seal", wide=True)]
        )
    return [g for g in groups if g]


def next_expected(order: Sequence[Sequence[Slot]], signed: set[str]) -> list[Slot]:
    """The slots that may sign now (empty when every slot has signed)."""
    for group in order:
        waiting = [slot for slot in group if slot.key not in signed]
        if waiting:
            return waiting
    return []


def slots_from_json(order: Sequence[Sequence[dict[str, object]]]) -> list[list[Slot]]:
    return [
        [Slot(str(s["key"]), str(s["label_zh"]), str(s["label_en"]), bool(s.get("wide"))) for s in g] for g in order
    ]


def slots_to_json(order: Sequence[Sequence[Slot]]) -> list[list[dict[str, object]]]:
    return [[{"key": s.key, "label_zh": s.label_zh, "label_en": s.label_en, "wide": s.wide} for s in g] for g in order]


OFFICES_ZH = {
    "Ningbo": "宁波海关",
    "Cixi": "慈溪海关",
    "Beilun": "北仑海关",
    "Yuyao": "余姚海关",
    "Zhenhai": "镇海海关",
    "Meishan": "梅山海关",
    "Hangzhou": "杭州海关",
    "Shanghai": "上海海关",
    "Harbin": "哈尔滨海关",
}


def office_names(customs: str) -> tuple[str, str]:
    """(Chinese, English) name of a customs office named in the request (DOMAIN 10)."""
    if customs.endswith("海关"):
        return customs, customs
    return OFFICES_ZH.get(customs, f"{customs}海关"), f"{customs} Customs"
