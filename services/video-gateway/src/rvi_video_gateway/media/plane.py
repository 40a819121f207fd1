"""This instance's live media: feeds, their WebRTC peers and RTSP pulls, recorders. In memory
only; the database holds what must outlive the process (feeds, recordings, the manifest)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiortc.sdp import SessionDescription

from rvi_shared.errors import Conflict
from rvi_video_gateway.media.equipment import FrameMeter, Measurement, measure
from rvi_video_gateway.media.feed import Feed, FeedKind
from rvi_video_gateway.media.lifecycles import ENDED, RUNNING, FeedState
from rvi_video_gateway.media.packets import EncodedFrame
from rvi_video_gateway.media.recorder import ClipResult, Recorder
from rvi_video_gateway.media.rtsp_pull import RtspPulls
from rvi_video_gateway.media.sdp import SdpError, offers_video
from rvi_video_gateway.media.transcode import TRANSCODED_AUDIO, TRANSCODED_VIDEO, TranscodePool
from rvi_video_gateway.media.trickle import Fragment, check_not_restart
from rvi_video_gateway.media.webrtc import (
    Peer,
    ViewerSource,
    accept_publisher,
    accept_viewer,
    ice_configuration,
    inbound_packets,
    round_trip_ms,
)
from rvi_video_gateway.settings import VideoGatewaySettings

log = logging.getLogger(__name__)
ENDED_KEPT = 1024

FeedEnded = Callable[[Feed], Awaitable[None]]
EquipmentMeasured = Callable[[str, Measurement | None], Awaitable[None]]
PeerLeft = Callable[[Peer, str], Awaitable[None]]


@dataclass(frozen=True)
class MediaLoad:
    """This instance's live media, for its heartbeat (DESIGN: Scale)."""

    feeds: int = 0
    viewers: int = 0
    bitrate_kbps: float = 0.0


@dataclass(eq=False)
class ActiveRecording:
    recording_id: str
    feed_id: str
    recorder: Recorder


class MediaPlane:
    def __init__(self, settings: VideoGatewaySettings) -> None:
        self.settings = settings
        self.configuration = ice_configuration(settings.ice_servers)
        self.feeds: dict[str, Feed] = {}
        self.peers: dict[str, Peer] = {}
        self.recordings: dict[str, ActiveRecording] = {}
        self.rtsp = RtspPulls(settings)
        self.transcodes = TranscodePool(settings.transcode_limit, settings.transcode_retry_after_s)
        self.on_feed_ended: FeedEnded | None = None
        self.on_equipment_measured: EquipmentMeasured | None = None
        self.on_peer_left: PeerLeft | None = None
        # Resources whose connection ended before their DELETE came (a page closing its peer
        # connection first): the DELETE still succeeds. The latest ENDED_KEPT only.
        self.ended: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._bytes_seen = 0
        self._bytes_at = time.monotonic()

    # --- feeds ---

    def open_feed(self, feed_id: str, inspection_id: str, session_id: str | None, kind: FeedKind) -> Feed:
        feed = Feed(feed_id=feed_id, session_id=session_id, inspection_id=inspection_id, kind=kind)
        feed.on_state = self._feed_state
        self.feeds[feed_id] = feed
        return feed

    def feed(self, feed_id: str) -> Feed | None:
        return self.feeds.get(feed_id)

    def _feed_state(self, feed: Feed) -> None:
        if feed.state in ENDED:
            self._spawn(self._end_feed(feed), f"feed-ended-{feed.feed_id}")

    async def _end_feed(self, feed: Feed) -> None:
        """Recordings are closed by the owner (`on_feed_ended`) with what was received; then the
        feed's peers and pull stop."""
        if self.on_feed_ended is not None:
            try:
                await self.on_feed_ended(feed)
            except Exception:
                log.exception("closing the recordings of feed %s failed", feed.feed_id)
        for peer in [p for p in self.peers.values() if p.feed_id == feed.feed_id]:
            await self.close_peer(peer.resource_id, f"the feed {feed.state}")
        await self.rtsp.stop(feed.feed_id)
        feed.close()
        self.feeds.pop(feed.feed_id, None)

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def end_session_feeds(self, session_id: str) -> None:
        for feed in list(self.feeds.values()):
            if feed.session_id == session_id and feed.state in RUNNING:
                feed.close()

    # --- WebRTC ---

    async def publish(self, feed: Feed, offer: SessionDescription) -> tuple[Peer, str]:
        if any(p.feed_id == feed.feed_id and p.role == "publish" for p in self.peers.values()):
            raise Conflict("this feed already has a publisher; DELETE its WHIP resource first")
        if feed.state != FeedState.WAITING:
            raise Conflict(f"the feed is {feed.state}; create a new feed to publish again", feed_state=feed.state)
        peer, answer = await accept_publisher(feed, offer, self.configuration, audio_only=feed.kind == "talkback")
        self._track(peer)
        return peer, answer

    async def view(self, feed: Feed, offer: SessionDescription) -> tuple[Peer, str]:
        if feed.state in ENDED:
            raise Conflict(f"the feed is {feed.state}", feed_state=feed.state)
        if feed.kind == "rtsp":
            await self.rtsp.ensure(feed)
        if feed.codec is None and feed.audio_codec is None:
            raise Conflict("the feed has no publisher yet: its codec is not known", feed_state=feed.state)
        # What the viewer cannot take as received goes through the pool (TranscodePoolFull: 503);
        # H.265 goes as received to a viewer that offers it (RFC 7798, media.h265).
        video: ViewerSource | None = None
        audio: ViewerSource | None = None
        if feed.codec in TRANSCODED_VIDEO and not (feed.codec == "h265" and offers_video(offer, "h265")):
            source = self.rtsp.sources.get(feed.feed_id)
            fps = source.info.fps if source is not None and source.info is not None else None
            video = self.transcodes.video_for(feed, fps)
        if feed.audio_codec in TRANSCODED_AUDIO and any(m.kind == "audio" and m.port for m in offer.media):
            audio = self.transcodes.audio_for(feed)
        try:
            peer, answer = await accept_viewer(feed, offer, self.configuration, video, audio)
        except BaseException:
            self.transcodes.release_unused(feed.feed_id)
            raise
        self._track(peer)
        return peer, answer

    def _track(self, peer: Peer) -> None:
        """A peer whose connection fails or is closed by the other side is let go like a DELETE."""
        self.peers[peer.resource_id] = peer

        @peer.pc.on("connectionstatechange")
        async def on_state() -> None:
            if peer.pc.connectionState in ("failed", "closed") and peer.resource_id in self.peers:
                self._spawn(self.close_peer(peer.resource_id, f"connection {peer.pc.connectionState}"), "peer-gone")

    async def trickle(self, peer: Peer, fragment: Fragment) -> None:
        """RFC 9725 4.3.1: the client's late candidates (and end-of-candidates) for its session."""
        remote = SessionDescription.parse(peer.pc.remoteDescription.sdp)
        sections = [m for m in remote.media if m.kind in ("audio", "video")]
        first = sections[0] if sections else None
        check_not_restart(
            fragment, first.ice.usernameFragment if first else None, first.ice.password if first else None
        )
        for candidate in fragment.candidates:
            if candidate.sdpMid is None and first is not None:
                candidate.sdpMid = first.rtp.muxId
            try:
                await peer.pc.addIceCandidate(candidate)
            except Exception as exc:  # aioice refuses what it cannot use (an unresolvable name)
                raise SdpError(f"candidate {candidate.ip}:{candidate.port} cannot be used: {exc}") from None
        if fragment.end_of_candidates:
            await peer.pc.addIceCandidate(None)

    async def close_peer(self, resource_id: str, reason: str = "ended") -> Peer | None:
        peer = self.peers.pop(resource_id, None)
        if peer is None:
            return None
        self.ended[resource_id] = (peer.feed_id, peer.role)
        while len(self.ended) > ENDED_KEPT:
            self.ended.popitem(last=False)
        if self.on_peer_left is not None:
            self._spawn(self._left(peer, reason), f"peer-left-{resource_id}")
        feed = self.feeds.get(peer.feed_id)
        if feed is not None:
            for consumer in (peer.track, peer.audio_track):
                if consumer is not None:
                    feed.detach(consumer)
        if feed is not None and peer.role == "publish" and feed.state in RUNNING:
            # The publisher ended the feed (WHIP DELETE): closed, before the connection's own
            # "closed" state could report it lost.
            feed.close()
        await peer.close()
        return peer

    async def _left(self, peer: Peer, reason: str) -> None:
        assert self.on_peer_left is not None
        try:
            await self.on_peer_left(peer, reason)
        except Exception:
            log.exception("recording that %s left failed", peer.resource_id)

    # --- pictures ---

    async def latest_keyframe(self, feed: Feed, wait_s: float) -> EncodedFrame | None:
        """The feed's latest keyframe; when it has none yet, one is asked for and awaited."""
        if feed.latest_keyframe is None:
            if feed.keyframe_request is not None:
                await feed.keyframe_request()
            try:
                await asyncio.wait_for(feed.keyframe_seen.wait(), timeout=wait_s)
            except TimeoutError:
                return None
        return feed.latest_keyframe

    # --- equipment tests ---

    def start_equipment_test(self, feed: Feed, peer: Peer) -> None:
        self._spawn(self._equipment_test(feed, peer), f"equipment-test-{feed.feed_id}")

    async def _equipment_test(self, feed: Feed, peer: Peer) -> None:
        """Measures from the first keyframe for the window; gives up at the deadline. The
        publisher is then let go: the test is over."""
        assert feed.codec is not None and peer.receiver is not None
        receiver = peer.receiver
        meter = FrameMeter(feed.codec)
        feed.attach(meter, from_cached_keyframe=False)
        measurement: Measurement | None = None
        try:
            measurement = await asyncio.wait_for(
                measure(
                    meter,
                    self.settings.equipment_window_s,
                    lambda: inbound_packets(receiver),
                    lambda: round_trip_ms(peer.pc),
                ),
                timeout=self.settings.equipment_deadline_s,
            )
        except TimeoutError:
            measurement = None
        finally:
            feed.detach(meter)
        if self.on_equipment_measured is not None:
            try:
                await self.on_equipment_measured(feed.feed_id, measurement)
            except Exception:
                log.exception("recording the equipment test of feed %s failed", feed.feed_id)
        await self.close_peer(peer.resource_id, "equipment test over")

    # --- recordings ---

    def start_recording(self, recording_id: str, feed: Feed, path_stem: Path) -> Recorder:
        assert feed.codec is not None
        recorder = Recorder(
            path_stem,
            feed.codec,
            self.settings.recording_fragment_s,
            feed.audio_codec,
            feed.audio_clock_rate,
            feed.audio_channels,
        )
        self.recordings[recording_id] = ActiveRecording(recording_id, feed.feed_id, recorder)
        feed.attach(recorder)
        if recorder.audio_codec is not None:
            feed.attach_audio(recorder)
        return recorder

    def stop_recording(self, recording_id: str) -> ClipResult | None:
        active = self.recordings.pop(recording_id, None)
        if active is None:
            return None
        feed = self.feeds.get(active.feed_id)
        if feed is not None:
            feed.detach(active.recorder)
        return active.recorder.close()

    def recordings_on(self, feed_id: str) -> list[str]:
        return [r.recording_id for r in self.recordings.values() if r.feed_id == feed_id]

    # --- load and liveness ---

    def load(self) -> MediaLoad:
        now = time.monotonic()
        seen = sum(f.counters.bytes for f in self.feeds.values())
        elapsed = now - self._bytes_at
        rate = max(seen - self._bytes_seen, 0) * 8 / 1000 / elapsed if elapsed > 0 else 0.0
        self._bytes_seen, self._bytes_at = seen, now
        return MediaLoad(
            feeds=sum(1 for f in self.feeds.values() if f.state == FeedState.LIVE),
            viewers=sum(1 for p in self.peers.values() if p.role == "view"),
            bitrate_kbps=round(rate, 1),
        )

    async def watch(self, stop: asyncio.Event) -> None:
        """A live feed silent for `feed_silence_timeout_s` is lost: a killed publisher's
        connection only fails when ICE consent expires, about 30 s later. Idle RTSP pulls stop."""
        timeout = self.settings.feed_silence_timeout_s
        while not stop.is_set():
            now = time.monotonic()
            for feed in list(self.feeds.values()):
                if feed.state == FeedState.LIVE and feed.silent_for(now) > timeout:
                    feed.on_lost(f"no video received for {timeout:g} s")
            await self.rtsp.release_idle(self.feeds, now)
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(1.0, timeout / 4))
            except TimeoutError:
                pass

    async def shutdown(self) -> None:
        for resource_id in list(self.peers):
            await self.close_peer(resource_id, "gateway shutting down")
        self.transcodes.stop_all()
        await self.rtsp.stop_all()
        for recording_id in list(self.recordings):
            self.stop_recording(recording_id)
        for task in list(self._tasks):
            task.cancel()
