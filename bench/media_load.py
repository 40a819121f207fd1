"""The load process of make bench-media: publishers and viewers, kept out of the process under
test so their CPU is not counted as its own (they still share the machine's cores).

    python bench/media_load.py JOB.json

JOB: {"clip": ClipSpec fields, "cache_dir": ..., "match": "digest"|"count", "pairs": [{"name",
"whip_url", "publish_token", "whep_url", "view_token"} or {"name", "janus_url", "room"}]}. For each
pair a WhipPublisher sends the clip and, once it is connected, a WhepViewer (decode=False) receives
it; for a Janus pair the same peers join the pair's VideoRoom (bench/janus_videoroom.py). Talks over stdio, one line
each way:
    -> READY {...}                    every pair connected (or failed) and receiving
    <- REPORT <t0> <t1>               a window on time.monotonic() (the same clock in every process)
    -> RESULT {...}                   frames sent in the window, delivered, latencies (ms)
    <- STOP                           DELETE every resource, close, exit
    -> DONE {...}"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from janus_videoroom import JanusPublisher, JanusSubscriber

from rvi_platform.media_peers.clips import ClipFrame, ClipSpec, load_clip
from rvi_platform.media_peers.tracks import ClipTrack
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.media_peers.whip import WhipPublisher

GRACE_S = 1.0  # frames sent at the window's end get this long to arrive
CONNECTS_AT_ONCE = 4


def say(kind: str, body: dict[str, Any]) -> None:
    print(f"{kind} {json.dumps(body)}", flush=True)


@dataclass
class Pair:
    name: str
    track: ClipTrack
    publisher: WhipPublisher  # or its JanusPublisher subclass
    viewer: WhepViewer  # or its JanusSubscriber subclass
    error: str | None = None

    def window(self, t0: float, t1: float, match: str) -> dict[str, Any]:
        log = self.track.log
        sent = [t for t in log.by_pts.values() if t0 <= t <= t1]
        if match == "count":
            # A relay that re-encodes changes every byte: count frames, no latency.
            received = sum(1 for r in self.viewer.receipts if t0 <= r.received_at <= t1)
            return {"name": self.name, "expected": len(sent), "delivered": min(received, len(sent)), "latencies": []}
        delivered: dict[float, float] = {}
        for receipt in self.viewer.receipts:
            sent_at = log.sent_before(receipt.digest, receipt.received_at)
            if sent_at is not None and t0 <= sent_at <= t1 and sent_at not in delivered:
                delivered[sent_at] = (receipt.received_at - sent_at) * 1000
        return {
            "name": self.name,
            "expected": len(sent),
            "delivered": len(delivered),
            "latencies": [round(v, 2) for v in delivered.values()],
        }


async def connect(pairs: list[Pair], http: httpx.AsyncClient) -> None:
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def one(pair: Pair) -> None:
        try:
            async with gate:
                await pair.publisher.start()
            # The decode baseline answers a viewer only once the publisher's track has arrived.
            await asyncio.sleep(0.5)
            async with gate:
                await pair.viewer.start()
        except Exception as exc:  # reported with the pair's name, not hidden
            pair.error = f"{type(exc).__name__}: {exc}"

    await asyncio.gather(*(one(p) for p in pairs))

    async def first_frame(pair: Pair) -> None:
        if pair.error is None:
            with contextlib.suppress(TimeoutError):
                await pair.viewer.frames(1, within_s=15)

    await asyncio.gather(*(first_frame(p) for p in pairs))


async def main(job: dict[str, Any]) -> None:
    spec = ClipSpec(**job["clip"])
    frames: list[ClipFrame] = load_clip(spec, Path(job["cache_dir"]))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    # Janus peers hold a long-poll GET per session (two per pair) besides their requests.
    janus_limits = httpx.Limits(max_connections=4 * len(job["pairs"]) + 16, max_keepalive_connections=64)
    async with (
        httpx.AsyncClient(timeout=60, limits=limits) as http,
        httpx.AsyncClient(timeout=60, limits=janus_limits) as janus_http,
    ):
        pairs = []
        for p in job["pairs"]:
            track = ClipTrack(frames, spec.codec, fps=spec.fps)
            publisher: WhipPublisher
            viewer: WhepViewer
            if p.get("janus_url"):
                publisher = JanusPublisher(p["janus_url"], p["room"], track, client=janus_http)
                viewer = JanusSubscriber(p["janus_url"], p["room"], publisher, client=janus_http)
            else:
                publisher = WhipPublisher(p["whip_url"], p["publish_token"], track, codec=spec.codec, client=http)
                viewer = WhepViewer(p["whep_url"], p["view_token"], codecs=(spec.codec,), client=http)
            pairs.append(Pair(name=p["name"], track=track, publisher=publisher, viewer=viewer))
        began = time.monotonic()
        await connect(pairs, http)
        say(
            "READY",
            {
                "connected": sum(1 for p in pairs if p.error is None),
                "receiving": sum(1 for p in pairs if p.viewer.frames_received),
                "errors": {p.name: p.error for p in pairs if p.error},
                "connect_s": round(time.monotonic() - began, 2),
                "first_frame_ms": [
                    round((p.viewer.first_frame_at - p.track.log.first_sent_at) * 1000, 1)
                    for p in pairs
                    if p.viewer.first_frame_at and p.track.log.first_sent_at
                ],
            },
        )
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, *rest = line.split()
            if command == "REPORT":
                t0, t1 = float(rest[0]), float(rest[1])
                await asyncio.sleep(max(0.0, t1 + GRACE_S - time.monotonic()))
                say("RESULT", {"pairs": [p.window(t0, t1, job["match"]) for p in pairs if p.error is None]})
            elif command == "STOP":
                # Viewers first: a feed's viewers may go with its publisher.
                statuses = await asyncio.gather(*(p.viewer.close() for p in pairs), return_exceptions=True)
                statuses += await asyncio.gather(*(p.publisher.close() for p in pairs), return_exceptions=True)
                outcomes: dict[str, int] = {}
                for status in statuses:
                    key = type(status).__name__ if isinstance(status, BaseException) else str(status)
                    outcomes[key] = outcomes.get(key, 0) + 1
                say("DONE", {"deleted": outcomes.get("200", 0), "of": len(statuses), "outcomes": outcomes})
                return


if __name__ == "__main__":
    # A Ctrl-C at the terminal reaches the whole process group: the bench stops this process
    # itself (and an ended bench closes its stdin, which ends it too).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
    else:
        uvloop.run(main(json.loads(Path(sys.argv[1]).read_text())))
