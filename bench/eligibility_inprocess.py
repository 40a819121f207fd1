"""CPU per single decision inside the eligibility service, without uvicorn or a client process:
POST /v1/decisions called on the service's ASGI app (its middleware, dependencies, request
transaction and response) by `--concurrency` tasks in this process, against an embedded
PostgreSQL and broker. Prints, per round, the process's CPU milliseconds per request (from
`time.process_time`) and the requests per second; the last line is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop
from fastapi import FastAPI

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port
from rvi_platform.embedded.postgres import EmbeddedPostgres, ensure_database
from rvi_shared.auth import Role, mint_token
from rvi_shared.identifiers import example_uscc
from rvi_shared.messaging.kafka import ensure_topics
from rvi_shared.migrations import upgrade
from rvi_shared.settings import DEV_JWT_SECRET

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eligibility import FACTS, task  # noqa: E402


async def call(app: FastAPI, method: str, path: str, body: Any, token: str) -> tuple[int, bytes]:
    data = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    received = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": data, "more_body": False}
        await asyncio.Event().wait()  # no disconnect
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="rvi-bench-eligibility-inprocess-"))
    postgres = EmbeddedPostgres(home / "pg")
    broker = EmbeddedBroker(free_port(), log_path=home / "broker.log")
    try:
        url = await ensure_database(postgres.start(), "rvi_bench_eligibility_inprocess")
        bootstrap = broker.start()
        await asyncio.to_thread(upgrade, "rvi_eligibility", url)
        await ensure_topics(bootstrap, 6)
        os.environ.update(
            {
                "RVI_DATABASE_URL": url,
                "RVI_KAFKA_BOOTSTRAP": bootstrap,
                "RVI_JWT_SECRET": DEV_JWT_SECRET,
                "RVI_LOG_LEVEL": "WARNING",
            }
        )
        from rvi_eligibility.app import create_app
        from rvi_eligibility.settings import EligibilitySettings

        app = create_app(EligibilitySettings())
        async with app.router.lifespan_context(app):
            token = mint_token(DEV_JWT_SECRET, role=Role.SYSTEM, subject="bench", ttl_s=3600)
            enterprise = example_uscc("ENT-BENCH-000")
            status, answer = await call(app, "PUT", f"/v1/enterprises/{enterprise}/facts", FACTS, token)
            assert status == 200, answer
            body = task(enterprise)

            async def worker(count: int) -> None:
                for _ in range(count):
                    status, answer = await call(app, "POST", "/v1/decisions", body, token)
                    assert status == 201, answer

            await asyncio.gather(*(worker(50) for _ in range(args.concurrency)))  # warm-up
            rounds: list[float] = []
            for n in range(args.rounds):
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.gather(*(worker(args.requests) for _ in range(args.concurrency)))
                total = args.concurrency * args.requests
                rounds.append((time.process_time() - cpu) * 1000 / total)
                rate = total / (time.perf_counter() - wall)
                print(f"[bench] round {n}: {rounds[-1]:.3f} ms CPU per request, {rate:.0f} req/s", flush=True)
    finally:
        broker.stop()
        postgres.stop()
    return {"cpu_ms_per_request": [round(r, 3) for r in rounds], "min_cpu_ms_per_request": round(min(rounds), 3)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=250, help="per task and round")
    parser.add_argument("--rounds", type=int, default=3)
    print(json.dumps(uvloop.run(main(parser.parse_args()))))
