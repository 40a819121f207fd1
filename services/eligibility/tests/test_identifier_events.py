"""rvi.enterprise.updated.v1 from an external system: a USCC in full width is stored normalized; an
invalid one goes to the DLQ with the field and the expected check character."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from rvi_platform.testing import Tokens, eventually, read_topic
from rvi_shared.clock import ManualClock
from rvi_shared.identifiers import example_uscc

UPDATED = "rvi.enterprise.updated.v1"


async def test_enterprise_ids_on_kafka(
    live_client: httpx.AsyncClient,
    live_clock: ManualClock,
    publisher: Any,
    kit: Any,
    tokens: Tokens,
    kafka_bootstrap: str,
) -> None:
    uscc = example_uscc(uuid.uuid4().hex)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in uscc)
    wrong = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    await publisher.event(UPDATED, wrong, kit.cixi_update(wrong), live_clock.now())
    await publisher.event(UPDATED, full_width, kit.cixi_update(full_width), live_clock.now())
    headers = tokens.header(tokens.officer())

    async def stored() -> dict[str, Any] | None:
        response = await live_client.get(f"/v1/enterprises/{uscc}", headers=headers)
        return response.json() if response.status_code == 200 else None

    assert (await eventually(stored, "the facts under the normalized id"))["enterprise_id"] == uscc

    async def dead_lettered() -> str | None:
        for record in await read_topic(kafka_bootstrap, "rvi.enterprises.dlq", 10_000, timeout_s=2):
            if record.key == wrong.encode():
                return dict(record.headers)["error"].decode()
        return None

    reason = await eventually(dead_lettered, "the invalid id dead-lettered", timeout_s=30)
    assert "data.enterprise_id" in reason and f"expected {uscc[17]!r}" in reason
