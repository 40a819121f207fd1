"""Media commands with their records: feeds and their tokens, WHIP/WHEP, key-step recordings and
snapshots on the evidence chain, lost feeds, equipment tests. Handlers own the transaction; the
live media is in the instance's `MediaPlane`."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import av

from rvi_shared.auth import Principal, Role, ensure_enterprise_access
from rvi_shared.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.rows import get_by_id, not_found, parse_key
from rvi_video_gateway.instances.placement import PlacedElsewhere, place, placed_elsewhere
from rvi_video_gateway.instances.registry import GatewayRegistry
from rvi_video_gateway.media.equipment import Measurement, Thresholds, judge
from rvi_video_gateway.media.feed import Feed
from rvi_video_gateway.media.keyframes import KeyframeError, jpeg_snapshot
from rvi_video_gateway.media.lifecycles import (
    EQUIPMENT_TEST,
    RECORDING,
    ROW_CREATED,
    FeedState,
    RecordingAction,
    RecordingState,
    TestAction,
    TestState,
)
from rvi_video_gateway.media.plane import MediaPlane
from rvi_video_gateway.media.repository import MediaRepository
from rvi_video_gateway.media.schemas import FeedCreate, RecordingCreate, SnapshotCreate
from rvi_video_gateway.media.sdp import parse_offer
from rvi_video_gateway.media.tokens import MediaGrant, MediaTokens, Scope
from rvi_video_gateway.media.trickle import parse_fragment
from rvi_video_gateway.media.webrtc import Peer
from rvi_video_gateway.models import (
    EquipmentTest,
    InspectionSession,
    ManifestEntry,
    MediaFeed,
    Recording,
)
from rvi_video_gateway.sessions.access import team_officer
from rvi_video_gateway.sessions.lifecycle import WITHDRAWN, SessionState
from rvi_video_gateway.sessions.service import SessionService
from rvi_video_gateway.sessions.steps import is_well_formed

LIVE_SESSION = (SessionState.OPEN, SessionState.IN_PROGRESS)
SNAPSHOT_WAIT_S = 5.0


class PreconditionFailed(DomainError):
    status_code = 412


@dataclass(frozen=True)
class WebRtcResource:
    """A WHIP or WHEP session resource just created: its id, the SDP answer, its ETag and the
    reason a section of the offer was rejected (None when every section was taken)."""

    resource_id: str
    answer: str
    etag: str
    warning: str | None


def _file_stem(kind: str, item_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", kind) + "-" + item_id


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _frames_in(path: Path | None) -> int | None:
    if path is None:
        return 0
    try:
        with av.open(str(path)) as container:
            return sum(1 for packet in container.demux(video=0) if packet.size)
    except av.FFmpegError:
        return None


@dataclass(frozen=True)
class IssuedFeed:
    row: MediaFeed
    publish_token: str | None
    view_token: str | None
    expires_at: float


class MediaService:
    def __init__(self, sessions: SessionService, plane: MediaPlane, tokens: MediaTokens) -> None:
        self.sessions = sessions
        self.repo = MediaRepository(sessions.session)
        self.outbox = sessions.outbox
        self.settings = sessions.settings
        self.clock = sessions.clock
        self.plane = plane
        self.tokens = tokens

    async def session(self, session_id: str, for_update: bool = False) -> InspectionSession:
        """The session a media command acts on (404 when unknown)."""
        return await self.sessions.get(session_id, for_update=for_update)

    # --- feeds ---

    def _actor(self, principal: Principal) -> str:
        return f"{principal.role.value}:{principal.subject}"

    async def _member(self, live: InspectionSession, principal: Principal) -> dict[str, object] | None:
        """An officer of the team (returned) or the session's own enterprise (None)."""
        if principal.role is Role.ENTERPRISE:
            ensure_enterprise_access(principal, live.enterprise_id)
            return None
        inspection = await self.sessions.inspection_of(live)
        return team_officer(principal, self.sessions.team(inspection))

    async def create_feed(self, live: InspectionSession, principal: Principal, body: FeedCreate) -> IssuedFeed:
        """Camera feeds: view tokens go to officers of the team only, the enterprise publishes.
        Talk-back feeds: an officer of the team publishes audio, the enterprise listens (it asks
        for its view token), so the session is a call."""
        member = await self._member(live, principal)
        if body.kind == "talkback" and member is None:
            raise Forbidden("talk-back feeds are published by officers of the inspection team")
        if live.state not in LIVE_SESSION:
            raise Conflict(f"the session is {live.state}; feeds are added to open sessions", current_state=live.state)
        await place(self._registry(), live, self.settings.instance_id, f"session {live.session_id}")
        source_url = None
        probe = None
        if body.kind == "rtsp":
            source_url = await self.plane.rtsp.check(body.url or "")
            probe = await self.plane.rtsp.probe(source_url)
        feed_id = uuid.uuid4()
        row = MediaFeed(
            feed_id=feed_id,
            inspection_id=live.inspection_id,
            session_id=live.session_id,
            purpose="session",
            kind=body.kind,
            label=body.label,
            source_url=source_url,
            codec=probe.codec if probe is not None else None,
            probe=probe.as_dict() if probe is not None else None,
            state=ROW_CREATED,
            created_by=self._actor(principal),
            created_at=self.clock.now(),
            instance_id=self.settings.instance_id,
        )
        self.repo.add(row)
        await self.repo.flush()
        feed = self.plane.open_feed(str(feed_id), live.inspection_id, str(live.session_id), body.kind)
        if body.kind == "rtsp":
            feed.source_url = source_url
            feed.codec = probe.codec if probe is not None else None
        return self._issue(row, publish=body.kind in ("webrtc", "talkback"), view=member is not None)

    def _issue(self, row: MediaFeed, publish: bool, view: bool, subject: str | None = None) -> IssuedFeed:
        """Tokens name whom they were issued to (`subject`, else the feed's creator): the audit
        trail says who joined."""
        subject = subject or row.created_by
        feed_id = str(row.feed_id)
        publish_token = view_token = None
        expires_at = 0.0
        if publish:
            publish_token, expires_at = self.tokens.mint("publish", feed_id, subject, self.settings.publish_token_ttl_s)
        if view:
            view_token, view_expiry = self.tokens.mint("view", feed_id, subject, self.settings.view_token_ttl_s)
            expires_at = min(expires_at, view_expiry) if expires_at else view_expiry
        return IssuedFeed(row, publish_token, view_token, expires_at)

    async def issue_tokens(
        self, live: InspectionSession, principal: Principal, feed_id: str, scope: Scope
    ) -> IssuedFeed:
        """Fresh tokens: publish for the enterprise or an officer, view for officers of the team."""
        member = await self._member(live, principal)
        row = await self._feed_row(feed_id, live)
        if scope == "view" and member is None and row.kind != "talkback":
            raise Forbidden("view tokens are for officers of the inspection team")
        if scope == "publish" and row.kind == "rtsp":
            raise Unprocessable(f"feed {feed_id} is an RTSP camera; nothing is published to it")
        if scope == "publish" and row.kind == "talkback" and member is None:
            raise Forbidden("talk-back is published by officers of the inspection team")
        return self._issue(row, publish=scope == "publish", view=scope == "view", subject=self._actor(principal))

    async def _feed_row(self, feed_id: str, live: InspectionSession | None = None) -> MediaFeed:
        row = await get_by_id(self.repo.session, MediaFeed, feed_id, what="feed")
        if live is not None and row.session_id != live.session_id:
            raise not_found("feed", feed_id)
        return row

    async def _live_feed(self, row: MediaFeed) -> Feed:
        feed = self.plane.feed(str(row.feed_id))
        if feed is None:
            if row.instance_id != self.settings.instance_id:
                raise await self._misplaced(f"feed {row.feed_id}", row.instance_id)
            raise Conflict(f"feed {row.feed_id} is {row.state}", feed_state=row.state)
        return feed

    async def _misplaced(self, what: str, instance_id: str) -> PlacedElsewhere:
        """The media of a session lives on one instance; the caller is told which, and where."""
        return await placed_elsewhere(self._registry(), what, instance_id)

    def _registry(self) -> GatewayRegistry:
        return GatewayRegistry(self.sessions.session, self.settings.heartbeat_interval_s)

    async def feeds(self, live: InspectionSession, principal: Principal) -> list[MediaFeed]:
        await self._member(live, principal)
        return list(await self.repo.feeds_of(live.session_id))

    # --- WHIP / WHEP ---

    async def _media_target(
        self, feed_id: str, authorization: str | None, scope: Scope
    ) -> tuple[MediaFeed, MediaGrant]:
        grant = self.tokens.verify(authorization, scope, feed_id)
        row = await self._feed_row(feed_id)
        if row.purpose == "session":
            live = await self.sessions.get(str(row.session_id))
            if live.state not in LIVE_SESSION:
                raise Conflict(f"the session is {live.state}, not open", current_state=live.state)
        else:
            state = await self.repo.test_state_of_feed(row.feed_id)
            if state is None:
                raise Conflict("the equipment test is gone")
            EQUIPMENT_TEST.require(state, TestAction.PUBLISH)
        return row, grant

    async def whip(self, feed_id: str, authorization: str | None, offer: str) -> WebRtcResource:
        """WHIP (RFC 9725 4.2): a camera feed takes video and optionally audio; a talk-back feed
        takes audio only. Bad offers raise SdpError (400) or UnusableOffer (422)."""
        row, grant = await self._media_target(feed_id, authorization, "publish")
        if row.kind == "rtsp":
            raise Conflict(f"feed {feed_id} is an RTSP camera; the gateway pulls it")
        description = parse_offer(offer, "publish", audio_only=row.kind == "talkback")
        feed = await self._live_feed(row)
        peer, answer = await self.plane.publish(feed, description)
        row.codec = feed.codec
        row.audio_codec = feed.audio_codec
        if row.purpose == "equipment_test":
            self.plane.start_equipment_test(feed, peer)
        await self._joined(row, peer, grant)
        return WebRtcResource(peer.resource_id, answer, peer.etag, peer.warning)

    async def whep(self, feed_id: str, authorization: str | None, offer: str) -> WebRtcResource:
        """WHEP: the feed's video and audio as received; a talk-back feed's audio only."""
        row, grant = await self._media_target(feed_id, authorization, "view")
        description = parse_offer(offer, "view", audio_only=row.kind == "talkback")
        peer, answer = await self.plane.view(await self._live_feed(row), description)
        await self._joined(row, peer, grant)
        return WebRtcResource(peer.resource_id, answer, peer.etag, peer.warning)

    async def _joined(self, row: MediaFeed, peer: Peer, grant: MediaGrant) -> None:
        peer.subject = grant.subject
        if row.session_id is None:
            return  # an equipment test is no session
        peer.session_id = str(row.session_id)
        await self.sessions.record_participation(
            row.session_id,
            "joined",
            grant.subject,
            {"feed_id": peer.feed_id, "resource_id": peer.resource_id, "role": peer.role, "feed_kind": row.kind},
        )

    async def peer_left(self, peer: Peer, reason: str) -> None:
        """For the media plane: a WHIP/WHEP session ended (DELETE, hang-up, lost connection, feed end)."""
        if peer.session_id is None:
            return
        await self.sessions.record_participation(
            uuid.UUID(peer.session_id),
            "left",
            peer.subject or "unknown",
            {"feed_id": peer.feed_id, "resource_id": peer.resource_id, "role": peer.role, "reason": reason},
        )

    def _resource(self, feed_id: str, resource_id: str, authorization: str | None, scope: Scope) -> Peer:
        self.tokens.verify(authorization, scope, feed_id)
        peer = self.plane.peers.get(resource_id)
        if peer is None or peer.feed_id != feed_id or peer.role != scope:
            raise NotFound(f"no {'WHIP' if scope == 'publish' else 'WHEP'} resource {resource_id!r} on this feed")
        return peer

    async def patch_resource(
        self, feed_id: str, resource_id: str, authorization: str | None, scope: Scope, if_match: str | None, body: str
    ) -> str:
        """Trickle ICE (RFC 9725 4.3.1): 412 when If-Match names another version of the resource;
        an ICE restart is refused with 422 (see media.trickle). Returns the resource's ETag."""
        peer = self._resource(feed_id, resource_id, authorization, scope)
        if (
            if_match is not None
            and if_match.strip() != "*"
            and peer.etag not in {t.strip() for t in if_match.split(",")}
        ):
            raise PreconditionFailed(f"If-Match {if_match} does not match the resource's ETag {peer.etag}")
        await self.plane.trickle(peer, parse_fragment(body))
        return peer.etag

    async def end_resource(self, feed_id: str, resource_id: str, authorization: str | None, scope: Scope) -> None:
        """DELETE (RFC 9725 4.2): idempotent for a session whose connection already ended."""
        self.tokens.verify(authorization, scope, feed_id)
        if self.plane.ended.get(resource_id) == (feed_id, scope):
            return
        self._resource(feed_id, resource_id, authorization, scope)
        await self.plane.close_peer(resource_id, "DELETE by the client")

    # --- recordings and snapshots ---

    async def start_recording(self, live: InspectionSession, principal: Principal, body: RecordingCreate) -> Recording:
        inspection = await self.sessions.inspection_of(live)
        officer = team_officer(principal, self.sessions.team(inspection))
        if live.state != SessionState.IN_PROGRESS:
            raise Conflict(f"the session is {live.state}; steps are recorded in progress", current_state=live.state)
        self.sessions.check_step(inspection, body.kind, body.site_id)
        row = await self._feed_row(body.feed_id, live)
        feed = await self._live_feed(row)
        if feed.kind == "rtsp":
            await self.plane.rtsp.ensure(feed)
        if feed.codec is None:
            raise Conflict("the feed has no video yet: start the recording once it is live", feed_state=feed.state)
        recording_id = uuid.uuid4()
        folder = Path(self.settings.evidence_dir) / str(live.session_id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        recording = Recording(
            recording_id=recording_id,
            session_id=live.session_id,
            feed_id=row.feed_id,
            kind=body.kind,
            note=body.note,
            site_id=body.site_id,
            officer_id=str(officer["officer_id"]),
            state=RecordingState.RECORDING,
            started_at=self.clock.now(),
            instance_id=self.settings.instance_id,
        )
        recorder = self.plane.start_recording(str(recording_id), feed, folder / _file_stem(body.kind, recording_id.hex))
        # Named now, so that if this process dies the fragments on disk can still be closed.
        recording.file = recorder.path.name
        self.repo.add(recording)
        await self.repo.flush()
        return recording

    async def _recording(self, live: InspectionSession, recording_id: str) -> Recording:
        recording = await get_by_id(self.repo.session, Recording, recording_id, what="recording", for_update=True)
        if recording.session_id != live.session_id:
            raise not_found("recording", recording_id)
        return recording

    async def stop_recording(self, live: InspectionSession, principal: Principal, recording_id: str) -> Recording:
        team_officer(principal, self.sessions.team(await self.sessions.inspection_of(live)))
        recording = await self._recording(live, recording_id)
        RECORDING.require(recording.state, RecordingAction.STOP)
        if recording.instance_id != self.settings.instance_id:
            raise await self._misplaced(f"recording {recording_id}", recording.instance_id)
        await self._close(live, recording, "stopped by the officer")
        return recording

    async def _close(self, live: InspectionSession, recording: Recording, reason: str) -> ManifestEntry:
        """Closes the clip, hashes it and puts it on the chain (or notes that nothing arrived)."""
        clip = self.plane.stop_recording(str(recording.recording_id))
        now = self.clock.now()
        if clip is not None:
            path = clip.path
        else:  # a clip of a process that died: what its fragments left on disk
            path = Path(self.settings.evidence_dir) / str(live.session_id) / recording.file if recording.file else None
        digest = await asyncio.to_thread(sha256_of, path) if path is not None and path.exists() else None
        note = recording.note
        if digest is None:
            path = None
            note = f"{note} [no video received]".strip()
        elif reason != "stopped by the officer":
            note = f"{note} [{reason}]".strip()
        if clip is not None and digest is not None:
            # What the clip does not hold is said where the evidence is read, never left silent.
            if clip.skipped:
                note = f"{note} [{clip.skipped} video frames not written: timestamps out of order]".strip()
            if clip.audio_note:
                note = f"{note} [{clip.audio_note}]".strip()
        entry = await self.sessions.append_evidence(
            live,
            kind=recording.kind,
            file_path=path,
            sha256=digest,
            feed_id=str(recording.feed_id),
            started_at=recording.started_at,
            ended_at=now,
            officer_id=recording.officer_id,
            note=note,
            site_id=recording.site_id,
        )
        recording.state = RECORDING.transition(recording.state, RecordingAction.STOP)
        recording.ended_at, recording.close_reason = now, reason
        recording.file, recording.sha256 = (path.name if path else None), digest
        recording.bytes = path.stat().st_size if path is not None else 0
        recording.frames = clip.frames if clip is not None else await asyncio.to_thread(_frames_in, path)
        recording.audio_codec = clip.audio_codec if clip is not None else None
        recording.audio_packets = clip.audio_packets if clip is not None else None
        recording.manifest_seq = entry.seq
        return entry

    async def close_session_recordings(self, live: InspectionSession, reason: str) -> list[str]:
        """Before the manifest is sealed: every clip still running is closed onto the chain."""
        if live.state != SessionState.IN_PROGRESS:
            return []
        open_ = await self.repo.running_recordings(live.session_id, self.settings.instance_id)
        for recording in open_:
            await self._close(live, recording, reason)
        return [str(r.recording_id) for r in open_]

    async def recover_orphans(self) -> list[str]:
        """Recordings left running by a gateway process that died (its heartbeat stopped, or this
        process restarted under the same instance id): the fragments on disk are closed onto the
        chain, at most the last fragment lost. Lost feeds of dead instances are marked too."""
        alive = self._registry().alive_ids(other_than=self.settings.instance_id)
        orphans = await self.repo.orphaned_recordings(alive)
        recovered: list[str] = []
        for recording_id, session_id in orphans:
            if str(recording_id) in self.plane.recordings:
                continue  # running here
            live = await self.sessions.get(str(session_id), for_update=True)
            recording = await self._recording(live, str(recording_id))
            if not RECORDING.can(recording.state, RecordingAction.ORPHAN):
                continue
            if live.state != SessionState.IN_PROGRESS:
                # Sealed without it: the file stays in the folder, outside the signed manifest.
                recording.state = RECORDING.transition(recording.state, RecordingAction.ORPHAN)
                recording.ended_at = self.clock.now()
                recording.close_reason = f"gateway {recording.instance_id} stopped; the session was {live.state} first"
                continue
            await self._close(
                live, recording, f"gateway {recording.instance_id} stopped; closed from the fragments on disk"
            )
            recovered.append(str(recording_id))
        await self.repo.mark_feeds_lost(
            alive, self.settings.instance_id, self.clock.now(), "its gateway instance stopped"
        )
        return recovered

    async def close_for_shutdown(self, recording_id: str) -> None:
        session_id = await self.repo.session_of_recording(uuid.UUID(recording_id))
        if session_id is None:
            return
        live = await self.sessions.get(str(session_id), for_update=True)
        recording = await self._recording(live, recording_id)
        if RECORDING.can(recording.state, RecordingAction.STOP) and live.state == SessionState.IN_PROGRESS:
            await self._close(live, recording, "gateway shutting down")

    def release_session(self, live: InspectionSession) -> None:
        """After the end or the shift on-site: the session's feeds stop (their peers close)."""
        self.plane.end_session_feeds(str(live.session_id))

    async def snapshot(self, live: InspectionSession, principal: Principal, body: SnapshotCreate) -> ManifestEntry:
        inspection = await self.sessions.inspection_of(live)
        officer = team_officer(principal, self.sessions.team(inspection))
        if live.state != SessionState.IN_PROGRESS:
            raise Conflict(f"the session is {live.state}; steps are recorded in progress", current_state=live.state)
        if not is_well_formed(body.kind):
            raise Unprocessable(f"unknown step kind {body.kind!r}")
        self.sessions.check_step(inspection, body.kind, body.site_id)
        row = await self._feed_row(body.feed_id, live)
        feed = await self._live_feed(row)
        if feed.kind == "rtsp":
            await self.plane.rtsp.ensure(feed)
        keyframe = await self.plane.latest_keyframe(feed, SNAPSHOT_WAIT_S)
        if keyframe is None or feed.codec is None:
            raise Conflict(f"no picture from feed {body.feed_id} within {SNAPSHOT_WAIT_S:g} s", feed_state=feed.state)
        try:
            jpeg, width, height = await asyncio.to_thread(
                jpeg_snapshot, feed.codec, keyframe.data, self.settings.snapshot_quality
            )
        except KeyframeError as exc:
            raise Conflict(f"the latest picture could not be decoded: {exc}") from None
        folder = Path(self.settings.evidence_dir) / str(live.session_id)
        path = folder / (_file_stem(body.kind, uuid.uuid4().hex) + ".jpg")

        def write() -> str:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(jpeg)
            return hashlib.sha256(jpeg).hexdigest()

        digest = await asyncio.to_thread(write)
        now = self.clock.now()
        return await self.sessions.append_evidence(
            live,
            kind=body.kind,
            file_path=path,
            sha256=digest,
            feed_id=body.feed_id,
            started_at=now,
            ended_at=now,
            officer_id=str(officer["officer_id"]),
            note=(body.note + f" [snapshot {width}x{height}]").strip(),
            site_id=body.site_id,
        )

    # --- a feed that ended ---

    async def feed_ended(self, feed: Feed) -> None:
        """Its recordings close with what was received; a lost feed is announced."""
        row = await self._feed_row(feed.feed_id)
        now = self.clock.now()
        row.state, row.ended_at, row.lost_reason = feed.state, now, feed.lost_reason
        row.codec = feed.codec or row.codec
        closed: list[str] = []
        if row.session_id is not None:
            live = await self.sessions.get(str(row.session_id), for_update=True)
            reason = f"feed lost: {feed.lost_reason}" if feed.state == FeedState.LOST else "feed ended by its publisher"
            for recording_id in self.plane.recordings_on(feed.feed_id):
                recording = await self._recording(live, recording_id)
                if RECORDING.can(recording.state, RecordingAction.STOP):
                    await self._close(live, recording, reason)
                    closed.append(recording_id)
        if feed.state == FeedState.LOST:
            await self.outbox.emit(
                self.sessions.session,
                p.FeedLost(
                    session_id=str(row.session_id) if row.session_id else None,
                    inspection_id=row.inspection_id,
                    feed_id=feed.feed_id,
                    kind=feed.kind,
                    reason=feed.lost_reason or "unknown",
                    lost_at=now,
                    recordings_closed=closed,
                ),
                subject=row.inspection_id,
                time=now,
            )

    # --- equipment tests (GACC-RVI 4(II)) ---

    def thresholds(self) -> Thresholds:
        s = self.settings
        return Thresholds(
            min_width=s.equipment_min_width,
            min_height=s.equipment_min_height,
            min_fps=s.equipment_min_fps,
            min_bitrate_kbps=s.equipment_min_bitrate_kbps,
            max_loss_pct=s.equipment_max_loss_pct,
            max_rtt_ms=s.equipment_max_rtt_ms,
        )

    async def create_equipment_test(self, inspection_id: str, principal: Principal) -> tuple[EquipmentTest, IssuedFeed]:
        inspection = await self.sessions.find_inspection(inspection_id)
        if inspection is None:
            raise NotFound(f"inspection {inspection_id!r} not found")
        ensure_enterprise_access(principal, inspection.enterprise_id)
        if inspection.state in WITHDRAWN:
            raise Conflict(f"the inspection is {inspection.state}", current_state=inspection.state)
        now = self.clock.now()
        row = MediaFeed(
            feed_id=uuid.uuid4(),
            inspection_id=inspection_id,
            session_id=None,
            purpose="equipment_test",
            kind="webrtc",
            label="equipment test",
            state=ROW_CREATED,
            created_by=self._actor(principal),
            created_at=now,
            instance_id=self.settings.instance_id,
        )
        self.repo.add(row)
        await self.repo.flush()
        test = EquipmentTest(
            test_id=uuid.uuid4(),
            inspection_id=inspection_id,
            enterprise_id=inspection.enterprise_id,
            feed_id=row.feed_id,
            state=TestState.WAITING,
            created_at=now,
            failures=[],
        )
        self.repo.add(test)
        await self.repo.flush()
        self.plane.open_feed(str(row.feed_id), inspection_id, None, "webrtc")
        return test, self._issue(row, publish=True, view=False)

    async def equipment_test(self, test_id: str, principal: Principal) -> EquipmentTest:
        key = parse_key(EquipmentTest, test_id, "equipment test")
        test = await self.repo.equipment_test(key)
        if test is None:
            raise not_found("equipment test", test_id)
        ensure_enterprise_access(principal, test.enterprise_id)
        expiry = test.created_at + timedelta(seconds=self.settings.publish_token_ttl_s)
        expired = self.clock.now() > expiry and self.plane.feed(str(test.feed_id)) is None
        if expired and EQUIPMENT_TEST.can(test.state, TestAction.EXPIRE):
            # The read above is transient: the expiry is written through the ORM session.
            test = await get_by_id(self.repo.session, EquipmentTest, key, what="equipment test")
            if EQUIPMENT_TEST.can(test.state, TestAction.EXPIRE):
                test.state = EQUIPMENT_TEST.transition(test.state, TestAction.EXPIRE)
                test.completed_at = self.clock.now()
        return test

    async def equipment_measured(self, feed_id: str, measurement: Measurement | None) -> None:
        """Judged against the thresholds and announced; eligibility and scheduling read it."""
        test = await self.repo.equipment_test_of_feed(uuid.UUID(feed_id), for_update=True)
        if test is None or not EQUIPMENT_TEST.can(test.state, TestAction.PASS):
            return
        now = self.clock.now()
        if measurement is None:
            failures = [f"no picture received within {self.settings.equipment_deadline_s:g} s"]
        else:
            failures = judge(measurement, self.thresholds())
        test.state = EQUIPMENT_TEST.transition(test.state, TestAction.FAIL if failures else TestAction.PASS)
        test.completed_at, test.failures = now, failures
        test.measurement = measurement.as_dict() if measurement is not None else None
        m = measurement
        await self.outbox.emit(
            self.sessions.session,
            p.EquipmentTested(
                inspection_id=test.inspection_id,
                enterprise_id=test.enterprise_id,
                passed=not failures,
                width=m.width if m else None,
                height=m.height if m else None,
                fps=m.fps if m else None,
                bitrate_kbps=m.bitrate_kbps if m else None,
                packet_loss_pct=m.packet_loss_pct if m else None,
                rtt_ms=m.rtt_ms if m else None,
                tested_at=now,
                test_id=str(test.test_id),
                codec=m.codec if m else None,
                failures=failures,
            ),
            subject=test.inspection_id,
            time=now,
        )

    async def recordings(self, live: InspectionSession, principal: Principal) -> list[Recording]:
        await self._member(live, principal)
        return list(await self.repo.recordings_of(live.session_id))
