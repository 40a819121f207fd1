"""Janus (Debian's `janus`, the Meetecho WebRTC server) as the reference SFU of make bench-media:
its configuration, its process, and aiortc peers driven over its HTTP API and VideoRoom plugin.

Bench only, not product. The HTTP API client is written here rather than taken from PyPI's
`janus-client` (0.9, alpha): its HTTP transport opens a new connection for every request, destroying
a session waits out the pending 30 s long poll, and its VideoRoom plugin owns the peer connection,
whereas the bench needs the gateway bench's own peers (pre-encoded clip track, frames tapped before
the decoder). The protocol is the one of https://janus.conf.meetecho.com/docs/rest.html and
docs/videoroom.html.

    config = write_config(folder, port)          # janus.jcfg: VideoRoom + HTTP only
    server = JanusServer(config, port, log)      # janus -F folder; wait_ready(); stop()
    session = await JanusSession.create(http, server.url)
    handle = await session.attach(VIDEOROOM)
    data, jsep = await session.message(handle, {"request": "create", ...})

Publishers join a room with `joinandconfigure` and the aiortc offer (Janus answers); subscribers
join with `join` (ptype subscriber), apply the offer Janus makes and `start` with aiortc's answer.
Events come back on one long-poll GET per session; a keepalive goes every 25 s."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from aiortc import RTCSessionDescription

from rvi_platform.media_peers import signalling
from rvi_platform.media_peers.tracks import ClipTrack
from rvi_platform.media_peers.whep import WhepViewer, _ArrivalClock
from rvi_platform.media_peers.whip import WhipPublisher
from rvi_video_gateway.media.passthrough import tap_receiver

VIDEOROOM = "janus.plugin.videoroom"
HTTP_TRANSPORT = "janus.transport.http"
LIBRARY_DIR = Path("/usr/lib/x86_64-linux-gnu/janus")
KEEPALIVE_S = 25.0  # Janus drops a session after session_timeout (60 s) without a request
NO_SUCH_FEED = 428  # JANUS_VIDEOROOM_ERROR_NO_SUCH_FEED: the publisher's PeerConnection is not up yet
_transactions = itertools.count(1)


class JanusError(RuntimeError):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code


def library_dir() -> Path:
    """Where Debian's janus keeps its plugins and transports (multiarch path)."""
    for candidate in (LIBRARY_DIR, *Path("/usr/lib").glob("*/janus")):
        if (candidate / "plugins" / "libjanus_videoroom.so").exists():
            return candidate
    raise FileNotFoundError("janus is not installed: `make system-deps` installs Debian's janus")


def ice_interface() -> str:
    """The interface whose address aiortc's peers offer as host candidate (aioice leaves out
    127.0.0.1), so that Janus gathers on the same one and traffic stays on this machine."""
    from aioice.ice import get_host_addresses
    from ifaddr import get_adapters

    addresses = set(get_host_addresses(use_ipv4=True, use_ipv6=False))
    for adapter in get_adapters():
        if any(isinstance(ip.ip, str) and ip.ip in addresses for ip in adapter.ips):
            return str(adapter.name)
    raise RuntimeError("no IPv4 interface besides loopback: aiortc peers would have no host candidate")


def write_config(folder: Path, port: int) -> Path:
    """janus.jcfg and its two companions in `folder`: only the VideoRoom plugin and the plain HTTP
    transport on 127.0.0.1:`port` (no admin API, no WebSockets, no event handlers, no loggers),
    ICE on this machine's interface without STUN/TURN, and plugin/transport folders of symlinks
    so nothing else is even loaded."""
    libs = library_dir()
    for kind, name in (("plugins", "libjanus_videoroom.so"), ("transports", "libjanus_http.so")):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        (folder / kind / name).symlink_to(libs / kind / name)
    for kind in ("events", "loggers"):
        (folder / kind).mkdir(parents=True, exist_ok=True)
    (folder / "janus.jcfg").write_text(
        f"""general: {{
\tconfigs_folder = "{folder}"
\tplugins_folder = "{folder / "plugins"}"
\ttransports_folder = "{folder / "transports"}"
\tevents_folder = "{folder / "events"}"
\tloggers_folder = "{folder / "loggers"}"
\tdebug_level = 3
\tsession_timeout = 60
\tserver_name = "rvi-bench-media"
}}
media: {{
\tipv6 = false
}}
nat: {{
\tnice_debug = false
\tfull_trickle = false
\tice_lite = false
\tice_tcp = false
\tice_enforce_list = "{ice_interface()}"
}}
plugins: {{
}}
transports: {{
}}
events: {{
\tbroadcast = false
}}
loggers: {{
}}
"""
    )
    (folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
\tjson = "plain"
\tbase_path = "/janus"
\thttp = true
\tport = {port}
\tip = "127.0.0.1"
\thttps = false
}}
admin: {{
\tadmin_http = false
\tadmin_https = false
}}
"""
    )
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    return folder


class JanusServer:
    """`janus -F <folder>` in its own session (a Ctrl-C at the terminal reaches the bench, which
    stops it); its log in `log`."""

    def __init__(self, folder: Path, port: int, log: Path) -> None:
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}/janus"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                ["janus", "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout_s: float = 30.0) -> dict[str, Any]:
        """GET /janus/info until it answers; returns the server info (plugins, transports)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited ({self.process.returncode}): {self.log.read_text()[-2000:]}")
            try:
                response = httpx.get(f"{self.url}/info", timeout=1.0)
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"janus not ready on port {self.port}: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class JanusSession:
    """One Janus API session over HTTP: requests are POSTs, asynchronous plugin answers arrive on
    the session's long-poll GET and are matched to their request by transaction."""

    def __init__(self, http: httpx.AsyncClient, url: str, session_id: int) -> None:
        self.http, self.url, self.id = http, url, session_id
        self.notices: list[dict[str, Any]] = []  # events no request waits for (webrtcup, hangup...)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks = [asyncio.ensure_future(self._poll()), asyncio.ensure_future(self._keepalive())]
        self._destroyed = False

    @classmethod
    async def create(cls, http: httpx.AsyncClient, url: str) -> JanusSession:
        reply = await _post(http, url, {"janus": "create"})
        return cls(http, url, int(reply["data"]["id"]))

    async def attach(self, plugin: str) -> int:
        reply = await _post(self.http, f"{self.url}/{self.id}", {"janus": "attach", "plugin": plugin})
        return int(reply["data"]["id"])

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None, within_s: float = 30.0
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A plugin request: (the plugin's data, its jsep or None). Synchronous requests (create,
        destroy) are answered in the POST's response, asynchronous ones (join, configure, start)
        by an event on the long poll. Raises JanusError on a core or plugin error."""
        transaction = f"t{next(_transactions)}"
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = waiter
        message: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep
        try:
            reply = await _post(self.http, f"{self.url}/{self.id}/{handle}", message)
            if reply["janus"] == "ack":
                reply = await asyncio.wait_for(waiter, within_s)
        finally:
            self._pending.pop(transaction, None)
        data = dict(reply.get("plugindata", {}).get("data", {}))
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return data, reply.get("jsep")

    async def _poll(self) -> None:
        while True:
            try:
                response = await self.http.get(f"{self.url}/{self.id}", params={"maxev": 10}, timeout=70)
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if response.status_code != 200:
                await asyncio.sleep(0.2)
                continue
            body = response.json()
            for event in body if isinstance(body, list) else [body]:
                if event.get("janus") == "error" and event.get("transaction") is None:
                    return  # the session is gone
                waiter = self._pending.get(str(event.get("transaction")))
                if waiter is not None and event.get("janus") in ("event", "error") and not waiter.done():
                    if event["janus"] == "error":
                        waiter.set_exception(JanusError(event["error"]["code"], event["error"]["reason"]))
                    else:
                        waiter.set_result(event)
                elif event.get("janus") != "keepalive":
                    self.notices.append(event)

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            with contextlib.suppress(httpx.HTTPError, JanusError):
                await _post(self.http, f"{self.url}/{self.id}", {"janus": "keepalive"})

    async def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await _post(self.http, f"{self.url}/{self.id}", {"janus": "destroy"})


async def _post(http: httpx.AsyncClient, url: str, message: dict[str, Any]) -> dict[str, Any]:
    message.setdefault("transaction", f"t{next(_transactions)}")
    response = await http.post(url, json=message)
    response.raise_for_status()
    reply = dict(response.json())
    if reply.get("janus") == "error":
        raise JanusError(int(reply["error"]["code"]), str(reply["error"]["reason"]))
    return reply


class JanusPublisher(WhipPublisher):
    """The WHIP publisher's peer (clip track, H.264 forced on the offer, keyframe requests passed
    to the track), signalled through VideoRoom instead: `joinandconfigure` carries the offer,
    Janus's event carries the answer. `feed_id` is the publisher id subscribers ask for."""

    def __init__(self, url: str, room: int, track: ClipTrack, client: httpx.AsyncClient) -> None:
        super().__init__(url, "-", track, codec="h264", client=client)
        self.room = room
        self.session: JanusSession | None = None
        self.feed_id: int | None = None

    async def _exchange(self, sdp: str, what: str) -> signalling.Exchange:
        self.session = await JanusSession.create(self.http, self.url)
        handle = await self.session.attach(VIDEOROOM)
        data, jsep = await self.session.message(
            handle,
            {"request": "joinandconfigure", "ptype": "publisher", "room": self.room, "display": "bench camera"},
            jsep={"type": "offer", "sdp": sdp},
        )
        if jsep is None or jsep.get("type") != "answer":
            raise signalling.SignallingError(f"{what}: Janus joined without an answer", 200, str(data))
        self.feed_id = int(data["id"])
        answer = str(jsep["sdp"])
        self.location, self.answer = f"{self.url}/{self.session.id}/{handle}", answer
        self.codec = signalling.negotiated_codec(answer)
        return signalling.Exchange(answer=answer, location=self.location, codec=self.codec)

    async def close(self) -> int | None:
        """Destroys the Janus session (the room sees the publisher leave); 200 once it is gone."""
        return await _close(self)


class JanusSubscriber(WhepViewer):
    """The WHEP viewer's receiving side (frames taken before the decoder, digests, arrival times),
    signalled through VideoRoom: Janus offers what the publisher sends, aiortc answers."""

    def __init__(self, url: str, room: int, publisher: JanusPublisher, client: httpx.AsyncClient) -> None:
        super().__init__(url, "-", decode=False, codecs=("h264",), client=client)
        self.room, self.publisher = room, publisher
        self.session: JanusSession | None = None

    async def start(self, connect_within_s: float = 20.0) -> None:
        if self.publisher.feed_id is None:
            raise RuntimeError("the publisher has not joined the room")
        self.session = await JanusSession.create(self.http, self.url)
        handle = await self.session.attach(VIDEOROOM)
        join = {
            "request": "join",
            "ptype": "subscriber",
            "room": self.room,
            "streams": [{"feed": self.publisher.feed_id}],
        }
        deadline = time.monotonic() + connect_within_s
        while True:
            try:
                data, jsep = await self.session.message(handle, join)
                break
            except JanusError as exc:
                if exc.code != NO_SUCH_FEED or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        if jsep is None or jsep.get("type") != "offer":
            raise signalling.SignallingError("VideoRoom subscribe: no offer", 200, str(data))
        offer = str(jsep["sdp"])
        if (codec := signalling.negotiated_codec(offer)) != "h264":
            raise signalling.SignallingError(f"VideoRoom subscribe: Janus offers {codec}, not H.264", 200, offer)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        transceiver = next(t for t in self.pc.getTransceivers() if t.kind == "video")
        # Before the connection task starts the receiver (no await since the answer was applied).
        self._arrivals = _ArrivalClock(transceiver.receiver)
        tap_receiver(transceiver.receiver, self._on_encoded)
        answer = self.pc.localDescription.sdp
        self.location, self.answer, self.codec = f"{self.url}/{self.session.id}/{handle}", answer, "h264"
        await self.session.message(handle, {"request": "start"}, jsep={"type": "answer", "sdp": answer})
        await signalling.connected(self.pc, connect_within_s)

    async def close(self) -> int | None:
        return await _close(self)


async def _close(peer: JanusPublisher | JanusSubscriber) -> int | None:
    """Destroys the peer's Janus session, then closes its peer connection: 200, or Janus's error
    code if the session could not be destroyed."""
    if peer._closed:
        return None
    peer._closed = True
    status = None
    try:
        if peer.session is not None:
            await peer.session.destroy()
            status = 200
    except JanusError as exc:  # e.g. 458, no such session: Janus timed it out
        status = exc.code
    finally:
        await peer.pc.close()
        await peer._release()
    return status
