"""What the notices say (GACC-RVI 4(I)): the slot and day plan, the days offered, what to prepare
(equipment test, documents, consent scope) and how to join."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rvi_scheduling.lifecycle import State
from rvi_scheduling.models import Inspection


def _local(value: str | datetime, zone: ZoneInfo) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(zone):%a %d %b %Y %H:%M} ({zone.key})"


def plan_lines(inspection: Inspection, zone: ZoneInfo) -> list[str]:
    names = {s.site_id: s.name for s in inspection.sites}
    return [
        f"  {_local(v['start'], zone)} - {datetime.fromisoformat(v['end']).astimezone(zone):%H:%M}  "
        f"{names.get(v['site_id'], v['site_id'])}"
        for v in inspection.day_plan or []
    ]


def notice(inspection: Inspection, zone: ZoneInfo, gateway_url: str, console_url: str) -> tuple[str, str]:
    assert inspection.slot_start is not None
    team = ", ".join(f"{o['name']} (credential {o['credential_no']})" for o in inspection.officers)
    offers = [f"  offer {o['offer_id']}: {_local(o['slot_start'], zone)}" for o in inspection.offered_slots or []]
    documents = ", ".join(inspection.required_documents or []) or "none"
    subject = f"Notice of remote video inspection {inspection.id} on {_local(inspection.slot_start, zone)}"
    body = "\n".join(
        [
            f"To {inspection.enterprise_name} ({inspection.enterprise_id}),",
            "",
            f"{inspection.customs} Customs will carry out a remote video inspection (GACC-RVI 4(I), notice "
            f"{inspection.notice_id}).",
            "",
            "Day plan (each site about 25 minutes; the gaps are for moving your camera between sites):",
            *plan_lines(inspection, zone),
            "",
            f"Inspection team: {team}.",
            "",
            "You may choose another of these days (POST /v1/inspections/{id}/slot-choice):".replace(
                "{id}", inspection.id
            ),
            *offers,
            "",
            "Before the inspection (GACC-RVI 4(II)):",
            f"  - pass an equipment test before {_local(inspection.slot_start, zone)}: "
            f"POST {gateway_url}/v1/inspections/{inspection.id}/equipment-tests and publish your camera;",
            f"  - upload these documents: {documents};",
            "  - confirm readiness: POST /v1/inspections/{id}/readiness.".replace("{id}", inspection.id),
            "",
            f"How to join: open {console_url} at the time above with your enterprise account.",
        ]
    )
    return subject, body


def assignment(inspection: Inspection, zone: ZoneInfo) -> tuple[str, str]:
    assert inspection.slot_start is not None
    subject = (
        f"Assignment: remote video inspection of {inspection.enterprise_name} on {_local(inspection.slot_start, zone)}"
    )
    body = "\n".join(
        [
            f"You are on the team of inspection {inspection.id} ({inspection.customs} Customs).",
            "Day plan:",
            *plan_lines(inspection, zone),
        ]
    )
    return subject, body


def change(inspection: Inspection, zone: ZoneInfo, what: str) -> tuple[str, str]:
    subject = f"Change to inspection {inspection.id}: {what}"
    lines = [f"Inspection {inspection.id} of {inspection.enterprise_name}: {what}."]
    if inspection.slot_start is not None and inspection.state in (State.SCHEDULED, State.READY):
        lines += [f"Slot: {_local(inspection.slot_start, zone)}", "Day plan:", *plan_lines(inspection, zone)]
    return subject, "\n".join(lines)


def reminder(inspection: Inspection, zone: ZoneInfo, missing: list[str]) -> tuple[str, str]:
    assert inspection.slot_start is not None
    subject = f"Reminder: remote video inspection {inspection.id} on {_local(inspection.slot_start, zone)}"
    lines = [
        f"Your remote video inspection is on {_local(inspection.slot_start, zone)}.",
        *plan_lines(inspection, zone),
    ]
    if missing:
        lines += ["", "Still missing (GACC-RVI 4(II)):", *(f"  - {m}" for m in missing)]
    return subject, "\n".join(lines)
