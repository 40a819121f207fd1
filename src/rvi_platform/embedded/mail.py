"""The embedded SMTP server's mailbox: aiosmtpd delivering into a Maildir the demo reads."""

from __future__ import annotations

import mailbox
from email.message import Message
from pathlib import Path

from aiosmtpd.handlers import Mailbox


class MaildirHandler(Mailbox):
    def __init__(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(str(directory))


def messages_to(directory: Path, address: str) -> list[Message]:
    """Every message in the Maildir addressed to `address`, oldest first."""
    if not directory.exists():
        return []
    box = mailbox.Maildir(str(directory), create=False)
    found = [m for m in box if address in (m["To"] or "")]
    return sorted(found, key=lambda m: m["Date"] or "")
