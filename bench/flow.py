"""make bench-flow: N concurrent Cixi inspections pushed through all four services.

Starts its own embedded stack (PostgreSQL, broker, four service processes) on free ports,
measures one flow alone as the baseline, then keeps `--concurrency` flows in flight for
`--duration` seconds. The last line printed is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from rvi_platform.demo import Endpoints, run_flow
from rvi_platform.embedded.ports import free_port
from rvi_platform.services import SERVICES
from rvi_platform.stack import Stack


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def main(args: argparse.Namespace) -> dict[str, float | int]:
    home = Path(tempfile.mkdtemp(prefix="rvi-bench-"))
    stack = Stack(home=home, ports={s.name: free_port() for s in SERVICES}, broker_port=free_port())
    await stack.start(lambda m: print(f"[bench] {m}", flush=True))
    endpoints = Endpoints(
        stack.url("eligibility"), stack.url("scheduling"), stack.url("video-gateway"), stack.url("documents")
    )
    limits = httpx.Limits(max_connections=args.concurrency * 4, max_keepalive_connections=args.concurrency * 4)
    try:
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            baseline = []
            for _ in range(args.baseline):
                result = await run_flow(client, endpoints, stack.jwt_secret, str(stack.clock_file))
                baseline.append(result.seconds * 1000)
            print(f"[bench] baseline: one flow alone, median {statistics.median(baseline):.0f} ms over {len(baseline)}")

            latencies: list[float] = []
            failures: list[str] = []
            deadline = time.monotonic() + args.warmup + args.duration
            measure_from = time.monotonic() + args.warmup
            measured_end = measure_from + args.duration

            async def worker() -> None:
                while time.monotonic() < deadline:
                    begun = time.monotonic()
                    try:
                        result = await run_flow(
                            client, endpoints, stack.jwt_secret, str(stack.clock_file), timeout_s=60
                        )
                    except Exception as exc:  # counted, reported, not hidden
                        failures.append(f"{type(exc).__name__}: {exc}")
                        continue
                    finished = time.monotonic()
                    if begun >= measure_from and finished <= measured_end:
                        latencies.append(result.seconds * 1000)

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    finally:
        await asyncio.to_thread(stack.stop)

    if not latencies:
        raise SystemExit(f"no flow completed inside the window; failures: {failures[:3]}")
    figures = {
        "flows_per_s": round(len(latencies) / args.duration, 2),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "n": len(latencies),
        "concurrency": args.concurrency,
        "failures": len(failures),
        "baseline_single_flow_ms": round(statistics.median(baseline), 1),
        "p50_vs_single_flow": round(percentile(latencies, 50) / statistics.median(baseline), 2),
    }
    print(
        f"[bench] {figures['n']} inspections completed in {args.duration}s with {args.concurrency} in flight: "
        f"{figures['flows_per_s']}/s, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"{len(failures)} failed"
    )
    if failures:
        print(f"[bench] first failure: {failures[0][:300]}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--baseline", type=int, default=3)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
