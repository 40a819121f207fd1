"""Media endpoints: feeds and their tokens, WHIP (RFC 9725) and WHEP signalling, key-step
recordings and snapshots, equipment tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Request, Response

from rvi_shared.auth import Principal, Role, require_roles
from rvi_shared.errors import DomainError
from rvi_video_gateway.dependencies import media_service
from rvi_video_gateway.instances.placement import PlacedElsewhere
from rvi_video_gateway.media.schemas import (
    EquipmentTestOut,
    FeedCreate,
    FeedOut,
    RecordingCreate,
    RecordingOut,
    SnapshotCreate,
    TokenRequest,
)
from rvi_video_gateway.media.sdp import MAX_SDP_BYTES
from rvi_video_gateway.media.service import IssuedFeed, MediaService, WebRtcResource
from rvi_video_gateway.media.tokens import Scope
from rvi_video_gateway.media.trickle import SDPFRAG
from rvi_video_gateway.media.url_policy import redacted
from rvi_video_gateway.models import EquipmentTest, MediaFeed, Recording
from rvi_video_gateway.sessions.schemas import StepRecorded, entry_out

media_router = APIRouter(tags=["media"])
whip_router = APIRouter(prefix="/whip", tags=["WHIP / WHEP"])
whep_router = APIRouter(prefix="/whep", tags=["WHIP / WHEP"])

Media = Annotated[MediaService, Depends(media_service)]
Members = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.ENTERPRISE)
Officers = require_roles(Role.OFFICER, Role.SUPERVISOR)
Testers = require_roles(Role.ENTERPRISE, Role.OFFICER, Role.SUPERVISOR, Role.SYSTEM)
SDP = "application/sdp"


class UnsupportedMedia(DomainError):
    status_code = 415


def _time(epoch: float) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _urls(request: Request, media: MediaService, feed_id: str) -> tuple[str, str]:
    base = media.settings.advertised_url or str(request.base_url).rstrip("/")
    return f"{base}/whip/{feed_id}", f"{base}/whep/{feed_id}"


def feed_out(request: Request, media: MediaService, row: MediaFeed, issued: IssuedFeed | None = None) -> FeedOut:
    whip, whep = _urls(request, media, str(row.feed_id))
    live = media.plane.feed(str(row.feed_id))
    return FeedOut(
        feed_id=str(row.feed_id),
        session_id=str(row.session_id) if row.session_id else None,
        inspection_id=row.inspection_id,
        kind=row.kind,
        label=row.label,
        codec=(live.codec if live else None) or row.codec,
        audio_codec=(live.audio_codec if live else None) or row.audio_codec,
        probe=row.probe,
        state=(live.state if live else None) or row.state,
        lost_reason=(live.lost_reason if live else None) or row.lost_reason,
        source_url=redacted(row.source_url) if row.source_url else None,
        whip_url=whip if row.kind != "rtsp" else None,
        whep_url=whep,
        publish_token=issued.publish_token if issued else None,
        view_token=issued.view_token if issued else None,
        tokens_expire_at=_time(issued.expires_at) if issued else None,
        viewers=live.consumers if live else 0,
        frames=live.counters.frames if live else 0,
        audio_packets=live.counters.audio_packets if live else 0,
    )


def recording_out(r: Recording) -> RecordingOut:
    return RecordingOut(
        recording_id=str(r.recording_id),
        session_id=str(r.session_id),
        feed_id=str(r.feed_id),
        kind=r.kind,
        note=r.note,
        officer_id=r.officer_id,
        state=r.state,
        started_at=r.started_at,
        ended_at=r.ended_at,
        close_reason=r.close_reason,
        file=r.file,
        sha256=r.sha256,
        bytes=r.bytes,
        frames=r.frames,
        audio_codec=r.audio_codec,
        audio_packets=r.audio_packets,
        manifest_seq=r.manifest_seq,
    )


def test_out(
    request: Request, media: MediaService, test: EquipmentTest, issued: IssuedFeed | None = None
) -> EquipmentTestOut:
    whip, _ = _urls(request, media, str(test.feed_id))
    thresholds = media.thresholds()
    return EquipmentTestOut(
        test_id=str(test.test_id),
        inspection_id=test.inspection_id,
        feed_id=str(test.feed_id),
        state=test.state,
        created_at=test.created_at,
        completed_at=test.completed_at,
        measurement=test.measurement,
        failures=test.failures,
        thresholds={k: float(v) for k, v in vars(thresholds).items()},
        whip_url=whip if issued else None,
        publish_token=issued.publish_token if issued else None,
        tokens_expire_at=_time(issued.expires_at) if issued else None,
    )


# --- feeds ---


@media_router.post("/v1/sessions/{session_id}/feeds", status_code=201, response_model=FeedOut)
async def create_feed(
    session_id: str, body: FeedCreate, request: Request, media: Media, principal: Principal = Depends(Members)
) -> FeedOut:
    """A feed for an open session. `webrtc`: publish to `whip_url` with `publish_token` (short-lived,
    this feed only). `rtsp`: the gateway pulls the camera over TCP while someone watches or records.
    Officers watch at `whep_url` with `view_token`."""
    live = await media.session(session_id)
    issued = await media.create_feed(live, principal, body)
    return feed_out(request, media, issued.row, issued)


@media_router.get("/v1/sessions/{session_id}/feeds", response_model=list[FeedOut])
async def list_feeds(
    session_id: str, request: Request, media: Media, principal: Principal = Depends(Members)
) -> list[FeedOut]:
    live = await media.session(session_id)
    return [feed_out(request, media, row) for row in await media.feeds(live, principal)]


@media_router.post("/v1/sessions/{session_id}/feeds/{feed_id}/tokens", response_model=FeedOut)
async def feed_tokens(
    session_id: str,
    feed_id: str,
    body: TokenRequest,
    request: Request,
    media: Media,
    principal: Principal = Depends(Members),
) -> FeedOut:
    """Fresh media tokens: `view` for officers of the team, `publish` for the enterprise or an officer."""
    live = await media.session(session_id)
    issued = await media.issue_tokens(live, principal, feed_id, body.scope)
    return feed_out(request, media, issued.row, issued)


# --- WHIP / WHEP ---

# The offer is read as raw text (RFC 9725: Content-Type application/sdp); declared for the OpenAPI document.
SDP_OFFER = {"requestBody": {"required": True, "content": {SDP: {"schema": {"type": "string"}}}}}
# RFC 9725 4.3.1: trickle ICE and ICE restart; 412 when If-Match names another version of the resource.
SDP_FRAGMENT = {"requestBody": {"required": True, "content": {SDPFRAG: {"schema": {"type": "string"}}}}}
PATCH_RESPONSES: dict[int | str, dict[str, object]] = {
    412: {"description": "If-Match names another version of the resource (its ETag changed)"}
}

WHEP_OFFER_RESPONSES: dict[int | str, dict[str, object]] = {
    503: {
        "description": "Every transcoding slot of this instance is taken (TranscodePoolFull)",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    }
}


async def _offer(request: Request, content_type: str | None) -> str:
    if (content_type or "").split(";")[0].strip().lower() != SDP:
        raise UnsupportedMedia(f"Content-Type must be {SDP}")
    body = await request.body()
    if len(body) > MAX_SDP_BYTES:
        raise DomainError(f"the SDP offer is larger than {MAX_SDP_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError("the SDP offer is not UTF-8 text") from None


def _elsewhere(exc: PlacedElsewhere, request: Request) -> Response:
    """RFC 9725 4.5: a WHIP/WHEP endpoint may redirect; the feed's media lives on another instance."""
    url = exc.context.get("instance_url")
    if not url:
        raise exc
    return Response(
        status_code=307, headers={"Location": f"{str(url).rstrip('/')}{quote(request.url.path)}"}, content=exc.message
    )


def _ice_servers(media: MediaService) -> list[str]:
    """RFC 9725 4.6: each configured STUN/TURN server as a Link header (no credentials are configured)."""
    return [f'<{url}>; rel="ice-server"' for url in media.settings.ice_servers]


def _created(prefix: str, feed_id: str, resource: WebRtcResource, media: MediaService) -> Response:
    headers = {
        "Location": f"/{prefix}/{quote(feed_id, safe='')}/{quote(resource.resource_id, safe='')}",
        "ETag": resource.etag,
        "Accept-Patch": SDPFRAG,
    }
    links = _ice_servers(media)
    if links:
        headers["Link"] = ", ".join(links)
    if resource.warning:
        # RFC 9111 5.5's format (299: a persistent warning): a section of the offer was rejected.
        headers["Warning"] = '299 rvi-video-gateway "' + resource.warning.replace('"', "'") + '"'
    return Response(content=resource.answer, status_code=201, media_type=SDP, headers=headers)


def _options(media: MediaService) -> Response:
    headers = {"Accept-Post": SDP, "Accept-Patch": SDPFRAG}
    links = _ice_servers(media)
    if links:
        headers["Link"] = ", ".join(links)
    return Response(status_code=204, headers=headers)


async def _fragment(request: Request, content_type: str | None) -> str:
    if (content_type or "").split(";")[0].strip().lower() != SDPFRAG:
        raise UnsupportedMedia(f"Content-Type must be {SDPFRAG} (RFC 9725 4.3.1)")
    body = await request.body()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError("the SDP fragment is not UTF-8 text") from None


# --- recordings and snapshots ---


@media_router.post("/v1/sessions/{session_id}/recordings", status_code=201, response_model=RecordingOut)
async def start_recording(
    session_id: str, body: RecordingCreate, media: Media, principal: Principal = Depends(Officers)
) -> RecordingOut:
    """Starts a key step's clip: the feed's packets remuxed as received (fragmented MP4 for H.264,
    WebM for VP8; fragments of at most 2 s), from the next keyframe."""
    live = await media.session(session_id)
    return recording_out(await media.start_recording(live, principal, body))


@media_router.get("/v1/sessions/{session_id}/recordings", response_model=list[RecordingOut])
async def list_recordings(session_id: str, media: Media, principal: Principal = Depends(Members)) -> list[RecordingOut]:
    live = await media.session(session_id)
    return [recording_out(r) for r in await media.recordings(live, principal)]


@media_router.post("/v1/sessions/{session_id}/recordings/{recording_id}/stop", response_model=RecordingOut)
async def stop_recording(
    session_id: str, recording_id: str, media: Media, principal: Principal = Depends(Officers)
) -> RecordingOut:
    """Closes the clip, hashes it (SHA-256) and appends it to the evidence chain; emits
    `rvi.session.step_recorded.v1` with the entry's digest."""
    live = await media.session(session_id, for_update=True)
    return recording_out(await media.stop_recording(live, principal, recording_id))


@media_router.post("/v1/sessions/{session_id}/snapshots", status_code=201, response_model=StepRecorded)
async def take_snapshot(
    session_id: str, body: SnapshotCreate, media: Media, principal: Principal = Depends(Officers)
) -> StepRecorded:
    """A JPEG of the feed's latest keyframe (the one decode the gateway does), hashed onto the chain."""
    live = await media.session(session_id, for_update=True)
    link = await media.snapshot(live, principal, body)
    return StepRecorded(session_id=session_id, **entry_out(link).model_dump())


# --- equipment tests ---


@media_router.post("/v1/inspections/{inspection_id}/equipment-tests", status_code=201, response_model=EquipmentTestOut)
async def create_equipment_test(
    inspection_id: str, request: Request, media: Media, principal: Principal = Depends(Testers)
) -> EquipmentTestOut:
    """GACC-RVI 4(II): publish a short test to `whip_url`; the gateway measures it over
    `equipment_window_s` and emits `rvi.equipment.tested.v1` with pass or fail."""
    test, issued = await media.create_equipment_test(inspection_id, principal)
    return test_out(request, media, test, issued)


@media_router.get("/v1/equipment-tests/{test_id}", response_model=EquipmentTestOut)
async def get_equipment_test(
    test_id: str, request: Request, media: Media, principal: Principal = Depends(Testers)
) -> EquipmentTestOut:
    return test_out(request, media, await media.equipment_test(test_id, principal))


def _webrtc_routes(
    router: APIRouter,
    scope: Scope,
    offer_name: str,
    offer_doc: str,
    end_doc: str,
    offer_responses: dict[int | str, dict[str, object]] | None = None,
) -> None:
    """The routes WHIP and WHEP share (RFC 9725 4.2, 4.3): OPTIONS and POST (an SDP offer) on the
    endpoint, PATCH (trickle ICE) and DELETE on a resource; the publish token for WHIP, the view
    token for WHEP."""
    kind = router.prefix.strip("/")

    async def offer(
        feed_id: str,
        request: Request,
        media: Media,
        content_type: str | None = Header(default=None),
        authorization: str | None = Header(default=None),
    ) -> Response:
        sdp = await _offer(request, content_type)
        take = media.whip if scope == "publish" else media.whep
        try:
            resource = await take(feed_id, authorization, sdp)
        except PlacedElsewhere as exc:
            return _elsewhere(exc, request)
        return _created(kind, feed_id, resource, media)

    async def options(feed_id: str, media: Media) -> Response:
        return _options(media)

    async def patch(
        feed_id: str,
        resource_id: str,
        request: Request,
        media: Media,
        content_type: str | None = Header(default=None),
        authorization: str | None = Header(default=None),
        if_match: str | None = Header(default=None),
    ) -> Response:
        """Trickle ICE (RFC 9725 4.3.1): `application/trickle-ice-sdpfrag` with the resource's token;
        204. 412 when `If-Match` is not the resource's ETag; 404 for an unknown resource; an ICE
        restart (new ice-ufrag/ice-pwd) is answered 422: this gateway cannot restart ICE."""
        body = await _fragment(request, content_type)
        etag = await media.patch_resource(feed_id, resource_id, authorization, scope, if_match, body)
        return Response(status_code=204, headers={"ETag": etag})

    async def end(
        feed_id: str, resource_id: str, media: Media, authorization: str | None = Header(default=None)
    ) -> Response:
        await media.end_resource(feed_id, resource_id, authorization, scope)
        return Response(status_code=200)

    router.add_api_route(
        "/{feed_id}", options, methods=["OPTIONS"], status_code=204, response_class=Response, name=f"{kind}_options"
    )
    router.add_api_route(
        "/{feed_id}",
        offer,
        methods=["POST"],
        status_code=201,
        response_class=Response,
        openapi_extra=SDP_OFFER,
        responses=offer_responses,
        name=offer_name,
        description=offer_doc,
    )
    router.add_api_route(
        "/{feed_id}/{resource_id}",
        patch,
        methods=["PATCH"],
        status_code=204,
        response_class=Response,
        openapi_extra=SDP_FRAGMENT,
        responses=PATCH_RESPONSES,
        name=f"{kind}_patch",
    )
    router.add_api_route("/{feed_id}/{resource_id}", end, methods=["DELETE"], name=f"{kind}_end", description=end_doc)


_webrtc_routes(
    whip_router,
    "publish",
    "whip_publish",
    "WHIP (RFC 9725): the publisher's SDP offer with the feed's publish token; answered `201` with the "
    "answer, the resource's `Location` and `ETag`. H.264 (any profile, packetization-mode 1) or VP8, and "
    "Opus, PCMA or PCMU audio, are relayed as received; a talk-back feed takes audio only. A section the "
    "gateway cannot take is answered rejected and named in a `Warning: 299` header. A malformed offer: 400 "
    "naming the line; one that cannot work: 422.",
    "Ends the publication; recordings of the feed close with what was received.",
)
_webrtc_routes(
    whep_router,
    "view",
    "whep_view",
    "WHEP: an SDP offer to receive the feed; the answer carries the feed's own codecs (video and audio as "
    "received; the H.264 entry of the feed's profile first). Errors as for WHIP; 503 with `Retry-After` "
    "when the feed needs a transcode and every transcoding slot of this instance is taken.",
    "Ends the viewing session.",
    WHEP_OFFER_RESPONSES,
)
