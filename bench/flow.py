"""make bench-flow: N concurrent Cixi inspections pushed through all four services.

Starts its own embedded stack (PostgreSQL, broker, four service processes) on free ports,
measures one flow alone as the baseline, then keeps `--concurrency` flows in flight for
`--duration` seconds. Over that window it reads from /proc the CPU time of each service process,
of PostgreSQL (postmaster and backends) and of the broker, and divides by the inspections
completed in the window; the same less what each process spends idle (measured for `--idle-s`
after the baseline) is the cost of an inspection itself, whatever the throughput. Each flow includes the enterprise's equipment test over WHIP: the gateway
measures the published camera for `--equipment-window-s` (10 s in production; 2 s here by default,
since the target is about the control path and a 10 s window caps 24 flows in flight at ~2/s).
A flow waits at most `--flow-timeout` seconds for any one state; a failed flow's reason is
printed (the Problem Details or the last state seen), counted by reason. The last line printed is
one JSON object: {"flows_per_s", "p50_ms", "p99_ms", "cpu_ms_per_flow", "n", ...} with the per-process split
under "cpu_ms_per_flow_by_process"."""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from proc_cpu import CpuMeter

from rvi_platform.demo import Endpoints, enter_calendar_years, run_flow
from rvi_platform.embedded.ports import free_port
from rvi_platform.services import SERVICES
from rvi_platform.stack import Stack
from rvi_shared.clock import FileOffsetClock

NO_SHOW_GRACE_DAYS = 365


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def main(args: argparse.Namespace) -> dict[str, float | int]:
    home = Path(tempfile.mkdtemp(prefix="rvi-bench-"))
    os.environ["RVI_VIDEO_GATEWAY_EQUIPMENT_WINDOW_S"] = str(args.equipment_window_s)
    # Every flow moves the one shared clock to its own slot; with many in flight, slots spread
    # over as many days as the roster needs to staff them, and a flow whose slot the clock
    # overtook by more than the grace was declared a no-show and moved ("too early" to start).
    os.environ.setdefault("RVI_SCHEDULING_NO_SHOW_GRACE_MINUTES", str(NO_SHOW_GRACE_DAYS * 24 * 60))
    stack = Stack(home=home, ports={s.name: free_port() for s in SERVICES}, broker_port=free_port())
    await stack.start(lambda m: print(f"[bench] {m}", flush=True))
    endpoints = Endpoints(
        stack.url("eligibility"), stack.url("scheduling"), stack.url("video-gateway"), stack.url("documents")
    )
    pids = {p.service.name: p.process.pid for p in stack.processes if p.process is not None}
    if stack.postgres is not None and stack.postgres.pid is not None:
        pids["postgresql"] = stack.postgres.pid
    if stack.broker is not None and stack.broker.pid is not None:
        pids["broker"] = stack.broker.pid
    meter = CpuMeter(pids)
    # The bench process alone: the services and the broker are its children (CpuMeter's trees).
    bench_meter = CpuMeter({"bench client": os.getpid()}, own_only=True)
    limits = httpx.Limits(max_connections=args.concurrency * 4, max_keepalive_connections=args.concurrency * 4)
    clock = FileOffsetClock(stack.clock_file)
    try:
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            # Each flow moves the shared clock past its notice period (3 days or more), so a run
            # walks it weeks ahead: past the last year of official calendar data, where
            # scheduling refuses every day (DOMAIN 9). The years ahead are entered as an operator
            # would, weekdays only (bench data).
            this_year = clock.now().year
            entered = await enter_calendar_years(
                client,
                stack.url("scheduling"),
                stack.jwt_secret,
                [this_year, this_year + 1, this_year + 2],
                "bench data for {year}: weekdays, no holidays (the bench's shared clock walks ahead)",
            )
            if entered:
                print(f"[bench] calendar: {entered} entered as weekdays only (no official data for them)")
            baseline = []
            for _ in range(args.baseline):
                result = await run_flow(client, endpoints, stack.jwt_secret, str(stack.clock_file))
                baseline.append(result.seconds * 1000)
            print(f"[bench] baseline: one flow alone, median {statistics.median(baseline):.0f} ms over {len(baseline)}")
            # What the stack spends with nothing to do (the consumers' fetches, timers, the
            # relays' checks): flows above it are what each inspection costs, at any throughput.
            meter.start()
            await asyncio.sleep(args.idle_s)
            idle_ms_per_s = {name: used * 1000 / args.idle_s for name, used in meter.stop().items()}

            latencies: list[float] = []  # flows begun and ended inside the window
            ended_in_window: list[float] = []
            completed_in_window = 0
            failures: list[str] = []
            deadline = time.monotonic() + args.warmup + args.duration
            measure_from = time.monotonic() + args.warmup
            measured_end = measure_from + args.duration

            async def measure() -> None:
                await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
                meter.start()
                bench_meter.start()
                await asyncio.sleep(max(0.0, measured_end - time.monotonic()))
                meter.stop()
                bench_meter.stop()

            async def worker() -> None:
                nonlocal completed_in_window
                while time.monotonic() < deadline:
                    begun = time.monotonic()
                    try:
                        result = await run_flow(
                            client, endpoints, stack.jwt_secret, str(stack.clock_file), timeout_s=args.flow_timeout
                        )
                    except Exception as exc:  # counted, reported, not hidden
                        failures.append(f"{type(exc).__name__}: {exc}")
                        continue
                    finished = time.monotonic()
                    if measure_from <= finished <= measured_end:
                        completed_in_window += 1
                        ended_in_window.append(result.seconds * 1000)
                    if begun >= measure_from and finished <= measured_end:
                        latencies.append(result.seconds * 1000)

            await asyncio.gather(measure(), *(worker() for _ in range(args.concurrency)))
        walked = clock.now() - datetime.now(UTC)
        print(f"[bench] the shared clock walked {walked.days} days ahead, to {clock.now():%Y-%m-%d}")
    finally:
        await asyncio.to_thread(stack.stop)

    if not completed_in_window:
        reasons = collections.Counter(f[:300] for f in failures).most_common(5)
        raise SystemExit(f"no flow completed inside the window; failures: {reasons}")
    latency_of = "flows begun and ended in the window"
    if not latencies:  # each flow outlasts the window: the latencies of those that ended in it
        latencies, latency_of = ended_in_window, "flows ended in the window (none began and ended in it)"
    cpu_by_process = {name: round(used * 1000 / completed_in_window, 1) for name, used in sorted(meter.used_s.items())}
    above_idle = {
        name: round((used * 1000 - idle_ms_per_s[name] * args.duration) / completed_in_window, 1)
        for name, used in sorted(meter.used_s.items())
    }
    figures = {
        "flows_per_s": round(completed_in_window / args.duration, 2),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "latency_of": latency_of,
        "cpu_ms_per_flow": round(sum(cpu_by_process.values()), 1),
        "n": completed_in_window,
        "cpu_ms_per_flow_by_process": cpu_by_process,
        "idle_cpu_ms_per_s": {name: round(ms, 1) for name, ms in sorted(idle_ms_per_s.items())},
        "cpu_ms_per_flow_above_idle": round(sum(above_idle.values()), 1),
        "cpu_ms_per_flow_above_idle_by_process": above_idle,
        "bench_client_cpu_ms_per_flow": round(bench_meter.used_s["bench client"] * 1000 / completed_in_window, 1),
        "concurrency": args.concurrency,
        "equipment_window_s": args.equipment_window_s,
        "failures": len(failures),
        "baseline_single_flow_ms": round(statistics.median(baseline), 1),
        "p50_vs_single_flow": round(percentile(latencies, 50) / statistics.median(baseline), 2),
    }
    print(
        f"[bench] {figures['n']} inspections completed in {args.duration}s with {args.concurrency} in flight: "
        f"{figures['flows_per_s']}/s, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms ({latency_of}), "
        f"{len(failures)} failed"
    )
    print(
        f"[bench] CPU per completed inspection: {figures['cpu_ms_per_flow']} ms over the services, PostgreSQL and the broker"
    )
    print(f"[bench]   {'':14s} {'per flow':>11s} {'above idle':>11s} {'idle ms/s':>10s}")
    for name, ms in cpu_by_process.items():
        print(f"[bench]   {name:14s} {ms:8.1f} ms {above_idle[name]:8.1f} ms {idle_ms_per_s[name]:10.1f}")
    print(
        f"[bench]   (the bench process itself, with the stack's SMTP server: "
        f"{figures['bench_client_cpu_ms_per_flow']} ms, not counted)"
    )
    for reason, count in collections.Counter(f[:300] for f in failures).most_common():
        print(f"[bench] failed {count}x: {reason}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--baseline", type=int, default=3)
    parser.add_argument("--idle-s", type=float, default=10.0, help="the idle stack's CPU measured this long")
    parser.add_argument("--flow-timeout", type=float, default=120.0, help="seconds a flow may wait for any one state")
    parser.add_argument("--equipment-window-s", type=float, default=2.0, help="the equipment test's measured window")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
