"""Notices and notifications through the outbox: e-mail to a real local SMTP server (aiosmtpd),
webhooks signed with HMAC-SHA256 verified from the receiver's side, retries then the dead-letter
list and its replay, the day-before reminder."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from aiosmtpd.controller import Controller

from rvi_platform.embedded.ports import free_port
from rvi_platform.testing import Tokens, eventually, serve_in_process
from rvi_scheduling.app import create_app
from rvi_scheduling.settings import SchedulingSettings
from rvi_shared.clock import ManualClock
from rvi_shared.identifiers import example_uscc

from .roster import officer_body  # noqa: TID252
from .test_rosters import create, decide_remote, scheduled, unique_office  # noqa: TID252

SECRET = "whsec-test-0123456789abcdef"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


class Receiver:
    """A webhook receiver as an enterprise would run it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def verify_as_receiver(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """The receiver's own check, written from the documented scheme only."""
    fields = dict(part.split("=", 1) for part in headers["RVI-Signature"].split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - int(fields["t"])) < 300


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture
async def notifying_client(
    scheduling_db: str, kafka_bootstrap: str, clock: ManualClock, mailbox: Mailbox
) -> AsyncIterator[httpx.AsyncClient]:
    settings = SchedulingSettings(
        database_url=scheduling_db,
        kafka_bootstrap=kafka_bootstrap,
        smtp_port=mailbox.port,  # type: ignore[attr-defined]
        notification_poll_s=0.05,
        notification_backoff_s=0.05,
        notification_max_attempts=3,
        webhook_allowed_hosts=["127.0.0.1"],
    )
    async with serve_in_process(create_app(settings, clock=clock)) as c:
        yield c


async def schedule_with_channels(
    client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock, webhook_port: int
) -> tuple[dict, str, list[str]]:
    office, district = unique_office()
    tag = uuid.uuid4().hex[:6]
    emails = []
    for n in range(2):
        email = f"officer{n}-{tag}@customs.test"
        body = officer_body(office, district, f"{tag}-{n}".upper(), email=email)
        response = await client.put(f"/v1/officers/O-{tag}-{n}", json=body, headers=tokens.header(tokens.system()))
        assert response.status_code == 200, response.text
        emails.append(email)
    inspection = (await create(client, tokens, office, required_documents=["power_of_attorney"])).json()
    enterprise_email = f"compliance-{tag}@enterprise.test"
    channels = await client.put(
        f"/v1/enterprises/{inspection['enterprise_id']}/channels",
        json={
            "email": enterprise_email,
            "webhook_url": f"http://127.0.0.1:{webhook_port}/rvi",
            "webhook_secret": SECRET,
        },
        headers=tokens.header(tokens.enterprise(inspection["enterprise_id"])),
    )
    assert channels.status_code == 200, channels.text
    await decide_remote(kafka_bootstrap, [inspection], clock)
    (got,) = await scheduled(client, tokens, [inspection["id"]])
    return got, enterprise_email, emails


SSRF_ENTERPRISE = example_uscc("ENT-SSRF")


async def test_the_notice_reaches_the_mailbox_and_a_signed_webhook_and_officers_their_assignment(
    notifying_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock, mailbox: Mailbox
) -> None:
    receiver = Receiver(free_port())
    receiver.start()
    try:
        inspection, enterprise_email, officer_emails = await schedule_with_channels(
            notifying_client, tokens, kafka_bootstrap, clock, receiver.port
        )
        notice = (await eventually(lambda: _async(mailbox.to(enterprise_email)), "the notice e-mail"))[0]
        text = notice.get_payload(decode=True).decode()
        assert "Notice of remote video inspection" in notice["Subject"]
        assert inspection["notice_id"] in text and "power_of_attorney" in text and "equipment-tests" in text
        for email in officer_emails:
            assignment = (await eventually(lambda e=email: _async(mailbox.to(e)), "the assignment"))[0]
            assert assignment["Subject"].startswith("Assignment:")

        (headers, body) = (await eventually(lambda: _async(receiver.requests), "the webhook"))[0]
        assert verify_as_receiver(headers, body, SECRET)
        assert not verify_as_receiver(headers, body.replace(b"notice", b"notise"), SECRET)
        assert not verify_as_receiver(headers, body, "another-secret-000000")
        assert b'"kind":"notice"' in body and inspection["id"].encode() in body

        operator = tokens.header(tokens.operator())

        async def all_sent() -> bool:
            # A message is delivered before its row records it as sent, in a transaction of its own.
            sent = (
                await notifying_client.get(
                    "/v1/notifications", params={"inspection_id": inspection["id"], "status": "sent"}, headers=operator
                )
            ).json()
            assert sorted(n["channel"] for n in sent) == ["email", "email", "email", "webhook"]
            return True

        await eventually(all_sent, "every notification recorded as sent", timeout_s=10)
    finally:
        receiver.stop()


async def test_a_receiver_that_is_down_gets_retries_then_the_dead_letter_list_then_a_replay(
    notifying_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock, mailbox: Mailbox
) -> None:
    port = free_port()
    inspection, _, _ = await schedule_with_channels(notifying_client, tokens, kafka_bootstrap, clock, port)
    operator = tokens.header(tokens.operator())

    async def dead() -> list[dict] | None:
        rows = (
            await notifying_client.get(
                "/v1/notifications", params={"inspection_id": inspection["id"], "status": "dead"}, headers=operator
            )
        ).json()
        return rows or None

    (row,) = await eventually(dead, "the webhook on the dead-letter list")
    assert row["attempts"] == 3 and "webhook" in row["last_error"]
    receiver = Receiver(port)
    receiver.start()
    try:
        replayed = await notifying_client.post(f"/v1/notifications/{row['id']}/replay", headers=operator)
        assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
        (headers, body) = (await eventually(lambda: _async(receiver.requests), "the replayed webhook"))[0]
        assert verify_as_receiver(headers, body, SECRET) and headers["RVI-Notification-Id"] == row["id"]

        async def sent() -> bool:
            rows = (
                await notifying_client.get(
                    "/v1/notifications", params={"inspection_id": inspection["id"], "status": "sent"}, headers=operator
                )
            ).json()
            return any(r["id"] == row["id"] for r in rows)

        await eventually(sent, "the replayed webhook recorded as sent")
        again = await notifying_client.post(f"/v1/notifications/{row['id']}/replay", headers=operator)
        assert again.status_code == 409 and again.json()["current_state"] == "sent", again.text
        unknown = await notifying_client.get("/v1/notifications", params={"status": "lost"}, headers=operator)
        assert unknown.status_code == 422 and "status" in unknown.text
    finally:
        receiver.stop()


async def test_the_day_before_a_reminder_lists_what_is_missing(
    notifying_client: httpx.AsyncClient, tokens: Tokens, kafka_bootstrap: str, clock: ManualClock, mailbox: Mailbox
) -> None:
    receiver = Receiver(free_port())
    receiver.start()
    try:
        inspection, enterprise_email, _ = await schedule_with_channels(
            notifying_client, tokens, kafka_bootstrap, clock, receiver.port
        )
        gap = datetime.fromisoformat(inspection["slot_start"]) - clock.now() - timedelta(hours=20)
        clock.advance(gap)
        try:

            async def reminder() -> list[Message]:
                return [m for m in mailbox.to(enterprise_email) if m["Subject"].startswith("Reminder:")]

            (mail,) = await eventually(reminder, "the reminder")
            assert "document not submitted: power_of_attorney" in mail.get_payload(decode=True).decode()
            assert "no passed test" in mail.get_payload(decode=True).decode()
        finally:
            clock.advance(-gap)
    finally:
        receiver.stop()


async def _async(value: list) -> list | None:
    return value or None


async def test_a_webhook_into_the_platforms_own_network_is_refused(client: httpx.AsyncClient, tokens: Tokens) -> None:
    enterprise = tokens.header(tokens.enterprise(SSRF_ENTERPRISE))
    for url in ("http://127.0.0.1:8002/v1/officers", "http://169.254.169.254/latest/meta-data", "http://10.0.0.7/"):
        response = await client.put(
            f"/v1/enterprises/{SSRF_ENTERPRISE}/channels",
            json={"webhook_url": url, "webhook_secret": SECRET},
            headers=enterprise,
        )
        assert response.status_code == 422, url
        assert response.json()["field"] == "webhook_url"
    unsigned = await client.put(
        f"/v1/enterprises/{SSRF_ENTERPRISE}/channels",
        json={"webhook_url": "https://hooks.example.com/rvi"},
        headers=enterprise,
    )
    assert unsigned.status_code == 422 and unsigned.json()["field"] == "webhook_secret"
    public = await client.put(
        f"/v1/enterprises/{SSRF_ENTERPRISE}/channels",
        json={"webhook_url": "https://hooks.example.com/rvi", "webhook_secret": SECRET, "email": "a@b.example"},
        headers=enterprise,
    )
    assert public.status_code == 200 and public.json()["webhook_secret_set"] is True
    other = await client.put(
        f"/v1/enterprises/{SSRF_ENTERPRISE}/channels",
        json={"email": "x@y.example"},
        headers=tokens.header(tokens.enterprise("E2")),
    )
    assert other.status_code == 403
