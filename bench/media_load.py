"""The load process of make bench-media: publishers and viewers, kept out of the process under
test so their CPU is not counted as its own (they still share the machine's cores).

    python bench/media_load.py JOB.json

JOB: {"clip": ClipSpec fields, "cache_dir": ..., "match": "digest"|"count", "pairs": [{"name",
"whip_url", "publish_token", "whep_url", "view_token", "audio", "viewers", "talkback_whip_url",
"talkback_publish_token", "talkback_whep_url", "talkback_listen_token"} or {"name", "janus_url",
"room"}]}. For each pair a WhipPublisher sends the clip (with "audio", also 20 ms Opus packets
pre-encoded once per process) and, once it is connected, "viewers" WhepViewers (decode=False; with
audio when the pair has it) receive it; a pair with a talk-back feed also has an audio-only
WhipPublisher (the officer's voice) and an audio-only WhepViewer (the enterprise listening). For a
Janus pair one publisher and one subscriber join the pair's VideoRoom (bench/janus_videoroom.py).
Talks over stdio, one line each way:
    -> READY {...}                    every pair connected (or failed) and receiving
    <- REPORT <t0> <t1>               a window on time.monotonic() (the same clock in every process)
    -> RESULT {...}                   per pair: video frames and audio packets sent in the window
                                      times their receivers, delivered, latencies (ms)
    <- STOP                           DELETE every resource, close, exit
    -> DONE {...}"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import signal
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
from janus_videoroom import JanusPublisher, JanusSubscriber

from rvi_platform.media_peers.clips import ClipFrame, ClipSpec, load_clip
from rvi_platform.media_peers.tracks import AudioClip, AudioClipTrack, ClipTrack, encode_audio_clip
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.media_peers.whip import WhipPublisher
from rvi_video_gateway.media.packets import EncodedFrame

GRACE_S = 1.0  # frames sent at the window's end get this long to arrive
CONNECTS_AT_ONCE = 4
AUDIO_CLIP_S = 10.0  # longer than any delay measured, so a packet's digest names one send


def say(kind: str, body: dict[str, Any]) -> None:
    print(f"{kind} {json.dumps(body)}", flush=True)


class LoggedAudioTrack(AudioClipTrack):
    """An AudioClipTrack that also keeps when each packet went to the sender, by digest."""

    def __init__(self, clip: AudioClip) -> None:
        super().__init__(clip)
        self.clip_digests = [hashlib.sha1(data).digest() for data in clip.packets]
        self.sent_at: defaultdict[bytes, list[float]] = defaultdict(list)
        self.times: list[float] = []

    async def recv(self) -> av.Packet:
        digest = self.clip_digests[self.sent % len(self.clip_digests)]
        packet = await super().recv()
        now = time.monotonic()
        self.sent_at[digest].append(now)
        self.times.append(now)
        return packet

    def sent_before(self, digest: bytes, received_at: float) -> float | None:
        for sent_at in reversed(self.sent_at.get(digest, ())):
            if sent_at <= received_at:
                return sent_at
        return None


class AudioLoggingViewer(WhepViewer):
    """A WhepViewer that keeps each audio packet's arrival with its digest."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.audio_receipts: list[tuple[bytes, float]] = []

    def _on_audio(self, frame: EncodedFrame) -> None:
        super()._on_audio(frame)
        if frame.audio:
            self.audio_receipts.append((self.audio_digests[-1], frame.received_at))


def audio_window(track: LoggedAudioTrack, listeners: list[AudioLoggingViewer], t0: float, t1: float) -> dict[str, Any]:
    sent = sum(1 for t in track.times if t0 <= t <= t1)
    delivered = 0
    latencies: list[float] = []
    for listener in listeners:
        seen: set[float] = set()
        for digest, received_at in listener.audio_receipts:
            sent_at = track.sent_before(digest, received_at)
            if sent_at is not None and t0 <= sent_at <= t1 and sent_at not in seen:
                seen.add(sent_at)
                latencies.append(round((received_at - sent_at) * 1000, 2))
        delivered += len(seen)
    return {"expected": sent * len(listeners), "delivered": delivered, "latencies": latencies}


@dataclass
class Pair:
    name: str
    track: ClipTrack
    publisher: WhipPublisher  # or its JanusPublisher subclass
    viewers: list[WhepViewer]  # or one JanusSubscriber
    audio: LoggedAudioTrack | None = None
    talkback: WhipPublisher | None = None  # an officer's voice, audio only
    talkback_audio: LoggedAudioTrack | None = None
    listener: AudioLoggingViewer | None = None  # the enterprise hearing it
    error: str | None = None

    def window(self, t0: float, t1: float, match: str) -> dict[str, Any]:
        log = self.track.log
        sent = [t for t in log.by_pts.values() if t0 <= t <= t1]
        result: dict[str, Any] = {"name": self.name, "expected": len(sent) * len(self.viewers)}
        if match == "count":
            # A relay that re-encodes changes every byte: count frames, no latency.
            received = [sum(1 for r in v.receipts if t0 <= r.received_at <= t1) for v in self.viewers]
            result |= {"delivered": sum(min(r, len(sent)) for r in received), "latencies": []}
        else:
            latencies: list[float] = []
            for viewer in self.viewers:
                delivered: dict[float, float] = {}
                for receipt in viewer.receipts:
                    sent_at = log.sent_before(receipt.digest, receipt.received_at)
                    if sent_at is not None and t0 <= sent_at <= t1 and sent_at not in delivered:
                        delivered[sent_at] = (receipt.received_at - sent_at) * 1000
                latencies.extend(round(v, 2) for v in delivered.values())
            result |= {"delivered": len(latencies), "latencies": latencies}
        if self.audio is not None:
            listeners = [v for v in self.viewers if isinstance(v, AudioLoggingViewer)]
            result["audio"] = audio_window(self.audio, listeners, t0, t1)
        if self.talkback_audio is not None and self.listener is not None:
            result["talkback"] = audio_window(self.talkback_audio, [self.listener], t0, t1)
        return result


async def connect(pairs: list[Pair]) -> None:
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def one(pair: Pair) -> None:
        try:
            async with gate:
                await pair.publisher.start()
            # The decode baseline answers a viewer only once the publisher's track has arrived.
            await asyncio.sleep(0.5)
            for viewer in pair.viewers:
                async with gate:
                    await viewer.start()
            if pair.talkback is not None and pair.listener is not None:
                async with gate:
                    await pair.talkback.start()
                async with gate:
                    await pair.listener.start()
        except Exception as exc:  # reported with the pair's name, not hidden
            pair.error = f"{type(exc).__name__}: {exc}"

    await asyncio.gather(*(one(p) for p in pairs))

    async def first_frame(pair: Pair) -> None:
        if pair.error is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.gather(*(v.frames(1, within_s=15) for v in pair.viewers))
                if pair.listener is not None:
                    await pair.listener.audio_arrived(1, within_s=15)

    await asyncio.gather(*(first_frame(p) for p in pairs))


def make_pair(
    p: dict[str, Any],
    spec: ClipSpec,
    frames: list[ClipFrame],
    voice: AudioClip | None,
    http: httpx.AsyncClient,
    janus_http: httpx.AsyncClient,
) -> Pair:
    track = ClipTrack(frames, spec.codec, fps=spec.fps)
    if p.get("janus_url"):
        publisher = JanusPublisher(p["janus_url"], p["room"], track, client=janus_http)
        return Pair(
            p["name"], track, publisher, [JanusSubscriber(p["janus_url"], p["room"], publisher, client=janus_http)]
        )
    audio = LoggedAudioTrack(voice) if p.get("audio") and voice is not None else None
    publisher = WhipPublisher(p["whip_url"], p["publish_token"], track, codec=spec.codec, client=http, audio=audio)
    viewer_type = AudioLoggingViewer if audio is not None else WhepViewer
    viewers: list[WhepViewer] = [
        viewer_type(p["whep_url"], p["view_token"], codecs=(spec.codec,), client=http, audio=audio is not None)
        for _ in range(p.get("viewers", 1))
    ]
    pair = Pair(p["name"], track, publisher, viewers, audio=audio)
    if p.get("talkback_whip_url") and voice is not None:
        pair.talkback_audio = LoggedAudioTrack(voice)
        pair.talkback = WhipPublisher(
            p["talkback_whip_url"], p["talkback_publish_token"], None, client=http, audio=pair.talkback_audio
        )
        pair.listener = AudioLoggingViewer(
            p["talkback_whep_url"], p["talkback_listen_token"], client=http, audio=True, video=False
        )
    return pair


async def main(job: dict[str, Any]) -> None:
    spec = ClipSpec(**job["clip"])
    frames: list[ClipFrame] = load_clip(spec, Path(job["cache_dir"]))
    wants_audio = any(p.get("audio") or p.get("talkback_whip_url") for p in job["pairs"])
    # Encoded once per process (libopus, 20 ms packets); each track only hands the packets out.
    voice = encode_audio_clip("opus", seconds=AUDIO_CLIP_S) if wants_audio else None
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    # Janus peers hold a long-poll GET per session (two per pair) besides their requests.
    janus_limits = httpx.Limits(max_connections=4 * len(job["pairs"]) + 16, max_keepalive_connections=64)
    async with (
        httpx.AsyncClient(timeout=60, limits=limits) as http,
        httpx.AsyncClient(timeout=60, limits=janus_limits) as janus_http,
    ):
        pairs = [make_pair(p, spec, frames, voice, http, janus_http) for p in job["pairs"]]
        began = time.monotonic()
        await connect(pairs)
        say(
            "READY",
            {
                "connected": sum(1 for p in pairs if p.error is None),
                "receiving": sum(1 for p in pairs if all(v.frames_received for v in p.viewers)),
                "errors": {p.name: p.error for p in pairs if p.error},
                "connect_s": round(time.monotonic() - began, 2),
                "first_frame_ms": [
                    round((p.viewers[0].first_frame_at - p.track.log.first_sent_at) * 1000, 1)
                    for p in pairs
                    if p.viewers[0].first_frame_at and p.track.log.first_sent_at
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
                # Receivers first: a feed's viewers may go with its publisher.
                receivers = [v for p in pairs for v in p.viewers] + [p.listener for p in pairs if p.listener]
                senders = [p.publisher for p in pairs] + [p.talkback for p in pairs if p.talkback]
                statuses = await asyncio.gather(*(r.close() for r in receivers), return_exceptions=True)
                statuses += await asyncio.gather(*(s.close() for s in senders), return_exceptions=True)
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
