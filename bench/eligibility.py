"""make bench-eligibility: stored decisions in batches, and single decisions over HTTP against a
bare FastAPI endpoint, in the same run.

Starts its own embedded PostgreSQL and broker (unless RVI_DATABASE_URL / RVI_KAFKA_BOOTSTRAP name
them), the eligibility service (`python -m rvi_eligibility`) and bench/eligibility_bare.py, each in
its own uvicorn process with the same options. Batches: 10 x POST /v1/decisions:batch of 1,000
tasks, timed from request to response (every decision stored). Single decisions: POST
/v1/decisions (evaluated and stored) and the bare endpoint, loaded one after the other by the
same load generator, a separate process keeping `--concurrency` requests in flight over
keep-alive connections. The last line printed is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from proc_cpu import CpuMeter

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port
from rvi_platform.embedded.postgres import EmbeddedPostgres, ensure_database
from rvi_shared.auth import Role, mint_token
from rvi_shared.identifiers import example_uscc
from rvi_shared.messaging.kafka import ensure_topics
from rvi_shared.settings import DEV_JWT_SECRET

BENCH_DIR = Path(__file__).resolve().parent
ITEMS = [
    {"item_id": f"I{n}", "description": category.replace("_", " "), "category": category}
    for n, category in enumerate(
        [
            "agricultural_inputs",
            "crop_conditions",
            "land_boundaries",
            "production_records",
            "pest_monitoring",
            "traceability",
        ],
        start=1,
    )
]
FACTS = {
    "name": "Cixi Fresh Food Group",
    "consent": {"given": True, "scope": "remote video inspection of export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def task(enterprise_id: str) -> dict[str, Any]:
    return {"enterprise_id": enterprise_id, "customs": "Cixi", "checklist_items": ITEMS}


# --- the load generator (run as its own process: `--load`) ---


async def _connection(
    port: int,
    request: bytes,
    measure_from: float,
    stop_at: float,
    latencies: list[float],
    statuses: dict[int | str, int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (begun := time.perf_counter()) < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            ended = time.perf_counter()
            statuses["all"] = statuses.get("all", 0) + 1
            if begun >= measure_from and ended <= stop_at:
                latencies.append(ended - begun)
                statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(
    port: int, method: str, path: str, body: bytes, token: str, concurrency: int, warmup: float, duration: float
) -> None:
    """A minimal HTTP/1.1 keep-alive client: cheap enough that it is not what limits the server."""
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration
    latencies: list[float] = []
    statuses: dict[int | str, int] = {}
    cpu_start = time.process_time()
    await asyncio.gather(
        *(_connection(port, request, measure_from, stop_at, latencies, statuses) for _ in range(concurrency))
    )
    result = {
        "rps": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "n": len(latencies),
        "statuses": statuses,
        "completed": statuses.pop("all", 0),
        "client_cpu_s": time.process_time() - cpu_start,
    }
    print(json.dumps(result))


def run_load(
    args: argparse.Namespace, port: int, path: str, body: dict[str, Any] | None, token: str, method: str = "POST"
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--load",
        f"--method={method}",
        f"--port={port}",
        f"--path={path}",
        f"--body={json.dumps(body) if body is not None else ''}",
        f"--token={token}",
        f"--concurrency={args.concurrency}",
        f"--warmup={args.warmup}",
        f"--duration={args.duration}",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- the servers ---


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int, ready_path: str) -> None:
        self.name, self.port, self.ready_path = name, port, ready_path
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited: {self.process.stderr.read().decode()[-2000:] if self.process.stderr else ''}"
                )
            try:
                response = httpx.request(
                    "GET" if self.ready_path.endswith("z") else "POST",
                    f"http://127.0.0.1:{self.port}{self.ready_path}",
                    timeout=1.0,
                )
                if response.status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout_s}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def batches(url: str, headers: dict[str, str], enterprises: list[str], count: int, size: int) -> list[float]:
    """Seconds per batch, each from request to response, every decision stored."""
    seconds: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        for n in range(count + 1):  # the first one warms up and is not counted
            body = {"tasks": [task(enterprises[(n * size + i) % len(enterprises)]) for i in range(size)]}
            begun = time.perf_counter()
            response = await client.post("/v1/decisions:batch", json=body)
            elapsed = time.perf_counter() - begun
            response.raise_for_status()
            stored = response.json()["stored"]
            if stored != size:
                raise RuntimeError(f"batch stored {stored} of {size}: {response.text[:500]}")
            if n:
                seconds.append(elapsed)
    return seconds


async def main(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="rvi-bench-eligibility-"))
    postgres = broker = None
    servers: list[Server] = []
    try:
        admin_url = os.environ.get("RVI_DATABASE_URL")
        if not admin_url:
            postgres = EmbeddedPostgres(home / "pg")
            admin_url = postgres.start()
        database_url = await ensure_database(admin_url, f"rvi_bench_eligibility_{uuid.uuid4().hex[:8]}")
        bootstrap = os.environ.get("RVI_KAFKA_BOOTSTRAP")
        if not bootstrap:
            broker = EmbeddedBroker(free_port(), log_path=home / "broker.log")
            bootstrap = broker.start()
        await ensure_topics(bootstrap, 6)

        eligibility_port, bare_port = free_port(), free_port()
        eligibility = Server(
            "eligibility",
            [sys.executable, "-m", "rvi_eligibility"],
            {
                "RVI_DATABASE_URL": database_url,
                "RVI_KAFKA_BOOTSTRAP": bootstrap,
                "RVI_ELIGIBILITY_PORT": str(eligibility_port),
                "RVI_JWT_SECRET": DEV_JWT_SECRET,
                "RVI_LOG_LEVEL": "WARNING",
            },
            eligibility_port,
            "/readyz",
        )
        servers.append(eligibility)
        bare = Server(
            "bare",
            [sys.executable, str(BENCH_DIR / "eligibility_bare.py"), f"--port={bare_port}"],
            {},
            bare_port,
            "/v1/decisions",
        )
        servers.append(bare)
        eligibility.wait_ready()
        bare.wait_ready()
        print(
            f"[bench] eligibility pid {eligibility.process.pid} on :{eligibility_port}, bare pid {bare.process.pid} on :{bare_port}",
            flush=True,
        )

        system = mint_token(DEV_JWT_SECRET, role=Role.SYSTEM, subject="bench", ttl_s=3600)
        headers = {"Authorization": f"Bearer {system}"}
        enterprises = [example_uscc(f"ENT-BENCH-{n:03d}") for n in range(args.enterprises)]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{eligibility_port}", headers=headers) as client:
            for eid in enterprises:
                (await client.put(f"/v1/enterprises/{eid}/facts", json=FACTS)).raise_for_status()

        seconds = await batches(
            f"http://127.0.0.1:{eligibility_port}", headers, enterprises, args.batches, args.batch_size
        )
        batch_rate = args.batches * args.batch_size / sum(seconds)
        print(
            f"[bench] batch: {args.batches} x {args.batch_size} stored decisions in {sum(seconds):.2f}s "
            f"({batch_rate:.0f}/s; per batch min {min(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms)",
            flush=True,
        )

        body = task(enterprises[0])
        bare_meter = CpuMeter({"bare": bare.process.pid})
        bare_meter.start()
        bare_load = await asyncio.to_thread(run_load, args, bare_port, "/v1/decisions", body, system)
        bare_cpu_ms = bare_meter.stop()["bare"] * 1000 / max(1, bare_load["completed"])
        print(
            f"[bench] bare endpoint: {bare_load['rps']:.0f} req/s, p50 {bare_load['p50_ms']:.2f} ms, p99 {bare_load['p99_ms']:.2f} ms, statuses {bare_load['statuses']}, client cpu {bare_load['client_cpu_s']:.1f}s, "
            f"server cpu {bare_cpu_ms:.3f} ms per request",
            flush=True,
        )
        measured = {"eligibility": eligibility.process.pid}
        postgres_pid = postgres.pid if postgres is not None else None
        if postgres_pid is not None:
            measured["postgresql"] = postgres_pid
        meter = CpuMeter(measured)
        meter.start()
        http_load = await asyncio.to_thread(run_load, args, eligibility_port, "/v1/decisions", body, system)
        used = meter.stop()
        service_cpu_s = used["eligibility"]
        # Over the whole load, warm-up included: every request the service answered.
        cpu_ms = service_cpu_s * 1000 / max(1, http_load["completed"])
        postgres_cpu_ms = used["postgresql"] * 1000 / max(1, http_load["completed"]) if "postgresql" in used else None
        print(
            f"[bench] POST /v1/decisions: {http_load['rps']:.0f} req/s, p50 {http_load['p50_ms']:.2f} ms, p99 {http_load['p99_ms']:.2f} ms, statuses {http_load['statuses']}, client cpu {http_load['client_cpu_s']:.1f}s, "
            f"service cpu {service_cpu_s:.1f}s ({cpu_ms:.3f} ms per request)"
            + (f", PostgreSQL cpu {postgres_cpu_ms:.3f} ms per request" if postgres_cpu_ms is not None else ""),
            flush=True,
        )
        if set(http_load["statuses"]) != {"201"}:
            raise RuntimeError(f"single decisions failed: {http_load['statuses']}")
        floor = await asyncio.to_thread(run_load, args, eligibility_port, "/healthz", None, system, "GET")
        print(
            f"[bench] eligibility GET /healthz (the service's middleware, no auth, no body, no database): "
            f"{floor['rps']:.0f} req/s, {floor['rps'] / bare_load['rps']:.2f} of bare: the ceiling of any endpoint here",
            flush=True,
        )
    finally:
        for server in servers:
            server.stop()
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.stop()

    return {
        "batch_decisions_per_s": round(batch_rate, 1),
        "http_rps": round(http_load["rps"], 1),
        "bare_rps": round(bare_load["rps"], 1),
        "http_vs_bare": round(http_load["rps"] / bare_load["rps"], 3),
        "p99_ms": round(http_load["p99_ms"], 2),
        "service_cpu_ms_per_request": round(cpu_ms, 3),
        "bare_cpu_ms_per_request": round(bare_cpu_ms, 3),
        "postgresql_cpu_ms_per_request": round(postgres_cpu_ms, 3) if postgres_cpu_ms is not None else None,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--enterprises", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="POST", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        import uvloop

        uvloop.run(
            load(
                args.port,
                args.method,
                args.path,
                args.body.encode(),
                args.token,
                args.concurrency,
                args.warmup,
                args.duration,
            )
        )
    else:
        print(json.dumps(asyncio.run(main(args))))
