"""The Cixi case (DOMAIN.md): one food-group enterprise, five planting sites in different
towns, six checklist tasks, walked through all four services over their public APIs."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from rvi_shared.auth import Role, mint_token
from rvi_shared.clock import FileOffsetClock
from rvi_shared.identifiers import example_uscc

# Names as customs writes them (Chinese is authoritative on the documents; English follows).
TEAM = [
    {"officer_id": "O-NB-0001", "name": "王力", "credential_no": "NB-0001"},
    {"officer_id": "O-NB-0002", "name": "陈杰", "credential_no": "NB-0002"},
]
ENTERPRISE_NAME = "慈溪鲜品食品集团有限公司"
REPRESENTATIVE = "李梅 Li Mei"
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
        for n, name in ((3, "张伟"), (4, "刘洋"), (5, "赵敏"), (6, "孙浩"))
    ),
]
# What the advance notice asks the enterprise to upload before the session (GACC-RVI 4(II)).
REQUIRED_DOCUMENTS = ["identity_document", "power_of_attorney", "business_licence"]
SITES = [
    ("S1", "周巷种植基地 Zhouxiang planting base", 30.1731, 121.2698, "浙江省慈溪市周巷镇"),
    ("S2", "观海卫种植基地 Guanhaiwei planting base", 30.2270, 121.3921, "浙江省慈溪市观海卫镇"),
    ("S3", "新浦种植基地 Xinpu planting base", 30.2545, 121.3440, "浙江省慈溪市新浦镇"),
    ("S4", "坎墩种植基地 Kandun planting base", 30.2703, 121.2201, "浙江省慈溪市坎墩街道"),
    ("S5", "龙山种植基地 Longshan planting base", 30.1890, 121.4895, "浙江省慈溪市龙山镇"),
]
ITEMS = [
    ("I1", "农业投入品：农药化肥仓储及使用记录 Agricultural inputs: store and use records", "agricultural_inputs"),
    ("I2", "田间作物生长情况 Crop conditions in the field", "crop_conditions"),
    ("I3", "地块边界与备案图核对 Land boundaries against the registered map", "land_boundaries"),
    ("I4", "种植及采收记录 Production details: planting and harvest records", "production_records"),
    ("I5", "病虫害监测 Pest and disease monitoring", "pest_monitoring"),
    ("I6", "追溯标识及批次 Traceability labels and batch identification", "traceability"),
]


@dataclass
class Endpoints:
    eligibility: str = "http://127.0.0.1:8001"
    scheduling: str = "http://127.0.0.1:8002"
    video_gateway: str = "http://127.0.0.1:8003"
    documents: str = "http://127.0.0.1:8004"

    @classmethod
    def of(cls, url: Callable[[str], str]) -> Endpoints:
        """The four services' base URLs from `url(service name)`, e.g. a running `Stack.url`."""
        return cls(url("eligibility"), url("scheduling"), url("video-gateway"), url("documents"))


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
        self.team(TEAM)
        self.enterprise = mint_token(
            secret,
            role=Role.ENTERPRISE,
            subject=f"rep-{enterprise_id}",
            name=REPRESENTATIVE,
            enterprise_id=enterprise_id,
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

    def team(self, officers: list[dict[str, str]]) -> None:
        """The officers' tokens: the team scheduling assigned (its first two members)."""
        self.officers = {f"officer:{o['credential_no']}": self.officer_of(o) for o in officers}
        self.officer, self.officer2 = (self.officer_of(o) for o in officers[:2])


NOTICE_EMAIL = "compliance@cixi-fresh-food.example"
# A long-poll is answered at the latest after this many seconds (then asked again).
LONG_POLL_S = 5
MIN_ASK_INTERVAL_S = 0.05


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


def cixi_inspection(
    enterprise_id: str, inspection_id: str, required_documents: list[str] | None = None
) -> dict[str, Any]:
    """The Cixi request as a customs task system sends it; the team is assigned by scheduling."""
    return {
        "id": inspection_id,
        "enterprise_id": enterprise_id,
        "enterprise_name": ENTERPRISE_NAME,
        "customs": "Cixi",
        "sites": [
            {"site_id": s, "name": n, "latitude": lat, "longitude": lon, "address": address}
            for s, n, lat, lon, address in SITES
        ],
        "checklist_items": [{"item_id": i, "description": d, "category": c} for i, d, c in ITEMS],
        "required_documents": required_documents or [],
    }


def scan_png(lines: list[str]) -> bytes:
    """A PNG standing in for a scanned document (the demo has no real scans), set by typst in the
    documents service's pinned fonts."""
    import typst

    from rvi_documents.rendering import font_directory

    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_directory())])
    template = Path(__file__).with_name("demo_scan.typ")
    png = typst.compile(
        str(template), font_paths=fonts, format="png", ppi=72, sys_inputs={"data": json.dumps({"lines": lines})}
    )
    assert isinstance(png, bytes)
    return png


async def submit_documents(
    client: httpx.AsyncClient,
    endpoints: Endpoints,
    tokens: Tokens,
    inspection_id: str,
    enterprise_id: str,
    timeout_s: float,
    log: Callable[[str], None],
) -> dict[str, str]:
    """What the advance notice asks for (GACC-RVI 4(II)), and consent to electronic service with
    the signed service address confirmation (DOMAIN 7). Returns upload ids by kind."""

    await _until(
        client,
        f"{endpoints.documents}/v1/inspections/{inspection_id}/documents",
        auth(tokens.enterprise),
        lambda r: r.status_code == 200 and any(d["kind"] == "advance_notice" for d in r.json()),
        "advance notice",
        timeout_s,
    )
    uploads: dict[str, str] = {}
    for kind, lines in (
        ("identity_document", ["Resident identity card", "Li Mei", "330282XXXXXXXX0000"]),
        (
            "power_of_attorney",
            ["Power of attorney", "Principal: Cixi Fresh Food Group, USCC 91330282MA2CIXI01X", "Agent: Li Mei"],
        ),
        ("business_licence", ["Business licence", "Cixi Fresh Food Group Co., Ltd."]),
        ("other", ["Service address confirmation", "Electronic service: rvi platform account", "Signed and sealed"]),
    ):
        response = _raise_for(
            await client.post(
                f"{endpoints.documents}/v1/inspections/{inspection_id}/uploads",
                params={"kind": kind, "filename": f"{kind}.png"},
                content=scan_png(lines),
                headers={**auth(tokens.enterprise), "Content-Type": "image/png"},
            ),
            f"upload {kind}",
        )
        uploads[kind] = response.json()["upload_id"]
    _raise_for(
        await client.put(
            f"{endpoints.documents}/v1/enterprises/{enterprise_id}/service-address",
            json={
                "consent": True,
                "address": "rvi 平台账户 platform account",
                "confirmation_upload_id": uploads["other"],
            },
            headers=auth(tokens.enterprise),
        ),
        "service address",
    )
    log(f"enterprise submitted {len(uploads)} documents and consented to electronic service")
    return uploads


async def save_documents(
    client: httpx.AsyncClient,
    endpoints: Endpoints,
    tokens: Tokens,
    inspection_id: str,
    directory: Path,
    log: Callable[[str], None],
) -> None:
    """Every document's latest revision as a file, for `pdfsig` and any PDF reader."""
    listing = await client.get(
        f"{endpoints.documents}/v1/inspections/{inspection_id}/documents", headers=auth(tokens.officer)
    )
    target = directory / inspection_id
    target.mkdir(parents=True, exist_ok=True)
    for document in _raise_for(listing, "list documents").json():
        pdf = _raise_for(
            await client.get(f"{endpoints.documents}{document['pdf_url']}", headers=auth(tokens.officer)), "pdf"
        )
        (target / f"{document['kind']}-{document['document_id'][:8]}.pdf").write_bytes(pdf.content)
    log(f"documents written to {target} (check them with: pdfsig {target}/inspection_record-*.pdf)")


async def sign_documents(
    client: httpx.AsyncClient,
    endpoints: Endpoints,
    tokens: Tokens,
    documents: list[dict[str, Any]],
    log: Callable[[str], None],
) -> None:
    """Each document of the closing set signed in its order: the officers, then the enterprise
    accepts and the platform applies its seal (GACC-RVI 4(IV))."""
    officers = tokens.officers
    for document in documents:
        url = f"{endpoints.documents}/v1/documents/{document['document_id']}"
        expected = [s["key"] for s in document["expected_signers"]]
        while expected:
            if expected[0] == "enterprise":
                response = await client.post(
                    f"{url}/sign",
                    json={"signer_name": REPRESENTATIVE, "seal": ENTERPRISE_NAME, "accept": True},
                    headers=auth(tokens.enterprise),
                )
            else:
                response = await client.post(f"{url}/officer-signature", headers=auth(officers[expected[0]]))
            document = _raise_for(response, f"sign {document['kind']} as {expected[0]}").json()
            expected = [s["key"] for s in document["expected_signers"]]
        log(f"{document['kind']} {document['number']}: {document['state']}, revision {document['revision']}")


async def enter_calendar_years(
    client: httpx.AsyncClient, scheduling_url: str, secret: str, years: list[int], notice: str
) -> list[int]:
    """As an operator would once the State Council's notice is out (DOMAIN 9), each of `years`
    the calendar data does not carry is entered with `notice` ("{year}" filled in) and no
    moved days: weekdays work. Only for a stack whose shared clock walks past the data (tests,
    benches): a flow moves that clock past its notice period, days at a time. Returns the years
    entered."""
    operator = auth(mint_token(secret, role=Role.OPERATOR, subject="ops"))
    calendar = f"{scheduling_url}/v1/calendar"
    entered = []
    for year in years:
        days = await client.get(
            f"{calendar}/days", params={"start": f"{year}-01-01", "end": f"{year}-01-02"}, headers=operator
        )
        if days.status_code != 409:  # the library carries the notice for it
            _raise_for(days, f"calendar {year}")
            continue
        _raise_for(
            await client.put(f"{calendar}/years/{year}", json={"notice": notice.format(year=year)}, headers=operator),
            f"enter {year}",
        )
        entered.append(year)
    return entered


def enterprise_facts() -> dict[str, Any]:
    return {
        "name": ENTERPRISE_NAME,
        "consent": {"given": True, "scope": "remote video inspection of export food planting sites"},
        "can_cooperate": True,
        "technical_conditions": True,
        "credit_status": "advanced_certified",
    }


async def _until(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    ok: Callable[[httpx.Response], bool],
    what: str,
    timeout_s: float,
) -> httpx.Response:
    """GET `url` until `ok`. A long-poll (`Prefer: wait`, `If-None-Match`: rvi_shared.longpoll):
    the service answers when what the URL names changed, so one request per change rather than
    one per polling interval; plain polling against a server that sends no ETag. TimeoutError
    names the last representation seen (a 304 says nothing new)."""
    deadline = time.monotonic() + timeout_s
    etag: str | None = None
    last: httpx.Response | None = None
    while True:
        left = deadline - time.monotonic()
        asked = {**headers, "Prefer": f"wait={max(1, min(LONG_POLL_S, int(left)))}"}
        if etag is not None:
            asked["If-None-Match"] = etag
        asked_at = time.monotonic()
        try:
            response = await client.get(url, headers=asked)
        except httpx.TransportError:  # a service restarting: keep asking until the deadline
            if time.monotonic() > deadline:
                raise
            etag = None
            await asyncio.sleep(0.25)
            continue
        if response.status_code != 304:
            last = response
            if ok(response):
                return response
            etag = response.headers.get("etag")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}: last seen {_seen(last)}")
        if etag is None:
            await asyncio.sleep(0.2)
        elif "If-None-Match" in asked and time.monotonic() - asked_at < MIN_ASK_INTERVAL_S:
            await asyncio.sleep(MIN_ASK_INTERVAL_S)  # a representation that differs on every read


def _seen(response: httpx.Response | None) -> str:
    """A representation in a line: an inspection's state and its reason, else the status and body
    (a Problem Details object for an error)."""
    if response is None:
        return "nothing (no answer but 304)"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and "state" in body:
        reason = body.get("state_reason")
        return f"state {body['state']!r}" + (f" ({reason})" if reason else "")
    return f"HTTP {response.status_code} {response.text[:500]}"


def _state_is(*states: str) -> Callable[[httpx.Response], bool]:
    """Whether the inspection is in one of `states`; RuntimeError with the reason once it cannot
    get there: shifted on-site, cancelled, or left requested because no day could be planned."""

    def check(response: httpx.Response) -> bool:
        if response.status_code != 200:
            return False
        body = response.json()
        state, reason = body["state"], body.get("state_reason")
        if state in ("shifted_onsite", "cancelled") and state not in states:
            raise RuntimeError(f"inspection {body.get('id')} went {state}: {reason}")
        if state == "requested" and reason and reason.startswith("cannot schedule") and state not in states:
            raise RuntimeError(f"inspection {body.get('id')} stays requested: {reason}")
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
    for site_id, _name, latitude, longitude, _address in SITES:
        report = {"site_id": site_id, "latitude": latitude, "longitude": longitude, "accuracy_m": 10}
        _raise_for(await client.post(f"{session_url}/location", json=report, headers=enterprise), f"location {site_id}")
    recorded = 0
    for site_id, *_ in SITES:
        for item_id, description, _ in ITEMS:
            response = await client.put(
                f"{session_url}/results/{site_id}/{item_id}",
                json={
                    "result": "conforming",
                    "finding": f"{description}：与备案一致 as registered",
                    "evidence": evidence,
                },
                headers=officer,
            )
            if response.status_code == 422 and "on-site" in response.text:
                continue  # an item the schedule kept for the on-site visit
            _raise_for(response, f"result {site_id}/{item_id}")
            recorded += 1
    log(f"{len(SITES)} site positions confirmed; {recorded} checklist results recorded (conforming)")


async def stage_inspection(
    client: httpx.AsyncClient,
    endpoints: Endpoints,
    secret: str,
    clock_file: str,
    enterprise_id: str,
    inspection_id: str,
    log: Callable[[str], None] = lambda _: None,
    timeout_s: float = 60.0,
    mailbox_dir: str | None = None,
    equipment_test: bool = True,
    required_documents: list[str] | None = None,
    upload_documents: bool = True,
    advance_clock: bool = True,
) -> dict[str, Any]:
    """The Cixi inspection requested, decided, planned as one day and given a team (GACC-RVI 4(I)),
    the notice printed from the mailbox when `mailbox_dir` is given, the equipment test run over
    WHIP (4(II)) when `equipment_test`, the documents the notice asks for uploaded (unless not
    `upload_documents`: then the enterprise uploads them, e.g. in the console), and the clock
    moved past the notice period (unless not `advance_clock`: the offered days can still be chosen): what the enterprise and the officers take over in the console.
    Returns the scheduled inspection, with the upload ids by kind under `uploads`."""
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
            json=cixi_inspection(enterprise_id, inspection_id, required_documents),
            headers={**auth(tokens.system), "Idempotency-Key": f"demo-{inspection_id}"},
        ),
        "create inspection",
    )
    log(f"inspection {inspection_id} requested for {enterprise_id} (Cixi, 5 sites, 6 tasks)")
    inspection_url = f"{endpoints.scheduling}/v1/inspections/{inspection_id}"
    scheduled = (
        await _until(client, inspection_url, auth(tokens.system), _state_is("scheduled"), "scheduled", timeout_s)
    ).json()
    slot_start = datetime.fromisoformat(scheduled["slot_start"])
    team = ", ".join(f"{o['name']} ({o['credential_no']})" for o in scheduled["officers"])
    log(f"scheduled for {slot_start.isoformat()} (notice sent {scheduled['notice_sent_at']}), team {team}")
    names = {site[0]: site[1] for site in SITES}
    zone = ZoneInfo("Asia/Shanghai")
    for visit in scheduled["day_plan"]:
        begin, end = (datetime.fromisoformat(visit[k]).astimezone(zone) for k in ("start", "end"))
        log(f"  day plan {begin:%a %d %b %H:%M}-{end:%H:%M}  {names[visit['site_id']]}")
    offered = ", ".join(
        f"{o['offer_id']}: {datetime.fromisoformat(o['slot_start']).astimezone(zone):%a %d %b %H:%M}"
        for o in scheduled["offered_slots"]
    )
    log(f"  days offered to the enterprise: {offered}")
    tokens.team(scheduled["officers"])
    if mailbox_dir is not None:
        await _print_notice(Path(mailbox_dir), inspection_id, log, timeout_s)

    if equipment_test:
        from rvi_platform.demo_video import run_equipment_test  # aiortc only once the flow needs a camera

        equipment = await run_equipment_test(
            client, endpoints.video_gateway, inspection_id, auth(tokens.enterprise), log, timeout_s
        )
        if equipment["state"] != "passed":
            raise RuntimeError(f"equipment test {equipment['state']}: {equipment.get('failures')}")
    uploads: dict[str, str] = {}
    if required_documents and upload_documents:
        uploads = await submit_documents(client, endpoints, tokens, inspection_id, enterprise_id, timeout_s, log)
    if equipment_test and (upload_documents or not required_documents):
        await _until(
            client,
            inspection_url,
            auth(tokens.enterprise),
            lambda r: r.status_code == 200 and r.json()["readiness_missing"] == [],
            "the equipment test and the uploads on record",
            timeout_s,
        )

    while advance_clock and (gap := slot_start - clock.now()) > timedelta(0):
        clock.advance(gap + timedelta(minutes=1))
    if advance_clock:
        log(f"clock advanced past the notice period to {clock.now().isoformat()}")

    return {**scheduled, "uploads": uploads}


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
    full_documents: bool = False,
    documents_dir: Path | None = None,
    mailbox_dir: str | None = None,
) -> FlowResult:
    """Walk one Cixi inspection from request to completed; returns how long it took. With
    `video`, the credentials and identity steps are recorded from a live camera (WHIP). With
    `full_documents`, the notice asks for documents that the enterprise submits before the session
    (4(II)), the power of attorney is marked as checked against the original, and the signed
    documents are served electronically; `documents_dir` receives every PDF. With `mailbox_dir`,
    the notice is read from the embedded mailbox."""
    started = time.perf_counter()
    enterprise_id = enterprise_id or example_uscc(f"Cixi Fresh Food Group {uuid.uuid4()}")
    inspection_id = inspection_id or str(uuid.uuid4())
    tokens = Tokens(secret, enterprise_id)
    scheduled = await stage_inspection(
        client,
        endpoints,
        secret,
        clock_file,
        enterprise_id,
        inspection_id,
        log,
        timeout_s,
        mailbox_dir=mailbox_dir,
        required_documents=REQUIRED_DOCUMENTS if full_documents else None,
    )
    tokens.team(scheduled["officers"])
    uploads: dict[str, str] = scheduled["uploads"]
    inspection_url = f"{endpoints.scheduling}/v1/inspections/{inspection_id}"
    _raise_for(
        await client.post(
            f"{inspection_url}/readiness", json={"contact_name": REPRESENTATIVE}, headers=auth(tokens.enterprise)
        ),
        "readiness",
    )
    log("readiness confirmed: a passed equipment test and the documents the notice asked for are on record")

    session = (
        await _until(
            client,
            f"{endpoints.video_gateway}/v1/inspections/{inspection_id}/session",
            auth(tokens.officer),
            lambda r: r.status_code == 200,
            "session opened",
            timeout_s,
        )
    ).json()
    session_url = f"{endpoints.video_gateway}/v1/sessions/{session['session_id']}"
    officer = auth(tokens.officer)
    _raise_for(await client.post(f"{session_url}/start", headers=officer), "start session")
    if full_documents:
        copy = _raise_for(
            await client.post(
                f"{endpoints.documents}/v1/uploads/{uploads['power_of_attorney']}/verification",
                json={"original_location": "公司档案室 the company's archive, Zhouxiang"},
                headers=officer,
            ),
            "mark the power of attorney",
        ).json()
        log(f"power of attorney checked against the original: marked copy {copy['number']}")
    team_names = "、".join(f"{o['name']}（{o['credential_no']}）" for o in scheduled["officers"])
    steps: list[dict[str, Any]] = [
        {"kind": "credentials_presented", "note": f"执法人员{team_names}出示执法证件 credentials presented"},
        {"kind": "identity_verified", "note": "企业代表李梅身份证件已在镜头前核对 ID card checked on camera"},
        {"kind": "power_of_attorney_verified", "note": "授权委托书为本月出具，已加盖公章 power of attorney sealed"},
    ]
    evidence_files: list[dict[str, Any]] = []
    if video:
        from rvi_platform.demo_video import record_on_camera  # aiortc only when video is asked for

        evidence_files = await record_on_camera(client, session_url, auth(tokens.enterprise), officer, log)
        steps = steps[2:]
    if not video:
        for site_id, name, _lat, _lon, _address in SITES:
            steps.append(
                {"kind": "location_verified", "site_id": site_id, "note": f"{name}：位置已确认 position confirmed"}
            )
    for item_id, description, _ in ITEMS:
        steps.append({"kind": f"checklist_item:{item_id}", "note": f"{description}：符合 conforming"})
    for step in steps:
        _raise_for(await client.post(f"{session_url}/steps", json=step, headers=officer), f"step {step['kind']}")
    if video:
        evidence = [entry["step_id"] for entry in evidence_files]
        await _record_results(client, session_url, auth(tokens.enterprise), officer, evidence, log)
    _raise_for(
        await client.post(
            f"{session_url}/end",
            json={"conclusion": "五个种植基地均符合要求，未发现不符合项。All five planting sites conform."},
            headers=officer,
        ),
        "end session",
    )
    log(f"session {session['session_id']} ended after {len(steps) + len(evidence_files)} recorded steps")

    def closing_set_issued(response: httpx.Response) -> bool:
        if response.status_code != 200:
            return False
        kinds = {d["kind"]: d["state"] for d in response.json()}
        return all(kinds.get(k) in ("issued", "signing", "completed") for k in ("inspection_record", "work_record"))

    documents_url = f"{endpoints.documents}/v1/inspections/{inspection_id}/documents"
    documents = (
        await _until(client, documents_url, auth(tokens.enterprise), closing_set_issued, "documents sealed", timeout_s)
    ).json()
    await sign_documents(client, endpoints, tokens, documents, log)
    log("documents signed by both officers and accepted and sealed by the enterprise")
    if full_documents:
        for document in documents:
            if document["kind"] in ("inspection_record", "work_record", "rectification_notice", "marked_copy"):
                delivery = _raise_for(
                    await client.post(
                        f"{endpoints.documents}/v1/documents/{document['document_id']}/deliveries",
                        json={"channel": "electronic"},
                        headers=officer,
                    ),
                    f"serve {document['kind']}",
                ).json()
                log(f"{document['number']} served electronically at {delivery['served_at']}")
    if documents_dir is not None:
        await save_documents(client, endpoints, tokens, inspection_id, documents_dir, log)
    final = (
        await _until(client, inspection_url, auth(tokens.system), _state_is("completed"), "completed", timeout_s)
    ).json()
    return FlowResult(
        inspection_id,
        enterprise_id,
        time.perf_counter() - started,
        [final["state"]],
        session["session_id"],
        evidence_files,
    )
