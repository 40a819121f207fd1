"""The Cixi case (DOMAIN.md): one food-group enterprise, five planting sites in different
towns, six checklist tasks, walked through all four services over their public APIs."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from rvi_shared.auth import Role, mint_token
from rvi_shared.clock import FileOffsetClock

TEAM = [
    {"officer_id": "O-NB-0001", "name": "Wang Li", "credential_no": "NB-0001"},
    {"officer_id": "O-NB-0002", "name": "Chen Jie", "credential_no": "NB-0002"},
]
# The roster as the customs personnel system sends it: two Cixi officers and four of the Ningbo
# district. The team is assigned automatically (the Cixi officers first, then the district's).
ROSTER = [
    {**TEAM[0], "customs_office": "Cixi", "district": "Ningbo", "languages": ["zh", "en"]},
    {**TEAM[1], "customs_office": "Cixi", "district": "Ningbo", "languages": ["zh"]},
    *(
        {
            "officer_id": f"O-NB-{n:04d}",
            "name": name,
            "credential_no": f"NB-{n:04d}",
            "customs_office": "Ningbo",
            "district": "Ningbo",
            "languages": ["zh", "en"],
        }
        for n, name in ((3, "Zhang Wei"), (4, "Liu Yang"), (5, "Zhao Min"), (6, "Sun Hao"))
    ),
]
SITES = [
    ("S1", "Zhouxiang planting base", 30.1731, 121.2698),
    ("S2", "Guanhaiwei planting base", 30.2270, 121.3921),
    ("S3", "Xinpu planting base", 30.2545, 121.3440),
    ("S4", "Kandun planting base", 30.2703, 121.2201),
    ("S5", "Longshan planting base", 30.1890, 121.4895),
]
ITEMS = [
    ("I1", "Agricultural inputs: pesticide and fertiliser store and use records", "agricultural_inputs"),
    ("I2", "Crop conditions in the field", "crop_conditions"),
    ("I3", "Land boundaries against the registered map", "land_boundaries"),
    ("I4", "Production details: planting and harvest records", "production_records"),
    ("I5", "Pest and disease monitoring", "pest_monitoring"),
    ("I6", "Traceability labels and batch identification", "traceability"),
]


@dataclass
class Endpoints:
    eligibility: str = "http://127.0.0.1:8001"
    scheduling: str = "http://127.0.0.1:8002"
    video_gateway: str = "http://127.0.0.1:8003"
    documents: str = "http://127.0.0.1:8004"


@dataclass
class FlowResult:
    inspection_id: str
    enterprise_id: str
    seconds: float
    states: list[str] = field(default_factory=list)
    session_id: str | None = None
    evidence_files: list[dict[str, Any]] = field(default_factory=list)  # manifest entries with a file


class Tokens:
    def __init__(self, secret: str, enterprise_id: str) -> None:
        self.secret = secret
        self.system = mint_token(secret, role=Role.SYSTEM, subject="customs-task-system")
        self.officer = self.officer_of(TEAM[0])
        self.enterprise = mint_token(
            secret, role=Role.ENTERPRISE, subject=f"rep-{enterprise_id}", name="Li Mei", enterprise_id=enterprise_id
        )

    def officer_of(self, officer: dict[str, str]) -> str:
        return mint_token(
            self.secret,
            role=Role.OFFICER,
            subject=officer["officer_id"],
            name=officer["name"],
            credential_no=officer["credential_no"],
            district="Ningbo",
        )


NOTICE_EMAIL = "compliance@cixi-fresh-food.example"


async def _print_notice(mailbox_dir: Path, inspection_id: str, log: Callable[[str], None], timeout_s: float) -> None:
    """The advance notice as it arrived in the embedded mailbox (sent by the dispatcher, not the request)."""
    from rvi_platform.embedded.mail import messages_to

    deadline = time.monotonic() + timeout_s
    while True:
        notices = [m for m in messages_to(mailbox_dir, NOTICE_EMAIL) if inspection_id in (m["Subject"] or "")]
        if notices:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"no notice for {inspection_id} in {mailbox_dir}")
        await asyncio.sleep(0.2)
    mail = notices[0]
    log(f"mailbox {mailbox_dir}: To {mail['To']}  Subject: {mail['Subject']}")
    for line in mail.get_payload(decode=True).decode().splitlines():
        log(f"  | {line}")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cixi_inspection(enterprise_id: str, inspection_id: str) -> dict[str, Any]:
    return {
        "id": inspection_id,
        "enterprise_id": enterprise_id,
        "enterprise_name": "Cixi Fresh Food Group",
        "customs": "Cixi",
        "sites": [
            {"site_id": s, "name": n, "latitude": lat, "longitude": lon, "address": f"{n}, Cixi, Zhejiang"}
            for s, n, lat, lon in SITES
        ],
        "checklist_items": [{"item_id": i, "description": d, "category": c} for i, d, c in ITEMS],
    }


def enterprise_facts() -> dict[str, Any]:
    return {
        "name": "Cixi Fresh Food Group",
        "consent": {"given": True, "scope": "remote video inspection of export food planting sites"},
        "can_cooperate": True,
        "technical_conditions": True,
        "credit_status": "advanced_certified",
    }


async def _until(
    fetch: Callable[[], Awaitable[httpx.Response]], ok: Callable[[httpx.Response], bool], what: str, timeout_s: float
) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            response = await fetch()
        except httpx.TransportError:  # a service restarting: keep asking until the deadline
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)
            continue
        if ok(response):
            return response
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}: last {response.status_code} {response.text[:300]}")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.2)


def _state_is(*states: str) -> Callable[[httpx.Response], bool]:
    def check(response: httpx.Response) -> bool:
        if response.status_code != 200:
            return False
        state = response.json()["state"]
        if state in ("shifted_onsite", "cancelled") and state not in states:
            raise RuntimeError(f"inspection went {state}: {response.json().get('state_reason')}")
        return state in states

    return check


def _raise_for(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response


async def run_flow(
    client: httpx.AsyncClient,
    endpoints: Endpoints,
    secret: str,
    clock_file: str,
    log: Callable[[str], None] = lambda _: None,
    timeout_s: float = 60.0,
    enterprise_id: str | None = None,
    inspection_id: str | None = None,
    video: bool = False,
    mailbox_dir: str | None = None,
) -> FlowResult:
    """Walk one Cixi inspection from request to completed; returns how long it took. With
    `video`, the credentials and identity steps are recorded from a live camera (WHIP)."""
    started = time.perf_counter()
    enterprise_id = enterprise_id or f"ENT-CIXI-{uuid.uuid4().hex[:8]}"
    inspection_id = inspection_id or str(uuid.uuid4())
    tokens = Tokens(secret, enterprise_id)
    clock = FileOffsetClock(clock_file)

    _raise_for(
        await client.put(
            f"{endpoints.eligibility}/v1/enterprises/{enterprise_id}/facts",
            json=enterprise_facts(),
            headers=auth(tokens.system),
        ),
        "enterprise facts",
    )
    for officer in ROSTER:
        fields = {k: v for k, v in officer.items() if k != "officer_id"}
        _raise_for(
            await client.put(
                f"{endpoints.scheduling}/v1/officers/{officer['officer_id']}",
                json={**fields, "credential_valid_from": "2024-01-01", "credential_valid_until": "2029-12-31"},
                headers=auth(tokens.system),
            ),
            "roster",
        )
    if mailbox_dir is not None:
        _raise_for(
            await client.put(
                f"{endpoints.scheduling}/v1/enterprises/{enterprise_id}/channels",
                json={"email": NOTICE_EMAIL},
                headers=auth(tokens.enterprise),
            ),
            "enterprise channels",
        )
    _raise_for(
        await client.post(
            f"{endpoints.scheduling}/v1/inspections",
            json=cixi_inspection(enterprise_id, inspection_id),
            headers={**auth(tokens.system), "Idempotency-Key": f"demo-{inspection_id}"},
        ),
        "create inspection",
    )
    log(f"inspection {inspection_id} requested for {enterprise_id} (Cixi, 5 sites, 6 tasks)")
    inspection_url = f"{endpoints.scheduling}/v1/inspections/{inspection_id}"

    async def get_inspection() -> httpx.Response:
        return await client.get(inspection_url, headers=auth(tokens.system))

    scheduled = (await _until(get_inspection, _state_is("scheduled"), "scheduled", timeout_s)).json()
    slot_start = datetime.fromisoformat(scheduled["slot_start"])
    team = ", ".join(f"{o['name']} ({o['credential_no']})" for o in scheduled["officers"])
    log(f"scheduled for {slot_start.isoformat()} (notice sent {scheduled['notice_sent_at']}), team {team}")
    names = {s: n for s, n, _lat, _lon in SITES}
    zone = ZoneInfo("Asia/Shanghai")
    for visit in scheduled["day_plan"]:
        start, end = (datetime.fromisoformat(visit[k]).astimezone(zone) for k in ("start", "end"))
        log(f"  day plan {start:%a %d %b %H:%M}-{end:%H:%M}  {names[visit['site_id']]}")
    offered = ", ".join(
        f"{o['offer_id']}: {datetime.fromisoformat(o['slot_start']).astimezone(zone):%a %d %b %H:%M}"
        for o in scheduled["offered_slots"]
    )
    log(f"  days offered to the enterprise: {offered}")

    tokens.officer = tokens.officer_of(scheduled["officers"][0])
    if mailbox_dir is not None:
        await _print_notice(Path(mailbox_dir), inspection_id, log, timeout_s)

    from rvi_platform.demo_video import run_equipment_test  # aiortc only once the flow needs a camera

    equipment = await run_equipment_test(
        client, endpoints.video_gateway, inspection_id, auth(tokens.enterprise), log, timeout_s
    )
    if equipment["state"] != "passed":
        raise RuntimeError(f"equipment test {equipment['state']}: {equipment.get('failures')}")

    async def nothing_missing() -> httpx.Response:
        return await client.get(inspection_url, headers=auth(tokens.enterprise))

    await _until(
        nothing_missing,
        lambda r: r.status_code == 200 and r.json()["readiness_missing"] == [],
        "the equipment test and the uploads on record",
        timeout_s,
    )

    while (gap := slot_start - clock.now()) > timedelta(0):
        clock.advance(gap + timedelta(minutes=1))
    log(f"clock advanced past the notice period to {clock.now().isoformat()}")

    _raise_for(
        await client.post(
            f"{inspection_url}/readiness", json={"contact_name": "Li Mei"}, headers=auth(tokens.enterprise)
        ),
        "readiness",
    )
    log("readiness confirmed: a passed equipment test is on record and the notice asked for no uploads")

    async def get_session() -> httpx.Response:
        return await client.get(
            f"{endpoints.video_gateway}/v1/inspections/{inspection_id}/session", headers=auth(tokens.officer)
        )

    session = (await _until(get_session, lambda r: r.status_code == 200, "session opened", timeout_s)).json()
    session_url = f"{endpoints.video_gateway}/v1/sessions/{session['session_id']}"
    officer = auth(tokens.officer)
    _raise_for(await client.post(f"{session_url}/start", headers=officer), "start session")
    team_names = " and ".join(f"{o['name']} ({o['credential_no']})" for o in scheduled["officers"])
    steps: list[dict[str, Any]] = [
        {"kind": "credentials_presented", "note": f"Officers {team_names} presented"},
        {"kind": "identity_verified", "note": "Representative Li Mei, ID card checked on camera"},
        {"kind": "power_of_attorney_verified", "note": "Power of attorney dated this month, sealed"},
    ]
    evidence_files: list[dict[str, Any]] = []
    if video:
        from rvi_platform.demo_video import record_on_camera  # aiortc only when video is asked for

        evidence_files = await record_on_camera(client, session_url, auth(tokens.enterprise), officer, log)
        steps = steps[2:]
    for site_id, name, _lat, _lon in SITES:
        steps.append({"kind": "location_verified", "site_id": site_id, "note": f"{name}: position confirmed"})
    for item_id, description, _ in ITEMS:
        steps.append({"kind": f"checklist_item:{item_id}", "note": f"{description}: conforming"})
    for step in steps:
        _raise_for(await client.post(f"{session_url}/steps", json=step, headers=officer), f"step {step['kind']}")
    _raise_for(
        await client.post(
            f"{session_url}/end",
            json={"conclusion": "All five planting sites conform; no non-conformities found."},
            headers=officer,
        ),
        "end session",
    )
    log(f"session {session['session_id']} ended after {len(steps) + len(evidence_files)} recorded steps")

    async def get_documents() -> httpx.Response:
        return await client.get(
            f"{endpoints.documents}/v1/inspections/{inspection_id}/documents", headers=auth(tokens.enterprise)
        )

    documents = (
        await _until(get_documents, lambda r: r.status_code == 200 and bool(r.json()), "document", timeout_s)
    ).json()
    document_id = documents[0]["document_id"]
    _raise_for(
        await client.post(
            f"{endpoints.documents}/v1/documents/{document_id}/sign",
            json={"signer_name": "Li Mei", "seal": "CIXI-FRESH-FOOD-ORG-SEAL", "accept": True},
            headers=auth(tokens.enterprise),
        ),
        "sign",
    )
    log(f"document {document_id} signed and sealed by the enterprise")
    final = (await _until(get_inspection, _state_is("completed"), "completed", timeout_s)).json()
    return FlowResult(
        inspection_id,
        enterprise_id,
        time.perf_counter() - started,
        [final["state"]],
        session["session_id"],
        evidence_files,
    )
