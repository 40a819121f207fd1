"""The request edge's input hygiene (rvi_shared.hygiene): the cost of checking a decision request's
JSON body (UTF-8, control characters) before the route, against the same app without the check, in
one run. Requests go straight through ASGI (no sockets), so the figure is the edge's own work.

    make bench-edge [BENCH_ARGS="--requests 20000"]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from fastapi import FastAPI

from rvi_eligibility.decisions.schemas import HYBRID_TASK, TaskIn
from rvi_shared.errors import install_error_handlers
from rvi_shared.hygiene import InputHygieneMiddleware
from rvi_shared.identifiers import example_uscc


def app(with_hygiene: bool) -> FastAPI:
    application = FastAPI()
    install_error_handlers(application)
    if with_hygiene:
        application.add_middleware(InputHygieneMiddleware)

    @application.post("/v1/decisions")
    async def decide(task: TaskIn) -> dict[str, int]:
        return {"items": len(task.checklist_items)}

    return application


async def run(application: FastAPI, body: bytes, requests: int) -> float:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/decisions",
        "raw_path": b"/v1/decisions",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    start = time.perf_counter()
    for _ in range(requests):
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        await application(scope, receive, send)
    elapsed = time.perf_counter() - start
    assert set(statuses) == {200}, set(statuses)
    return elapsed / requests * 1e6


async def main(args: argparse.Namespace) -> None:
    body = json.dumps({**HYBRID_TASK, "enterprise_id": example_uscc("bench")}).encode()
    plain, checked = app(False), app(True)
    for application in (plain, checked):  # warm-up
        await run(application, body, 500)
    rounds = []
    for _ in range(args.rounds):
        rounds.append((await run(plain, body, args.requests), await run(checked, body, args.requests)))
    base = min(r[0] for r in rounds)
    edge = min(r[1] for r in rounds)
    print(f"decision request body: {len(body)} bytes, {args.requests} requests x {args.rounds} rounds (best round)")
    print(f"without input hygiene: {base:8.1f} us/request")
    print(f"with input hygiene:    {edge:8.1f} us/request")
    print(f"ratio: {edge / base:.3f} (+{edge - base:.1f} us/request)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
