"""The `rvi.inspections` events that open a session on the gateway (requested, scheduled, ready),
as scheduling would send them; for tests and benchmarks that run the gateway alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel

from rvi_shared.events import payloads as p

TEAM = [
    p.Officer(officer_id="O1", name="Wang Li", credential_no="NB-0001"),
    p.Officer(officer_id="O2", name="Chen Jie", credential_no="NB-0002"),
]
SITES = [
    p.Site(site_id="S1", name="Zhouxiang base", latitude=30.1731, longitude=121.2698),
    p.Site(site_id="S2", name="Guanhaiwei base", latitude=30.2270, longitude=121.3921),
]
ITEMS = [
    # DOMAIN 8 (2): the inputs store and the labels are shown on camera and kept as a clip.
    p.ChecklistItem(item_id="I1", description="agricultural inputs", category="agricultural_inputs"),
    p.ChecklistItem(item_id="I2", description="crop conditions", category="crop_conditions"),
]


def session_opening_events(
    inspection_id: str,
    enterprise_id: str,
    now: datetime,
    slot_start: datetime,
    onsite_items: Sequence[str] = (),
) -> list[tuple[str, BaseModel]]:
    return [
        (
            "rvi.inspection.requested.v1",
            p.InspectionRequested(
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                enterprise_name="Cixi Fresh Food Group",
                customs="Cixi",
                sites=SITES,
                checklist_items=ITEMS,
                officers=TEAM,
                requested_at=now,
            ),
        ),
        (
            "rvi.inspection.scheduled.v1",
            p.InspectionScheduled(
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                slot_start=slot_start,
                slot_end=slot_start + timedelta(minutes=50),
                team=TEAM,
                notice_sent_at=now,
                outcome="hybrid" if onsite_items else "remote",
                onsite_items=list(onsite_items),
            ),
        ),
        (
            "rvi.inspection.ready.v1",
            p.InspectionReady(
                inspection_id=inspection_id,
                enterprise_id=enterprise_id,
                confirmed_at=now,
                equipment_test_passed=True,
                documents_submitted=True,
            ),
        ),
    ]
