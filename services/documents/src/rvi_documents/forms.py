"""The data each template is filled with, from the service's projection (pure functions).

Chinese is authoritative; English follows. Times are shown in the office's time zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rvi_documents.kinds import SPECS, Kind, office_names
from rvi_documents.rendering import Slot

STEP_KINDS = {
    "credentials_presented": ("出示执法证件", "enforcement credentials presented"),
    "identity_verified": ("核实身份证件", "identity document verified"),
    "power_of_attorney_verified": ("核实授权委托书", "power of attorney verified"),
    "location_verified": ("确认地点", "location verified"),
    "location_confirmed": ("确认地点", "location confirmed"),
    "item_checked": ("核查项目", "checklist item checked"),
    "document_checked": ("核对文件", "document checked"),
    "other": ("其他", "other"),
}
RESULTS = {
    "conforming": ("符合", "conforming"),
    "non_conforming": ("不符合", "non-conforming"),
    "not_verifiable_remotely": ("无法远程核实", "not verifiable remotely"),
}
UPLOAD_KINDS = {
    "identity_document": ("代表身份证件", "identity document of the representative"),
    "power_of_attorney": ("授权委托书", "power of attorney"),
    "business_licence": ("营业执照", "business licence"),
    "planting_records": ("种植记录", "planting records"),
    "input_records": ("农业投入品记录", "agricultural input records"),
    "other": ("其他材料", "other document"),
}
NOT_PROVIDED = "未提供 not provided"


def local_time(moment: datetime | None, timezone: str, with_seconds: bool = False) -> str:
    if moment is None:
        return "未记录 not recorded"
    local = moment.astimezone(ZoneInfo(timezone))
    offset = local.strftime("%z")
    pattern = "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    return f"{local.strftime(pattern)} (UTC{offset[:3]}:{offset[3:]})"


def span(start: datetime | None, end: datetime | None, timezone: str) -> str:
    return f"{local_time(start, timezone)} – {local_time(end, timezone)}"


def coordinates(latitude: float, longitude: float) -> str:
    return f"{abs(latitude):.5f}°{'N' if latitude >= 0 else 'S'}, {abs(longitude):.5f}°{'E' if longitude >= 0 else 'W'}"


def header(kind: Kind, customs: str, number: str, slots: Sequence[Sequence[Slot]]) -> dict[str, Any]:
    spec = SPECS[kind]
    issuer_zh, issuer_en = office_names(customs)
    return {
        "title_zh": spec.title_zh,
        "title_en": spec.title_en,
        "issuer_zh": issuer_zh,
        "issuer_en": issuer_en,
        "number": number,
        "slots": [{"label_zh": s.label_zh, "label_en": s.label_en, "wide": s.wide} for group in slots for s in group],
    }


def _officer_labels(officers: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {o["officer_id"]: f"{o['name']}（执法证号 {o['credential_no']}）" for o in officers}


def _sites(sites: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "site_id": s["site_id"],
            "name": s["name"],
            "address": s.get("address"),
            "coordinates": coordinates(s["latitude"], s["longitude"]),
            "person_in_charge": s.get("person_in_charge") or NOT_PROVIDED,
        }
        for s in sites
    ]


def _item_extra(item: Mapping[str, Any]) -> str:
    parts = [
        f"category {item['category']}" if item.get("category") else "",
        f"HS {item['commodity_code']}" if item.get("commodity_code") else "",
    ]
    return ", ".join(p for p in parts if p)


def result_counts(results: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = {key: 0 for key in RESULTS}
    for site in results:
        for item in site.get("items", []):
            counts[item["result"]] = counts.get(item["result"], 0) + 1
    return counts


def findings(results: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The non-conforming items with their finding (what a rectification notice lists)."""
    descriptions = {i["item_id"]: i["description"] for i in items}
    found = []
    for site in results:
        for item in site.get("items", []):
            if item["result"] == "non_conforming":
                finding = item.get("finding") or "未说明 not stated"
                found.append(
                    {
                        "site_id": site["site_id"],
                        "item_id": item["item_id"],
                        "description": descriptions.get(item["item_id"], item["item_id"]),
                        "finding": finding,
                        "requirement_zh": f"针对“{finding}”进行整改，并提供整改后的记录或影像。",
                        "requirement_en": f"Remedy '{finding}' and submit records or images of the remedy.",
                    }
                )
    return found


def inspection_record(
    base: dict[str, Any],
    inspection: Any,
    session: Any,
    steps: Sequence[Any],
    timezone: str,
) -> dict[str, Any]:
    team = session.officers or inspection.team or inspection.officers
    labels = _officer_labels([*inspection.officers, *(inspection.team or []), *session.officers])
    site_names = {s["site_id"]: s["name"] for s in inspection.sites}
    descriptions = {i["item_id"]: i["description"] for i in inspection.checklist_items}
    results = session.results or []
    return {
        **base,
        "enterprise_name": inspection.enterprise_name,
        "enterprise_id": inspection.enterprise_id,
        "inspection_id": inspection.id,
        "slot": span(inspection.slot_start, inspection.slot_end, timezone),
        "session_time": span(session.started_at, session.ended_at, timezone),
        "session_id": session.session_id,
        "sites": _sites(inspection.sites),
        "team": [{"name": o["name"], "credential_no": o["credential_no"]} for o in team],
        "items": [
            {"item_id": i["item_id"], "description": i["description"], "extra": _item_extra(i) or "—"}
            for i in inspection.checklist_items
        ],
        "results": [
            {
                "site_zh": f"{r['site_id']} {site_names.get(r['site_id'], '')}".strip()
                + ("（地点已核实）" if r.get("location_verified") else ""),
                "site_en": f"site {r['site_id']}" + (", location verified" if r.get("location_verified") else ""),
                "items": [
                    {
                        "item_id": i["item_id"],
                        "description": descriptions.get(i["item_id"], i["item_id"]),
                        "result_zh": RESULTS[i["result"]][0],
                        "result_en": RESULTS[i["result"]][1],
                        "finding": i.get("finding") or "—",
                    }
                    for i in r.get("items", [])
                ],
            }
            for r in results
        ],
        "steps_summary_zh": f"共收到 {len(steps)} 个关键步骤记录；会话报告 {session.steps_declared or 0} 个。",
        "steps_summary_en": f"{len(steps)} step(s) received; the session reported {session.steps_declared or 0}.",
        "steps": [
            {
                "n": n,
                "time": f"{local_time(s.started_at, timezone, True)} – {local_time(s.ended_at, timezone, True)[11:19]}",
                "kind_zh": STEP_KINDS.get(s.kind, (s.kind, s.kind))[0],
                "kind_en": STEP_KINDS.get(s.kind, (s.kind, s.kind))[1],
                "officer": labels.get(s.officer_id, s.officer_id),
                "site": f"{s.site_id} {site_names.get(s.site_id, '')}".strip() if s.site_id else "—",
                "note": s.note or "—",
                "digest": s.digest or "—",
            }
            for n, s in enumerate(steps, start=1)
        ],
        "conclusion": session.conclusion or "未记录结论。No conclusion recorded.",
        "manifest_digest": session.manifest_digest or "—",
        "manifest_timestamp": (
            f"RFC 3161 {local_time(session.manifest_timestamped_at, timezone, True)}"
            if session.manifest_timestamped_at
            else "未取得 none"
        ),
    }


def work_record(
    base: dict[str, Any], inspection: Any, session: Any, drawn_up: Sequence[dict[str, str]], timezone: str
) -> dict[str, Any]:
    team = session.officers or inspection.team or inspection.officers
    counts = result_counts(session.results or [])
    non_conforming = counts["non_conforming"] > 0
    return {
        **base,
        "enterprise_name": inspection.enterprise_name,
        "enterprise_id": inspection.enterprise_id,
        "inspection_id": inspection.id,
        "session_time": span(session.started_at, session.ended_at, timezone),
        "team_line": "、".join(f"{o['name']}（{o['credential_no']}）" for o in team),
        "work_zh": f"核查人员通过远程视频对 {len(inspection.sites)} 个地点的 {len(inspection.checklist_items)} 个项目进行了核查，"
        "出示了执法证件，核实了被核查单位代表身份及授权委托书，并记录了关键步骤。",
        "work_en": f"The officers verified {len(inspection.checklist_items)} item(s) at {len(inspection.sites)} site(s) over "
        "video, presented their credentials, verified the representative and the power of attorney, and recorded the key steps.",
        "counts": counts,
        "conclusion": session.conclusion or "未记录结论。No conclusion recorded.",
        "documents": list(drawn_up),
        "follow_up_zh": "已制发核查整改通知书，被核查单位应按期整改。"
        if non_conforming
        else "本次核查未发现不符合项，核查工作结束。",
        "follow_up_en": "A rectification notice was issued; the enterprise shall rectify by its deadline."
        if non_conforming
        else "No non-conformity was found; the verification is closed.",
    }


def rectification_notice(
    base: dict[str, Any], inspection: Any, session: Any, deadline: datetime, comment_days: int, timezone: str
) -> dict[str, Any]:
    return {
        **base,
        "enterprise_name": inspection.enterprise_name,
        "enterprise_id": inspection.enterprise_id,
        "session_date": local_time(session.ended_at, timezone)[:10],
        "findings": findings(session.results or [], inspection.checklist_items),
        "legal_basis_zh": "《中华人民共和国食品安全法》及其实施条例、《出口食品生产企业备案管理规定》、"
        "海关总署关于远程视频核查的规定（GACC-RVI 4(IV)）。",
        "legal_basis_en": "The Food Safety Law of the PRC and its implementing regulations, the provisions on the "
        "registration of export food producers, and GACC's rules on remote video verification (GACC-RVI 4(IV)).",
        "deadline": local_time(deadline, timezone)[:10],
        "comment_days": comment_days,
    }


def advance_notice(base: dict[str, Any], inspection: Any, timezone: str) -> dict[str, Any]:
    team = inspection.team or inspection.officers
    return {
        **base,
        "enterprise_name": inspection.enterprise_name,
        "enterprise_id": inspection.enterprise_id,
        "slot": span(inspection.slot_start, inspection.slot_end, timezone),
        "team": [{"name": o["name"], "credential_no": o["credential_no"]} for o in team],
        "sites": _sites(inspection.sites),
        "requirements": [
            {
                "zh": "核查前完成视频设备测试（网络、摄像头、定位）。",
                "en": "Test the video equipment (network, camera, location) before the inspection.",
            },
            {
                "zh": "通过平台提交法定代表人或受委托人身份证件、授权委托书、营业执照、种植及投入品记录。",
                "en": "Submit through the platform the representative's identity document, the power of attorney, the business licence, planting and input records.",
            },
            {
                "zh": "确认同意以远程视频方式实施核查并同意电子送达（送达地址确认书）。",
                "en": "Confirm consent to the remote video inspection and to electronic service (service address confirmation).",
            },
            {
                "zh": "核查时由法定代表人或受委托人在场，各地点负责人配合。",
                "en": "The legal representative or the authorised agent attends; the person in charge of each site cooperates.",
            },
        ],
    }


def marked_copy(
    base: dict[str, Any], inspection: Any, upload: Any, verifier: str, image_path: str | None, timezone: str
) -> dict[str, Any]:
    kind_zh, kind_en = UPLOAD_KINDS.get(upload.kind, UPLOAD_KINDS["other"])
    return {
        **base,
        "enterprise_name": inspection.enterprise_name,
        "enterprise_id": inspection.enterprise_id,
        "kind_zh": kind_zh,
        "kind_en": kind_en,
        "filename": upload.filename or upload.upload_id.hex,
        "pages": upload.pages,
        "uploaded_at": local_time(upload.uploaded_at, timezone),
        "verified_at": local_time(upload.verified_at, timezone),
        "verified_by": verifier,
        "sha256": upload.sha256,
        "method_zh": "被核查单位通过平台上传电子文件，核查人员在视频中与原件逐页核对。",
        "method_en": "Uploaded by the enterprise through the platform; checked page by page against the original shown on video.",
        "made_by": f"{inspection.enterprise_name}（上传人 uploaded by {upload.uploaded_by}）",
        "original_location": upload.original_location
        or f"{inspection.enterprise_name} 住所 (the enterprise's premises)",
        "image": image_path,
    }


def proof_of_service(
    base: dict[str, Any], inspection: Any, document: Any, delivery: Any, timezone: str
) -> dict[str, Any]:
    spec = SPECS.get(document.kind)  # type: ignore[call-overload]
    channels = {
        "electronic": ("电子送达", "electronic"),
        "mail": ("邮寄送达", "by mail"),
        "hand": ("直接送达", "by hand"),
    }
    channel_zh, channel_en = channels[delivery.channel]
    if delivery.refused_reason:
        record_zh = f"受送达人拒绝签收，理由：{delivery.refused_reason}；见证人：{delivery.witness}。"
        record_en = f"Refused; reason: {delivery.refused_reason}; witness: {delivery.witness}."
    elif delivery.channel == "mail":
        record_zh = f"挂号邮件 {delivery.tracking_number}，交寄日期 {local_time(delivery.posted_at, timezone)[:10]}。"
        record_en = (
            f"Registered mail {delivery.tracking_number}, posted {local_time(delivery.posted_at, timezone)[:10]}."
        )
    else:
        record_zh = "文书已送达受送达人确认的电子送达地址（平台）并发出通知。"
        record_en = (
            "The document reached the enterprise's confirmed electronic address (the platform) and a notice was sent."
        )
    return {
        **base,
        "document_title_zh": spec.title_zh if spec else document.kind,
        "document_title_en": spec.title_en if spec else document.kind,
        "document_number": document.number or "",
        "document_sha256": document.current_sha256 or document.sha256,
        "enterprise_name": inspection.enterprise_name,
        "enterprise_id": inspection.enterprise_id,
        "channel_zh": channel_zh,
        "channel_en": channel_en,
        "address": delivery.address or NOT_PROVIDED,
        "served_at": local_time(delivery.served_at, timezone),
        "record_zh": record_zh,
        "record_en": record_en,
    }
