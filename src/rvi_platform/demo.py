"""The Cixi case (DOMAIN.md): one food-group enterprise, five planting sites in different
towns, six checklist tasks, walked through all four services over their public APIs."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from rvi_shared.auth import Role, mint_token
from rvi_shared.clock import FileOffsetClock

TEAM = [
    {"officer_id": "O-NB-0001", "name": "Wang Li", "credential_no": "NB-0001"},
    {"officer_id": "O-NB-0002", "name": "Chen Jie", "credential_no": "NB-0002"},
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
        self.system = mint_token(secret, role=Role.SYSTEM, subject="customs-task-system")
        self.officer = mint_token(
            secret,
            role=Role.OFFICER,
            subject=TEAM[0]["officer_id"],
            name=TEAM[0]["name"],
            credential_no=TEAM[0]["credential_no"],
            district="Ningbo",
        )
        self.enterprise = mint_token(
            secret, role=Role.ENTERPRISE, subject=f"rep-{enterprise_id}", name="Li Mei", enterprise_id=enterprise_id
        )


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
        "officers": TEAM,
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


async def _record_results(
    client: httpx.AsyncClient,
    session_url: str,
    enterprise: dict[str, str],
    officer: dict[str, str],
    evidence: list[str],
    log: Callable[[str], None],
) -> None:
    """The enterprise's device confirms each site's position, then the officer records each
    item's result per site (DOMAIN 8) with the recorded clip and snapshot as its evidence;
    `rvi.session.ended.v1` carries them."""
    for site_id, _name, latitude, longitude in SITES:
        report = {"site_id": site_id, "latitude": latitude, "longitude": longitude, "accuracy_m": 10}
        _raise_for(await client.post(f"{session_url}/location", json=report, headers=enterprise), f"location {site_id}")
    recorded = 0
    for site_id, *_ in SITES:
        for item_id, description, _ in ITEMS:
            response = await client.put(
                f"{session_url}/results/{site_id}/{item_id}",
                json={"result": "conforming", "finding": f"{description}: as registered", "evidence": evidence},
                headers=officer,
            )
            if response.status_code == 422 and "on-site" in response.text:
                continue  # an item the schedule kept for the on-site visit
            _raise_for(response, f"result {site_id}/{item_id}")
            recorded += 1
    log(f"{len(SITES)} site positions confirmed; {recorded} checklist results recorded (conforming)")


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
    log(f"scheduled for {slot_start.isoformat()} (notice sent {scheduled['notice_sent_at']})")

    while (gap := slot_start - clock.now()) > timedelta(0):
        clock.advance(gap + timedelta(minutes=1))
    log(f"clock advanced past the notice period to {clock.now().isoformat()}")

    _raise_for(
        await client.post(
            f"{inspection_url}/readiness",
            json={"equipment_test_passed": True, "documents_submitted": True, "contact_name": "Li Mei"},
            headers=auth(tokens.enterprise),
        ),
        "readiness",
    )

    async def get_session() -> httpx.Response:
        return await client.get(
            f"{endpoints.video_gateway}/v1/inspections/{inspection_id}/session", headers=auth(tokens.officer)
        )

    session = (await _until(get_session, lambda r: r.status_code == 200, "session opened", timeout_s)).json()
    session_url = f"{endpoints.video_gateway}/v1/sessions/{session['session_id']}"
    officer = auth(tokens.officer)
    _raise_for(await client.post(f"{session_url}/start", headers=officer), "start session")
    steps: list[dict[str, Any]] = [
        {"kind": "credentials_presented", "note": "Officers Wang Li (NB-0001) and Chen Jie (NB-0002) presented"},
        {"kind": "identity_verified", "note": "Representative Li Mei, ID card checked on camera"},
        {"kind": "power_of_attorney_verified", "note": "Power of attorney dated this month, sealed"},
    ]
    evidence_files: list[dict[str, Any]] = []
    if video:
        from rvi_platform.demo_video import record_on_camera  # aiortc only when video is asked for

        evidence_files = await record_on_camera(client, session_url, auth(tokens.enterprise), officer, log)
        steps = steps[2:]
    if not video:
        for site_id, name, _lat, _lon in SITES:
            steps.append({"kind": "location_verified", "site_id": site_id, "note": f"{name}: position confirmed"})
    for item_id, description, _ in ITEMS:
        steps.append({"kind": f"checklist_item:{item_id}", "note": f"{description}: conforming"})
    for step in steps:
        _raise_for(await client.post(f"{session_url}/steps", json=step, headers=officer), f"step {step['kind']}")
    if video:
        evidence = [entry["step_id"] for entry in evidence_files]
        await _record_results(client, session_url, auth(tokens.enterprise), officer, evidence, log)
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
