"""Delivery over SMTP (the standard library's smtplib, in a worker thread) and HTTP webhooks."""

from __future__ import annotations

import asyncio
import json
import smtplib
from email.message import EmailMessage

import httpx

from rvi_scheduling.notifications.models import Notification
from rvi_scheduling.notifications.signing import SIGNATURE_HEADER, signature
from rvi_scheduling.notifications.urls import UrlRefused, check_resolved
from rvi_scheduling.settings import SchedulingSettings


class DeliveryError(Exception):
    pass


async def send_email(settings: SchedulingSettings, note: Notification) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = note.recipient
    message["Subject"] = note.subject
    message["Message-ID"] = f"<{note.id}@rvi-scheduling>"
    message.set_content(note.body)

    def send() -> None:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)

    try:
        await asyncio.to_thread(send)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


async def send_webhook(
    client: httpx.AsyncClient, note: Notification, secret: str, unix_now: int, allowed_hosts: list[str]
) -> None:
    try:
        await check_resolved(note.recipient, allowed_hosts)
    except (UrlRefused, OSError) as exc:
        raise DeliveryError(f"webhook {note.recipient}: {exc}") from exc
    body = json.dumps(note.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, unix_now, body),
        "RVI-Notification-Id": note.id,
    }
    try:
        response = await client.post(note.recipient, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook {note.recipient}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"webhook {note.recipient}: HTTP {response.status_code}")
