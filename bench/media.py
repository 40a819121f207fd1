"""make bench-media: N concurrent inspection sessions through the video gateway, for rising N,
beside Debian's Janus carrying the same load and aiortc's decode + re-encode relay, in one run.

A full session, the call as conducted: one WHIP publisher (the enterprise's camera and microphone)
of a 720p25 H.264 clip at 2 Mb/s with Opus audio in 20 ms packets (both pre-encoded, sent as
received by a camera would be) → the gateway → two WHEP officer viewers that take video and audio
without decoding; one talk-back feed, an officer publishing Opus over WHIP (audio only) that the
enterprise's WHEP listener receives; and a recording of the camera's feed (video + audio). The
video-only session, measured on the same gateway in the same run after each N's full round: one
publisher without audio, one viewer, a recording. Publishers and viewers run in separate load
processes (bench/media_load.py), so the gateway's CPU (utime + stime from /proc/<pid>/stat over
the measurement window) is its own; they still share this machine's cores with it, and their CPU
is printed next to it.

Per N: gateway CPU per session (% of one core), memory per session (RSS above the idle gateway,
divided by N), frames delivered / sent times viewers (matched by a digest of each frame's bytes,
which a relay that forwards as received keeps), audio packets delivered / sent times listeners
(the same matching, for the viewers and for the talk-back's listener), added latency p50/p95 (the
publisher handing a frame to its sender → the frame's last packet reaching the viewer; audio's
p95 printed apart). Each kind of session stops after its first N below 99 % delivered (frames or
audio packets, whichever is lower) or with the machine's CPU saturated. Each N runs in turn on
the gateway (full, then video only) and on Debian's Janus, the reference SFU, which carries the
video-only session and is compared with it (bench/janus_videoroom.py: generated configuration with only the VideoRoom
plugin and the HTTP transport, one room per session, H.264 relayed as received, so frames are
matched by the same digests), once plain and once with the rooms recording (.mjr files: the RTP
packets as received), so that all three meet the same minutes of the machine's other load; Janus's
CPU and RSS are read from /proc the same way. Then the baseline
(bench/media_baseline.py, aiortc defaults: decode, MediaRelay, re-encode) with 1 and 2 streams for
its CPU per stream.

Everything the run makes lives in one temporary folder (under $TMPDIR) that is removed when it
ends, fails or is stopped with Ctrl-C or SIGTERM; child processes are stopped with it.

`--target passthrough` runs the ramp against bench/media_baseline.py --relay passthrough instead
of the gateway (no recordings): aiortc forwarding as received, a reference and a check of the
bench itself. The last line printed is one JSON object: the gateway's full-session figures at the largest N
it carried (`sessions`, `cpu_pct_per_session`, `audio_delivered_pct`, `mb_per_session`,
`p95_added_ms`), `video_only_sessions` / `video_only_cpu_pct_per_session` likewise, `vs_decode_x`
(aiortc's decode relay per stream over the full session), `transcode_pct_per_stream` (bench/media_transcode.py: the gateway's
transcoding pool for one 720p25 H.265 camera watched as H.264, measured on the gateway of the run
after its ramp), and `janus_cpu_pct_per_session` / `vs_janus_x` at the largest N both the
gateway's video-only session and Janus carried at >= 99 % (null when there is none)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from janus_videoroom import VIDEOROOM, JanusError, JanusServer, JanusSession, write_config
from media_transcode import transcode_pct

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_platform.embedded.ports import free_port, wait_for_port
from rvi_platform.embedded.postgres import EmbeddedPostgres, ensure_database
from rvi_platform.media_peers.clips import ClipSpec, default_cache_dir, load_clip
from rvi_platform.session_events import session_opening_events
from rvi_shared.auth import Role, mint_token
from rvi_shared.events import new_event, topic_for
from rvi_shared.identifiers import example_uscc
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.settings import DEV_JWT_SECRET

BENCH_DIR = Path(__file__).resolve().parent
CLIP = ClipSpec(codec="h264", width=1280, height=720, fps=25, seconds=10.0, bitrate=2_000_000, keyframe_interval=50)
TICKS = os.sysconf("SC_CLK_TCK")
DELIVERY_FLOOR = 0.99
SATURATED = 0.95


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# --- /proc ---


@dataclass(frozen=True)
class Sample:
    at: float
    cpu_s: float
    rss_mb: float


def sample(pid: int) -> Sample:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    rss_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS")
    )
    return Sample(time.monotonic(), (utime + stime) / TICKS, rss_kb / 1024)


def core_pct(a: Sample, b: Sample) -> float:
    return (b.cpu_s - a.cpu_s) / (b.at - a.at) * 100


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


# --- what is measured: the gateway, or a baseline server ---


@dataclass
class PairSpec:
    name: str
    whip_url: str
    publish_token: str
    whep_url: str
    view_token: str
    session_id: str | None = None
    feed_id: str | None = None
    janus_url: str | None = None  # Janus pairs: its HTTP API and the VideoRoom of the session
    room: int | None = None
    audio: bool = False  # the publisher also sends Opus, and its viewers take it
    viewers: int = 1
    talkback_whip_url: str | None = None  # an officer's voice, published audio only
    talkback_publish_token: str | None = None
    talkback_whep_url: str | None = None  # the enterprise listening to it
    talkback_listen_token: str | None = None


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.name, self.port = name, port
        self.log = log
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, path: str | None, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        wait_for_port("127.0.0.1", self.port, timeout_s)
        while path and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class BaselineTarget:
    """bench/media_baseline.py: streams named per round, no sessions, no recordings."""

    records = False

    def __init__(self, relay: str, home: Path) -> None:
        self.relay = relay
        self.port = free_port()
        self.server = Server(
            f"baseline-{relay}",
            [sys.executable, str(BENCH_DIR / "media_baseline.py"), f"--port={self.port}", f"--relay={relay}"],
            {},
            self.port,
            home / f"baseline-{relay}.log",
        )
        self.round = 0

    @property
    def label(self) -> str:
        return f"aiortc {self.relay} relay"

    async def start(self) -> None:
        await asyncio.to_thread(self.server.wait_ready, "/health")

    async def prepare(self, n: int) -> list[PairSpec]:
        self.round += 1
        base = f"http://127.0.0.1:{self.port}"
        names = [f"r{self.round}s{i}" for i in range(n)]
        return [PairSpec(name, f"{base}/whip/{name}", "-", f"{base}/whep/{name}", "-") for name in names]

    async def start_recordings(self, pairs: list[PairSpec]) -> None:
        return None

    async def stop_recordings(self) -> list[dict[str, Any]]:
        return []

    async def finish(self, pairs: list[PairSpec]) -> None:
        return None

    @property
    def pid(self) -> int:
        return self.server.pid

    async def close(self) -> None:
        self.server.stop()


class GatewayTarget:
    """The video gateway (`python -m rvi_video_gateway`) on an embedded PostgreSQL and broker.
    Sessions are opened as scheduling would (requested, scheduled, ready on the broker), started
    by a team officer, and given one WebRTC feed each; each feed is recorded during the round.
    A full session (`full`) is the call as conducted: camera + microphone, two officer viewers
    with audio, and a talk-back feed an officer publishes and the enterprise listens to; with
    `full=False` it is the older video-only session (one viewer, no audio)."""

    records = True
    label = "video gateway, full sessions"
    full = True

    def __init__(self, home: Path) -> None:
        self.home = home
        self.secret = os.environ.get("RVI_JWT_SECRET", DEV_JWT_SECRET)
        self.officer = mint_token(
            self.secret, role=Role.OFFICER, subject="O1", credential_no="NB-0001", district="Ningbo", ttl_s=6 * 3600
        )
        self.system = mint_token(self.secret, role=Role.SYSTEM, subject="bench-media", ttl_s=6 * 3600)
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.server: Server | None = None
        self.producer: Any = None
        self.http: httpx.AsyncClient | None = None
        self.recordings: list[tuple[str, str]] = []

    async def start(self) -> None:
        database_url = os.environ.get("RVI_DATABASE_URL")
        if not database_url:
            self.postgres = EmbeddedPostgres(self.home / "pg")
            admin_url = await asyncio.to_thread(self.postgres.start)
            database_url = await ensure_database(admin_url, f"rvi_bench_media_{uuid.uuid4().hex[:8]}")
        bootstrap = os.environ.get("RVI_KAFKA_BOOTSTRAP")
        if not bootstrap:
            self.broker = EmbeddedBroker(free_port(), log_path=self.home / "broker.log")
            bootstrap = await asyncio.to_thread(self.broker.start)
        await ensure_topics(bootstrap, 6)
        port = free_port()
        self.server = Server(
            "video-gateway",
            [sys.executable, "-m", "rvi_video_gateway"],
            {
                "RVI_DATABASE_URL": database_url,
                "RVI_KAFKA_BOOTSTRAP": bootstrap,
                "RVI_VIDEO_GATEWAY_PORT": str(port),
                "RVI_JWT_SECRET": self.secret,
                "RVI_VIDEO_GATEWAY_KEY_DIR": str(self.home / "keys"),
                "RVI_VIDEO_GATEWAY_EVIDENCE_DIR": str(self.home / "evidence"),
                # The transcoding figure's camera is a GStreamer RTSP server on this machine.
                "RVI_VIDEO_GATEWAY_RTSP_ALLOW": '["127.0.0.0/8"]',
                "RVI_LOG_LEVEL": "WARNING",
            },
            port,
            self.home / "video-gateway.log",
        )
        await asyncio.to_thread(self.server.wait_ready, "/readyz")
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
        self.producer = make_producer(bootstrap)
        await self.producer.start()

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def open_session(self, index: int, full: bool = False) -> PairSpec:
        assert self.http is not None
        inspection_id, enterprise_id = str(uuid.uuid4()), example_uscc(f"ENT-BENCH-{index:03d}")
        now = datetime.now(UTC)
        slot_start = now + timedelta(minutes=30)
        for type_name, data in session_opening_events(inspection_id, enterprise_id, now, slot_start):
            event = new_event(type=type_name, source="/rvi/scheduling", subject=inspection_id, data=data, time=now)
            await self.producer.send_and_wait(topic_for(type_name), value=event.to_json(), key=inspection_id.encode())
        deadline = time.monotonic() + 60
        while True:
            response = await self.http.get(f"/v1/inspections/{inspection_id}/session", headers=self.auth(self.system))
            if response.status_code == 200:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no session for inspection {inspection_id}: {response.status_code}")
            await asyncio.sleep(0.1)
        session_id = response.json()["session_id"]
        started = await self.http.post(f"/v1/sessions/{session_id}/start", headers=self.auth(self.officer))
        if started.status_code != 200:
            raise RuntimeError(f"start session: {started.status_code} {started.text[:300]}")
        feed = await self.http.post(
            f"/v1/sessions/{session_id}/feeds",
            json={"kind": "webrtc", "label": f"bench camera {index}"},
            headers=self.auth(self.officer),
        )
        if feed.status_code != 201:
            raise RuntimeError(f"create feed: {feed.status_code} {feed.text[:300]}")
        body = feed.json()
        pair = PairSpec(
            name=f"s{index}",
            whip_url=body["whip_url"],
            publish_token=body["publish_token"],
            whep_url=body["whep_url"],
            view_token=body["view_token"],
            session_id=session_id,
            feed_id=body["feed_id"],
        )
        if full:
            await self.add_talkback(pair, enterprise_id)
        return pair

    async def add_talkback(self, pair: PairSpec, enterprise_id: str) -> None:
        """Audio and two viewers on the camera's feed; a talk-back feed by an officer, and the
        enterprise's listening token for it."""
        assert self.http is not None
        feeds = f"/v1/sessions/{pair.session_id}/feeds"
        talkback = await self.http.post(
            feeds, json={"kind": "talkback", "label": f"officer {pair.name}"}, headers=self.auth(self.officer)
        )
        if talkback.status_code != 201:
            raise RuntimeError(f"create talk-back feed: {talkback.status_code} {talkback.text[:300]}")
        body = talkback.json()
        enterprise = mint_token(
            self.secret,
            role=Role.ENTERPRISE,
            subject=f"rep-{enterprise_id}",
            enterprise_id=enterprise_id,
            ttl_s=6 * 3600,
        )
        listen = await self.http.post(
            f"{feeds}/{body['feed_id']}/tokens", json={"scope": "view"}, headers=self.auth(enterprise)
        )
        if listen.status_code != 200:
            raise RuntimeError(f"talk-back listening token: {listen.status_code} {listen.text[:300]}")
        pair.audio, pair.viewers = True, 2
        pair.talkback_whip_url, pair.talkback_publish_token = body["whip_url"], body["publish_token"]
        pair.talkback_whep_url, pair.talkback_listen_token = body["whep_url"], listen.json()["view_token"]

    async def prepare(self, n: int, full: bool | None = None) -> list[PairSpec]:
        gate = asyncio.Semaphore(8)
        full = self.full if full is None else full

        async def one(index: int) -> PairSpec:
            async with gate:
                return await self.open_session(index, full)

        return list(await asyncio.gather(*(one(i) for i in range(n))))

    async def start_recordings(self, pairs: list[PairSpec]) -> None:
        assert self.http is not None

        async def one(pair: PairSpec) -> tuple[str, str]:
            assert self.http is not None
            response = await self.http.post(
                f"/v1/sessions/{pair.session_id}/recordings",
                json={"feed_id": pair.feed_id, "kind": "other", "note": "bench-media"},
                headers=self.auth(self.officer),
            )
            if response.status_code != 201:
                raise RuntimeError(f"start recording: {response.status_code} {response.text[:300]}")
            return str(pair.session_id), str(response.json()["recording_id"])

        self.recordings = list(await asyncio.gather(*(one(pair) for pair in pairs)))

    async def stop_recordings(self) -> list[dict[str, Any]]:
        async def one(session_id: str, recording_id: str) -> dict[str, Any]:
            assert self.http is not None
            response = await self.http.post(
                f"/v1/sessions/{session_id}/recordings/{recording_id}/stop", headers=self.auth(self.officer)
            )
            if response.status_code != 200:
                return {"error": f"{response.status_code} {response.text[:200]}"}
            return dict(response.json())

        stopped = list(await asyncio.gather(*(one(s, r) for s, r in self.recordings)))
        self.recordings = []
        return stopped

    async def transcode_pct(self, window_s: float) -> float:
        """The transcoding pool's CPU for one 720p25 H.265 camera watched as H.264, in a session of its own."""
        assert self.http is not None
        own = await self.open_session(10_000)
        return await transcode_pct(self.http, f"/v1/sessions/{own.session_id}/feeds", self.auth(self.officer), window_s)

    async def finish(self, pairs: list[PairSpec]) -> None:
        assert self.http is not None
        for pair in pairs:
            await self.http.post(
                f"/v1/sessions/{pair.session_id}/end", json={"conclusion": "bench"}, headers=self.auth(self.officer)
            )

    @property
    def pid(self) -> int:
        assert self.server is not None
        return self.server.pid

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()
        if self.producer is not None:
            await self.producer.stop()
        if self.server is not None:
            self.server.stop()
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


class VideoOnlyTarget:
    """The same running gateway with the older video-only sessions (one publisher without audio,
    one viewer, a recording): the figure the full session is compared with."""

    records = True
    label = "video gateway, video only"

    def __init__(self, gateway: GatewayTarget) -> None:
        self.gateway = gateway

    async def start(self) -> None:
        return None  # started as the ramp's first target

    async def prepare(self, n: int) -> list[PairSpec]:
        return await self.gateway.prepare(n, full=False)

    async def start_recordings(self, pairs: list[PairSpec]) -> None:
        await self.gateway.start_recordings(pairs)

    async def stop_recordings(self) -> list[dict[str, Any]]:
        return await self.gateway.stop_recordings()

    async def finish(self, pairs: list[PairSpec]) -> None:
        await self.gateway.finish(pairs)

    @property
    def pid(self) -> int:
        return self.gateway.pid

    async def close(self) -> None:
        return None  # closed with the gateway


class JanusTarget:
    """Debian's Janus (bench/janus_videoroom.py): one VideoRoom per session (one publisher, H.264
    only, no transcoding), created before each round over the HTTP API and destroyed after it.
    With `record`, each room records its publisher (Janus's .mjr files: the RTP packets as
    received, in the round's folder, removed after the round)."""

    def __init__(self, home: Path, record: bool) -> None:
        self.home, self.records = home / ("janus-rec" if record else "janus"), record
        self.port = free_port()
        self.server: JanusServer | None = None
        self.http: httpx.AsyncClient | None = None
        self.control: JanusSession | None = None
        self.handle = 0
        self.rooms = itertools.count(random.randrange(1_000_000, 2_000_000_000, 1000))
        self.round_dir: Path | None = None
        self.round_rooms: list[int] = []

    @property
    def label(self) -> str:
        return "janus videoroom, recording" if self.records else "janus videoroom"

    async def start(self) -> None:
        config = await asyncio.to_thread(write_config, self.home / "config", self.port)
        self.server = JanusServer(config, self.port, self.home / "janus.log")
        info = await asyncio.to_thread(self.server.wait_ready)
        say(
            f"{self.label}: Janus {info.get('version_string', '?')}, plugins {sorted(info.get('plugins', {}))}, "
            f"transports {sorted(info.get('transports', {}))}, event handlers {sorted(info.get('events', {})) or 'none'}"
        )
        self.http = httpx.AsyncClient(timeout=60)
        self.control = await JanusSession.create(self.http, self.server.url)
        self.handle = await self.control.attach(VIDEOROOM)

    async def prepare(self, n: int) -> list[PairSpec]:
        assert self.server is not None and self.control is not None
        self.round_rooms = [next(self.rooms) for _ in range(n)]
        self.round_dir = self.home / f"recordings-{n}"
        room: dict[str, Any] = {"request": "create", "publishers": 1, "videocodec": "h264", "notify_joining": False}
        if self.records:
            self.round_dir.mkdir(parents=True)
            room |= {"record": True, "rec_dir": str(self.round_dir)}
        for number in self.round_rooms:
            await self.control.message(self.handle, room | {"room": number})
        url = self.server.url
        return [PairSpec(f"s{i}", "", "-", "", "-", janus_url=url, room=r) for i, r in enumerate(self.round_rooms)]

    async def start_recordings(self, pairs: list[PairSpec]) -> None:
        return None  # the rooms record from the publisher's first packet

    async def stop_recordings(self) -> list[dict[str, Any]]:
        if not self.records or self.control is None or self.round_dir is None:
            return []
        for number in self.round_rooms:
            await self.control.message(self.handle, {"request": "enable_recording", "room": number, "record": False})
        return [
            {"mjr": f.name, "bytes": f.stat().st_size, "magic": mjr_magic(f)}
            for f in sorted(self.round_dir.glob("*.mjr"))
        ]

    async def finish(self, pairs: list[PairSpec]) -> None:
        assert self.control is not None
        for number in self.round_rooms:
            with contextlib.suppress(JanusError):
                await self.control.message(self.handle, {"request": "destroy", "room": number})
        if self.round_dir is not None:
            await asyncio.to_thread(shutil.rmtree, self.round_dir, True)

    @property
    def pid(self) -> int:
        assert self.server is not None
        return self.server.pid

    async def close(self) -> None:
        if self.control is not None:
            with contextlib.suppress(httpx.HTTPError, JanusError):
                await self.control.destroy()
        if self.http is not None:
            await self.http.aclose()
        if self.server is not None:
            self.server.stop()


def mjr_magic(path: Path) -> str:
    """The first 8 bytes of a Janus recording: "MJR00002" for the current .mjr format."""
    with path.open("rb") as f:
        return f.read(8).decode("latin-1")


Target = GatewayTarget | VideoOnlyTarget | BaselineTarget | JanusTarget


# --- the load processes ---


class Load:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, job: dict[str, Any], path: Path) -> Load:
        await asyncio.to_thread(path.write_text, json.dumps(job))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(BENCH_DIR / "media_load.py"),
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        return cls(process)

    async def expect(self, kind: str, within_s: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(within_s):
            while line := (await self.process.stdout.readline()).decode():
                if line.startswith(kind + " "):
                    return dict(json.loads(line[len(kind) + 1 :]))
                print(line, end="", flush=True)  # whatever else the load process says
        raise RuntimeError(f"load process {self.process.pid} ended before {kind} (exit {self.process.returncode})")

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode())

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()

    async def stop(self) -> dict[str, Any]:
        self.send("STOP")
        try:
            return await self.expect("DONE", 60)
        finally:
            if self.process.returncode is None:
                try:
                    await asyncio.wait_for(self.process.wait(), 15)
                except TimeoutError:
                    self.process.kill()
                    await self.process.wait()


@dataclass
class Round:
    n: int
    cpu_pct: float
    rss_mb: float
    mb_per_session: float
    expected: int
    delivered: int
    worst_session: float
    latencies: list[float] = field(repr=False)
    load_cpu_pct: float
    machine_busy: float
    connect_errors: int
    recordings: int = 0
    recording_note: str = ""
    idle_cpu_pct: float = 0.0
    audio_expected: int = 0  # Opus packets sent in the window times their listeners (viewers, enterprise)
    audio_delivered: int = 0
    audio_latencies: list[float] = field(default_factory=list, repr=False)
    talkback_expected: int = 0
    talkback_delivered: int = 0

    @property
    def frame_delivery(self) -> float:
        return self.delivered / self.expected if self.expected else 0.0

    @property
    def audio_delivery(self) -> float | None:
        heard = self.audio_expected + self.talkback_expected
        return (self.audio_delivered + self.talkback_delivered) / heard if heard else None

    @property
    def delivery(self) -> float:
        """The lower of frames and audio packets delivered."""
        audio = self.audio_delivery
        return self.frame_delivery if audio is None else min(self.frame_delivery, audio)

    @property
    def cpu_per_session(self) -> float:
        return self.cpu_pct / self.n

    @property
    def marginal_cpu_per_session(self) -> float:
        """Above what the process spends with no session (its heartbeat, consumer, relay)."""
        return max(0.0, self.cpu_pct - self.idle_cpu_pct) / self.n

    @property
    def cpu_per_full_stream(self) -> float:
        """CPU per stream scaled to every frame delivered: a starved relay that drops frames
        spends less only because it does less."""
        return self.cpu_pct / (self.n * self.delivery) if self.delivery else float("inf")

    @property
    def others_pct(self) -> float:
        """What other processes on the machine took, in % of a core."""
        return max(0.0, self.machine_busy * 100 * (os.cpu_count() or 1) - self.cpu_pct - self.load_cpu_pct)

    def line(self, label: str) -> str:
        latency = (
            f"added latency p50 {percentile(self.latencies, 50):.1f} ms p95 {percentile(self.latencies, 95):.1f} ms"
            if self.latencies
            else "latency not matched (re-encoded)"
        )
        return (
            f"{label} N={self.n}: CPU {self.cpu_pct:.1f} % of a core ({self.cpu_per_session:.2f} %/session; "
            f"{self.marginal_cpu_per_session:.2f} %/session above the idle {self.idle_cpu_pct:.1f} %), "
            f"RSS {self.rss_mb:.0f} MB ({self.mb_per_session:.2f} MB/session), "
            f"frames {self.delivered}/{self.expected} ({self.frame_delivery * 100:.2f} %, worst session "
            f"{self.worst_session * 100:.1f} %), {latency}"
            + (
                f", audio packets {self.audio_delivered}/{self.audio_expected} to viewers and talk-back "
                f"{self.talkback_delivered}/{self.talkback_expected} to the enterprise "
                f"({(self.audio_delivery or 0) * 100:.2f} %, audio added p95 {percentile(self.audio_latencies, 95):.1f} ms)"
                if self.audio_expected or self.talkback_expected
                else ""
            )
            + f"; load processes {self.load_cpu_pct:.0f} % of a core, "
            f"machine {self.machine_busy * 100:.0f} % busy (other processes {self.others_pct:.0f} % of a core)"
            + (f", {self.recording_note}" if self.recording_note else "")
            + (f", {self.connect_errors} pairs failed to connect" if self.connect_errors else "")
        )


class RoundFailed(RuntimeError):
    """A round that could not be measured (its target stops; the others go on)."""


async def run_round(target: Target, pid: int, n: int, idle_rss: float, args: argparse.Namespace, home: Path) -> Round:
    pairs = await target.prepare(n)
    processes = max(1, min(args.load_procs, n))
    # Only the decode baseline changes the bytes: every other relay must deliver the publisher's.
    match = "count" if isinstance(target, BaselineTarget) and target.relay == "decode" else "digest"
    loads: list[Load] = []
    try:
        for k in range(processes):
            job = {
                "clip": asdict(CLIP),
                "cache_dir": str(args.clip_cache),
                "match": match,
                "pairs": [asdict(pair) for pair in pairs[k::processes]],
            }
            loads.append(await Load.start(job, home / f"job-{n}-{k}.json"))
        try:
            ready = await asyncio.gather(*(load.expect("READY", 60 + 3 * n) for load in loads))
        except TimeoutError:
            raise RoundFailed(f"the pairs were not all connected and receiving within {60 + 3 * n} s") from None
        errors = {name: error for r in ready for name, error in r["errors"].items()}
        for name, error in list(errors.items())[:3]:
            say(f"  pair {name} failed: {error}")
        first_frames = [ms for r in ready for ms in r["first_frame_ms"]]
        say(
            f"  N={n}: {sum(r['connected'] for r in ready)}/{n} pairs connected, {sum(r['receiving'] for r in ready)} "
            f"receiving, in {max(r['connect_s'] for r in ready):.1f} s"
            + (f"; first frame after publish p50 {statistics.median(first_frames):.0f} ms" if first_frames else "")
        )
        if target.records:
            await target.start_recordings(pairs)
        await asyncio.sleep(args.warmup)
        load_pids = [load.process.pid for load in loads]
        g0, l0, m0 = sample(pid), [sample(x) for x in load_pids], machine_ticks()
        await asyncio.sleep(args.window)
        g1, l1, m1 = sample(pid), [sample(x) for x in load_pids], machine_ticks()
        for load in loads:
            load.send(f"REPORT {g0.at} {g1.at}")
        results = await asyncio.gather(*(load.expect("RESULT", 120) for load in loads))
        recordings = await target.stop_recordings()
        closed = [r for r in recordings if r.get("sha256") or r.get("magic", "").startswith("MJR")]
        for r in recordings:
            if "error" in r:
                say(f"  recording stop failed: {r['error']}")
                break
    except BaseException:
        # Failure or Ctrl-C: no graceful goodbyes, the load processes go now.
        await asyncio.gather(*(load.kill() for load in loads), return_exceptions=True)
        raise
    for load in loads:
        with_done = await load.stop()
        if with_done["deleted"] != with_done["of"]:
            say(f"  DELETE outcomes: {with_done['outcomes']}")
    await target.finish(pairs)
    per_pair = [pair for r in results for pair in r["pairs"]]
    expected = sum(x["expected"] for x in per_pair)
    delivered = sum(x["delivered"] for x in per_pair)
    worst = min((x["delivered"] / x["expected"] for x in per_pair if x["expected"]), default=0.0)
    viewers_of = {pair.name: pair.viewers for pair in pairs}
    audio = [x["audio"] for x in per_pair if "audio" in x]
    talkback = [x["talkback"] for x in per_pair if "talkback" in x]
    failed_audio = sum(round(args.window * 50) * viewers_of[name] for name in errors if pairs[0].audio)
    busy, total = m1[0] - m0[0], m1[1] - m0[1]
    return Round(
        n=n,
        cpu_pct=core_pct(g0, g1),
        rss_mb=g1.rss_mb,
        mb_per_session=(g1.rss_mb - idle_rss) / n,
        expected=expected + sum(round(args.window * CLIP.fps) * viewers_of[name] for name in errors),
        delivered=delivered,
        worst_session=0.0 if errors else worst,
        latencies=[v for x in per_pair for v in x["latencies"]],
        load_cpu_pct=sum(core_pct(a, b) for a, b in zip(l0, l1, strict=True)),
        machine_busy=busy / total if total else 0.0,
        connect_errors=len(errors),
        recordings=len(closed),
        recording_note=recording_note(recordings, len(closed)),
        audio_expected=sum(a["expected"] for a in audio) + failed_audio,
        audio_delivered=sum(a["delivered"] for a in audio),
        audio_latencies=[v for a in audio for v in a["latencies"]],
        talkback_expected=sum(a["expected"] for a in talkback)
        + sum(round(args.window * 50) for _ in errors if pairs[0].talkback_whip_url),
        talkback_delivered=sum(a["delivered"] for a in talkback),
    )


def recording_note(recordings: list[dict[str, Any]], closed: int) -> str:
    if not recordings:
        return ""
    if any("mjr" in r for r in recordings):
        size = sum(r["bytes"] for r in recordings) / 1e6
        return f"{closed} Janus .mjr recordings (raw RTP packets), {size:.0f} MB"
    with_audio = sum(1 for r in recordings if r.get("audio_packets"))
    return f"{closed} recordings closed with a sha256 (fMP4 clips), {with_audio} with audio"


async def ramp(
    targets: list[Target], counts: list[int], args: argparse.Namespace, home: Path, stop_early: bool = True
) -> list[list[Round]]:
    """Each N on every target in turn (so that all of them meet the machine's other load of the
    same minutes), each target until its first N below 99 % delivered or with the cores full."""
    idle: list[tuple[Sample, float]] = []
    for target in targets:
        await target.start()
    for target in targets:
        quiet = sample(target.pid)
        await asyncio.sleep(args.idle_window)
        now = sample(target.pid)
        idle.append((now, core_pct(quiet, now)))
        say(f"{target.label}: pid {target.pid}, idle RSS {now.rss_mb:.0f} MB, idle CPU {idle[-1][1]:.1f} % of a core")
    rounds: list[list[Round]] = [[] for _ in targets]
    going = set(range(len(targets)))
    for n in counts:
        for k, target in enumerate(targets):
            if k not in going:
                continue
            try:
                result = await run_round(target, target.pid, n, idle[k][0].rss_mb, args, home)
            except RoundFailed as exc:
                say(f"  {target.label} stops at N={n}: {exc}")
                going.discard(k)
                continue
            result.idle_cpu_pct = idle[k][1]
            say(result.line(target.label))
            rounds[k].append(result)
            if not stop_early:
                continue
            full = (result.cpu_pct + result.load_cpu_pct) / (100 * (os.cpu_count() or 1))
            if result.delivery < DELIVERY_FLOOR:
                say(f"  {target.label} stops: {result.delivery * 100:.2f} % delivered at N={n}")
                going.discard(k)
            elif full >= SATURATED:
                say(f"  {target.label} stops: it and the load fill {full * 100:.0f} % of the machine's cores at N={n}")
                going.discard(k)
        if not going:
            break
    return rounds


async def main(args: argparse.Namespace) -> dict[str, Any]:
    """Everything the run makes (logs, jobs, the database, the broker's, the gateway's evidence,
    Janus's configuration and recordings) lives in one temporary folder, removed when the run
    ends: normally, on an error, on Ctrl-C (SIGINT) or SIGTERM."""
    stop_on_signals(asyncio.current_task())
    home = Path(tempfile.mkdtemp(prefix="rvi-bench-media-"))
    if not os.environ.get("XDG_RUNTIME_DIR"):
        # pgserver keeps its lock file (and maybe its socket) in the user's runtime folder, which
        # platformdirs otherwise makes up as $TMPDIR/runtime-<uid> and leaves behind.
        (home / "run").mkdir(mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(home / "run")
    try:
        return await measure(args, home)
    finally:
        if args.keep_logs is not None:
            copy_logs(home, args.keep_logs)
            say(f"logs copied to {args.keep_logs}")
        shutil.rmtree(home, ignore_errors=True)
        say(f"removed {home}")


def copy_logs(home: Path, destination: Path) -> None:
    for log in home.rglob("*.log"):
        if log.is_file():
            target = destination / log.relative_to(home)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, target)


STOPPED_BY: list[signal.Signals] = []


def stop_on_signals(task: asyncio.Task[Any] | None) -> None:
    """The first SIGINT or SIGTERM cancels the run, which then stops what it started; later ones
    are ignored so they cannot cut that cleanup short (a Ctrl-C reaches the bench twice under
    `uv run`: from the terminal and forwarded by uv)."""
    assert task is not None
    loop = asyncio.get_running_loop()

    def stop(signum: signal.Signals) -> None:
        if STOPPED_BY:
            say(f"{signum.name} again: still cleaning up")
            return
        STOPPED_BY.append(signum)
        say(f"{signum.name}: stopping and cleaning up")
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)


async def measure_targets(
    targets: list[Target],
    counts: list[int],
    args: argparse.Namespace,
    home: Path,
    last: Callable[[Target], Awaitable[None]] | None = None,
    **kw: Any,
) -> list[list[Round]]:
    """The ramp on every target, then `last` on the first before they are closed."""
    try:
        rounds = await ramp(targets, counts, args, home, **kw)
        if last is not None:
            await last(targets[0])
        return rounds
    finally:
        for target in targets:
            try:
                await target.close()
            except Exception as exc:  # the next ones are still closed
                say(f"closing {target.label} failed: {type(exc).__name__}: {exc}")


def passing(rounds: list[Round]) -> list[Round]:
    return [r for r in rounds if r.delivery >= DELIVERY_FLOOR and not r.connect_errors]


async def measure(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    say(f"logs and jobs in {home}; {os.cpu_count()} cores")
    began = time.monotonic()
    frames = await asyncio.to_thread(load_clip, CLIP, args.clip_cache)
    say(
        f"clip: {len(frames)} frames of {CLIP.width}x{CLIP.height} H.264 at {CLIP.fps} fps, "
        f"{sum(len(f.data) for f in frames) * 8 / CLIP.seconds / 1e6:.2f} Mb/s (ready in {time.monotonic() - began:.1f} s)"
    )

    target: Target = GatewayTarget(home) if args.target == "gateway" else BaselineTarget("passthrough", home)
    targets: list[Target] = [target]
    if isinstance(target, GatewayTarget) and args.video_only:
        targets.append(VideoOnlyTarget(target))
    if args.janus:
        targets.append(JanusTarget(home, record=False))
        if args.janus_recording:
            targets.append(JanusTarget(home, record=True))
    transcoding: dict[str, float] = {}

    async def transcode_figure(measured: Target) -> None:
        if isinstance(measured, GatewayTarget) and args.transcode_window > 0:
            try:
                transcoding["pct"] = await measured.transcode_pct(args.transcode_window)
            except Exception as exc:  # the other figures stand; this one is reported missing
                say(f"transcoding figure failed: {type(exc).__name__}: {exc}")

    ours, *others = await measure_targets(targets, args.sessions, args, home, last=transcode_figure)
    video_only = others.pop(0) if isinstance(target, GatewayTarget) and args.video_only else []
    janus, janus_rec = (others + [[], []])[:2]
    # Only its CPU per stream is wanted: every count runs, whatever it delivers.
    theirs = (
        (await measure_targets([BaselineTarget("decode", home)], args.baseline_streams, args, home, stop_early=False))[
            0
        ]
        if args.baseline_streams
        else []
    )

    best = passing(ours)[-1] if passing(ours) else ours[0]
    say(
        f"summary: {target.label} carried {best.n if passing(ours) else 0} sessions at >= 99 % of frames; at N={best.n}: "
        f"{best.cpu_per_session:.2f} % of a core ({best.marginal_cpu_per_session:.2f} % above idle) and "
        f"{best.mb_per_session:.2f} MB per session, p95 added latency "
        f"{percentile(best.latencies, 95) if best.latencies else float('nan'):.1f} ms"
    )
    vs_decode = None
    if theirs:
        decode_per_stream = statistics.mean(r.cpu_per_full_stream for r in theirs)
        vs_decode = decode_per_stream / best.cpu_per_session if best.cpu_per_session > 0 else float("inf")
        say(
            f"baseline (decode + MediaRelay + re-encode): {decode_per_stream:.1f} % of a core per stream "
            f"({', '.join(f'N={r.n}: {r.cpu_per_full_stream:.1f}' for r in theirs)}, each scaled to all frames "
            f"delivered); ratio {vs_decode:.1f}x"
        )
    plain = (passing(video_only) or video_only or [None])[-1]
    if plain is not None:
        say(
            f"video only: carried {plain.n if passing(video_only) else 0} sessions at >= 99 % of frames; at N={plain.n}: "
            f"{plain.cpu_per_session:.2f} % of a core per session, p95 added latency {p95(plain):.1f} ms"
        )
    result: dict[str, Any] = {
        "sessions": best.n if passing(ours) else 0,
        "cpu_pct_per_session": round(best.cpu_per_session, 2),
        "video_only_sessions": (plain.n if passing(video_only) else 0) if plain is not None else None,
        "video_only_cpu_pct_per_session": round(plain.cpu_per_session, 2) if plain is not None else None,
        "audio_delivered_pct": round(best.audio_delivery * 100, 2) if best.audio_delivery is not None else None,
        "mb_per_session": round(best.mb_per_session, 2),
        "p95_added_ms": round(percentile(best.latencies, 95), 1) if best.latencies else None,
        "vs_decode_x": round(vs_decode, 1) if vs_decode is not None else None,
        "transcode_pct_per_stream": round(transcoding["pct"], 1) if "pct" in transcoding else None,
    }
    if janus:
        # Janus carries the video-only session (one publisher, one viewer): compared with that.
        compared, label = (video_only, VideoOnlyTarget.label) if video_only else (ours, target.label)
        result |= compare_with_janus(label, compared, janus, janus_rec)
    say("note: the load processes (publishers, viewers) share the same cores as the process measured")
    return result


def compare_with_janus(label: str, ours: list[Round], janus: list[Round], janus_rec: list[Round]) -> dict[str, Any]:
    """Side by side per N, and the ratio at the largest N both carried at >= 99 % of frames."""
    by_n = {r.n: r for r in janus}
    rec_by_n = {r.n: r for r in janus_rec}
    say(f"side by side ({label} with its recordings | Janus VideoRoom | Janus with its recording):")
    for r in ours:
        j, jr = by_n.get(r.n), rec_by_n.get(r.n)
        say(
            f"  N={r.n}: CPU/session {r.cpu_per_session:.2f} | {fmt(j, 'cpu_per_session', '.2f')} | "
            f"{fmt(jr, 'cpu_per_session', '.2f')} % of a core; MB/session {r.mb_per_session:.2f} | "
            f"{fmt(j, 'mb_per_session', '.2f')} | {fmt(jr, 'mb_per_session', '.2f')}; p95 added "
            f"{p95(r):.1f} | {p95(j):.1f} | {p95(jr):.1f} ms; delivered {r.delivery:.2%} | "
            f"{fmt(j, 'delivery', '.2%')} | {fmt(jr, 'delivery', '.2%')}"
        )
    common = sorted({r.n for r in passing(ours)} & {r.n for r in passing(janus)})
    janus_best = passing(janus)[-1] if passing(janus) else None
    if not common:
        say("no N carried at >= 99 % by both: no ratio")
        return {
            "janus_sessions": janus_best.n if janus_best else 0,
            "janus_cpu_pct_per_session": None,
            "vs_janus_x": None,
        }
    n = common[-1]
    mine, theirs = next(r for r in ours if r.n == n), by_n[n]
    ratio = mine.cpu_per_session / theirs.cpu_per_session if theirs.cpu_per_session > 0 else float("inf")
    recorded = rec_by_n.get(n)
    say(
        f"vs Janus at N={n} (the largest both carried): {mine.cpu_per_session:.2f} vs {theirs.cpu_per_session:.2f} % of a "
        f"core per session, ratio {ratio:.1f}x"
        + (f" ({recorded.cpu_per_session:.2f} % with Janus recording)" if recorded else "")
        + f"; {mine.mb_per_session:.2f} vs {theirs.mb_per_session:.2f} MB per session; p95 added "
        f"{p95(mine):.1f} vs {p95(theirs):.1f} ms"
    )
    return {
        "janus_sessions": janus_best.n if janus_best else 0,
        "compared_at_n": n,
        "janus_cpu_pct_per_session": round(theirs.cpu_per_session, 2),
        "janus_recording_cpu_pct_per_session": round(recorded.cpu_per_session, 2) if recorded else None,
        "janus_mb_per_session": round(theirs.mb_per_session, 2),
        "janus_p95_added_ms": round(p95(theirs), 1),
        "vs_janus_x": round(ratio, 1),
    }


def p95(r: Round | None) -> float:
    return percentile(r.latencies, 95) if r is not None and r.latencies else float("nan")


def fmt(r: Round | None, attribute: str, spec: str) -> str:
    return "-" if r is None else format(getattr(r, attribute), spec)


def counts(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=counts, default=counts("1,4,8,16,24,32,40"))
    parser.add_argument("--baseline-streams", type=counts, default=counts("1,2"))
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after every pair is receiving")
    parser.add_argument("--window", type=float, default=20.0, help="seconds measured")
    parser.add_argument("--load-procs", type=int, default=2, help="load processes sharing the pairs")
    parser.add_argument("--target", choices=["gateway", "passthrough"], default="gateway")
    parser.add_argument(
        "--video-only",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also ramp the gateway's video-only session (one viewer, no audio)",
    )
    parser.add_argument("--clip-cache", type=Path, default=default_cache_dir())
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs here before the temporary folder goes")
    parser.add_argument("--idle-window", type=float, default=5.0, help="seconds the idle process is measured")
    parser.add_argument(
        "--transcode-window", type=float, default=10.0, help="seconds the transcoding pool is measured (0: skip)"
    )
    parser.add_argument("--janus", action=argparse.BooleanOptionalAction, default=True, help="ramp Debian's Janus too")
    parser.add_argument(
        "--janus-recording", action=argparse.BooleanOptionalAction, default=True, help="and Janus with recording on"
    )
    try:
        print(json.dumps(asyncio.run(main(parser.parse_args()))))
    except (KeyboardInterrupt, asyncio.CancelledError):
        for late in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C after the loop closed
            signal.signal(late, signal.SIG_IGN)
        signum = STOPPED_BY[0] if STOPPED_BY else signal.SIGINT
        say(
            f"{'interrupted' if signum == signal.SIGINT else 'terminated'}: temporary files and child processes removed"
        )
        sys.exit(128 + signum)
