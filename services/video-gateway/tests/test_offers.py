"""Offers as real WebRTC stacks write them (tests/offers/: Chrome, Firefox, GStreamer webrtcbin,
FFmpeg's WHIP muxer), the faults of issue 9 kept as small inputs, and mutated offers: every offer
is answered or refused with 4xx and a reason, never 500. The negotiation is aiortc's own."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from aiortc import RTCConfiguration
from aiortc.sdp import SessionDescription
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvi_platform.testing import Tokens
from rvi_video_gateway.media.feed import Feed
from rvi_video_gateway.media.sdp import SdpError, parse_offer
from rvi_video_gateway.media.webrtc import accept_publisher, accept_viewer

if TYPE_CHECKING:
    from conftest import MediaPeers, StartSession

OFFERS_DIR = Path(__file__).with_name("offers")
OFFERS = {p.stem: p.read_text().replace("\r\n", "\n").replace("\n", "\r\n") for p in sorted(OFFERS_DIR.glob("*.sdp"))}
SDP = {"Content-Type": "application/sdp"}
TRICKY_LINES = [
    "a=fmtp:123 x=1",
    "a=fingerprint:sha-1 AB:CD:EF:01",
    "a=fingerprint:sha-256 zz",
    "a=rtcp:abc",
    "m=video 9 UDP/TLS/RTP/SAVPF 300",
    "m=video 9 UDP/TLS/RTP/SAVPF 74",
    "m=audio 0 UDP/TLS/RTP/SAVPF 0",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "a=rtpmap:96 H264/abc",
    "a=rtpmap:96 H265/90000",
    "a=rtpmap:96",
    "a=fmtp:96 packetization-mode=1;profile-level-id=zzzzzz",
    "a=fmtp:96 packetization-mode=1;profile-level-id=4d0028",
    "a=candidate:garbage",
    "a=candidate:1 1 udp 2122260223 not-an-address 46243 typ host",
    "a=setup:bogus",
    "a=ssrc:1 cname",
    "a=extmap:x y",
    "a=rtcp-fb:x nack",
    "a=mid:",
    "a=group:BUNDLE 7",
    "c=IN IP4 999.1.1.1",
    "a=ice-ufrag:",
    "a=inactive",
    "a=sendrecv",
    "b=AS:500",
    "a=ssrc-group:FID x",
    "a=rtcp-mux",
    "x",
    "",
]


def mutate(offer: str, choose: Callable[[int], int]) -> str:
    """Up to four edits of a real offer: delete, duplicate, swap or truncate a line, insert a
    tricky line, or replace one token of a line. `choose(n)` picks in range(n)."""
    lines = offer.split("\r\n")
    for _ in range(1 + choose(4)):
        at = choose(len(lines))
        operation = choose(6)
        if operation == 0 and len(lines) > 1:
            del lines[at]
        elif operation == 1:
            lines.insert(at, lines[at])
        elif operation == 2:
            other = choose(len(lines))
            lines[at], lines[other] = lines[other], lines[at]
        elif operation == 3:
            lines[at] = lines[at][: choose(len(lines[at]) + 1)]
        elif operation == 4:
            lines.insert(at, TRICKY_LINES[choose(len(TRICKY_LINES))])
        else:
            tokens = lines[at].split(" ")
            tokens[choose(len(tokens))] = ["0", "-1", "99999999999", "abc", "", ":", "H264/90000"][choose(7)]
            lines[at] = " ".join(tokens)
    return "\r\n".join(lines)


def as_viewer(offer: str) -> str:
    return offer.replace("a=sendonly", "a=recvonly")


def a_feed(codec: str | None = None, audio: str | None = None, kind: str = "webrtc") -> Feed:
    feed = Feed(feed_id=str(uuid.uuid4()), session_id=None, inspection_id="I", kind=kind)  # type: ignore[arg-type]
    feed.codec, feed.audio_codec = codec, audio  # type: ignore[assignment]
    return feed


async def negotiate(offer: str, role: str, feed: Feed | None = None) -> str:
    """What WHIP (publish) or WHEP (view) does with an offer, without HTTP."""
    description = parse_offer(offer, role)  # type: ignore[arg-type]
    feed = feed or (a_feed() if role == "publish" else a_feed("h264", "opus"))
    if role == "publish":
        peer, answer = await accept_publisher(feed, description, RTCConfiguration())
    else:
        peer, answer = await accept_viewer(feed, description, RTCConfiguration())
    await peer.close()
    return answer


def section(answer: str, kind: str) -> str:
    return next(s for s in answer.split("\r\nm=")[1:] if s.startswith(kind))


# --- real offers ---


@pytest.mark.parametrize("name", sorted(OFFERS))
async def test_real_publisher_offers_are_answered(name: str) -> None:
    feed = a_feed()
    answer = await negotiate(OFFERS[name], "publish", feed)
    video = section(answer, "video")
    assert "a=rtcp-mux" in video and "a=recvonly" in video
    assert feed.codec in ("h264", "vp8")
    assert feed.audio_codec == "opus", "every one of these publishers sends Opus"
    # Opus relayed as received: the audio section keeps only what the gateway relays.
    audio = section(answer, "audio")
    assert "opus/48000/2" in audio and "G722" not in audio and "telephone-event" not in audio
    # Same number of m= lines as the offer, in order (RFC 8829 5.3.1).
    assert answer.count("\r\nm=") == OFFERS[name].count("\r\nm=")


async def test_main_high_and_constrained_high_h264_are_negotiated_at_the_offered_level() -> None:
    """Issue 9: FFmpeg's WHIP muxer and GStreamer publish Main or High only; aiortc alone finds no
    common codec and the gateway answered 500."""
    for profile in ("4d001f", "64001f", "640c1f", "640028"):
        offer = OFFERS["ffmpeg-whip"].replace("profile-level-id=64001f", f"profile-level-id={profile}")
        feed = a_feed()
        answer = await negotiate(offer, "publish", feed)
        assert f"profile-level-id={profile}" in section(answer, "video"), profile
        assert feed.codec == "h264" and feed.h264_profile_level_id == profile
        # A viewer offering only that profile is answered with it too (the feed's bytes as received).
        viewer = await negotiate(as_viewer(offer), "view", a_feed("h264", "opus"))
        assert f"profile-level-id={profile}" in section(viewer, "video")


async def test_viewer_entry_of_the_feeds_profile_comes_first() -> None:
    feed = a_feed("h264", "opus")
    feed.h264_profile_level_id = "64001f"
    answer = await negotiate(as_viewer(OFFERS["chrome"]), "view", feed)
    video = section(answer, "video")
    first_pt = video.split("\r\n")[0].split(" ")[3]
    assert f"a=fmtp:{first_pt} " in video
    assert "profile-level-id=64001f" in video.split(f"a=fmtp:{first_pt} ")[1].split("\r\n")[0]


async def test_viewer_offer_without_a_rtcp_line_keeps_rtcp_mux() -> None:
    """Issue 9: webrtcbin and libdatachannel write no a=rtcp:; re-serializing the narrowed offer
    dropped a=rtcp-mux and aiortc refused it (HTTP 500)."""
    offer = as_viewer(OFFERS["webrtcbin"])
    assert "a=rtcp:" not in offer
    answer = await negotiate(offer, "view", a_feed("h264", "opus"))
    assert "a=rtcp-mux" in section(answer, "video") and "a=sendonly" in section(answer, "video")


async def test_audio_the_gateway_cannot_take_is_rejected_and_said() -> None:
    g722_only = OFFERS["firefox"].replace("m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101", "m=audio 9 UDP/TLS/RTP/SAVPF 9")
    description = parse_offer(g722_only, "publish")
    feed = a_feed()
    peer, answer = await accept_publisher(feed, description, RTCConfiguration())
    await peer.close()
    assert section(answer, "audio").startswith("audio 0 "), "rejected: port 0"
    assert peer.warning is not None and "G722" in peer.warning
    assert feed.audio_codec is None and feed.codec in ("h264", "vp8")
    # A viewer asking for audio of a feed without any gets the section rejected and a warning.
    viewer_feed = a_feed("h264", None)
    description = parse_offer(as_viewer(OFFERS["chrome"]), "view")
    peer, answer = await accept_viewer(viewer_feed, description, RTCConfiguration())
    await peer.close()
    assert section(answer, "audio").startswith("audio 0 ") and "no audio" in (peer.warning or "")


@pytest.mark.parametrize(
    ("edit", "status", "reason"),
    [
        (lambda o: o.replace("a=rtpmap:111 opus/48000/2\r\n", ""), 400, "a=fmtp for payload type 111"),
        (lambda o: o.replace("a=fingerprint:sha-256", "a=fingerprint:sha-1"), 422, "sha-1 only"),
        (lambda o: o.replace("a=rtcp-mux\r\n", ""), 400, "no a=rtcp-mux"),
        (lambda o: o.replace("a=setup:actpass", "a=setup:maybe"), 400, "a=setup"),
        (lambda o: o.replace("a=rtpmap:102 H264/90000", "a=rtpmap:102 H264"), 400, "a=rtpmap is"),
    ],
)
async def test_unusable_offers_are_refused_naming_the_line_or_reason(
    edit: Callable[[str], str], status: int, reason: str
) -> None:
    with pytest.raises(SdpError) as refused:
        await negotiate(edit(OFFERS["chrome"]), "publish")
    assert refused.value.status_code == status and reason in refused.value.message, refused.value.message


# --- mutated offers ---


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(OFFERS)), data=st.data())
async def test_mutated_offers_get_an_answer_or_a_4xx_reason(name: str, data: st.DataObject) -> None:
    offer = mutate(OFFERS[name], lambda n: data.draw(st.integers(0, max(n - 1, 0))))
    for role, text in (("publish", offer), ("view", as_viewer(offer))):
        try:
            answer = await negotiate(text, role)
        except SdpError as exc:
            assert 400 <= exc.status_code < 500 and exc.message
        else:
            assert SessionDescription.parse(answer).media


async def test_mutated_viewer_offers_over_http_never_500(
    start_session: StartSession, media: MediaPeers, clip: Callable[..., Any], client: httpx.AsyncClient
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    await media.publish(feed, clip("h264"))
    rng = random.Random(9)
    statuses: dict[int, int] = {}
    for index in range(60):
        name = sorted(OFFERS)[index % len(OFFERS)]
        offer = as_viewer(mutate(OFFERS[name], lambda n: rng.randrange(max(n, 1))))
        response = await client.post(
            feed["whep_url"], content=offer, headers={**SDP, "Authorization": f"Bearer {feed['view_token']}"}
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (response.status_code, response.text, offer)
        if response.status_code == 201:
            location = response.headers["Location"]
            await client.delete(location, headers={"Authorization": f"Bearer {feed['view_token']}"})
        else:
            assert response.json()["detail"]
    assert 201 in statuses and any(400 <= s < 500 for s in statuses), statuses


async def test_whip_high_only_and_webrtcbin_offers_over_http(
    start_session: StartSession, media: MediaPeers, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    """The issue's 500s as HTTP: FFmpeg's High-only WHIP offer, a viewer offering High only and
    without a=rtcp (webrtcbin)."""
    session = await start_session()
    feed = await media.create_feed(session)
    response = await client.post(
        feed["whip_url"],
        content=OFFERS["ffmpeg-whip"],
        headers={**SDP, "Authorization": f"Bearer {feed['publish_token']}"},
    )
    assert response.status_code == 201, response.text
    assert "profile-level-id=64001f" in response.text and response.headers["ETag"]
    assert response.headers["Accept-Patch"] == "application/trickle-ice-sdpfrag"
    listed = await client.get(f"/v1/sessions/{session['session_id']}/feeds", headers=tokens.header(tokens.officer()))
    mine = next(f for f in listed.json() if f["feed_id"] == feed["feed_id"])
    assert mine["codec"] == "h264" and mine["audio_codec"] == "opus"
    viewer = as_viewer(OFFERS["webrtcbin"]).replace("profile-level-id=640028", "profile-level-id=64001f")
    response = await client.post(
        feed["whep_url"], content=viewer, headers={**SDP, "Authorization": f"Bearer {feed['view_token']}"}
    )
    assert response.status_code == 201, response.text
    assert "a=rtcp-mux" in response.text and "profile-level-id=64001f" in response.text


async def test_a_publisher_audio_codec_the_gateway_cannot_take_is_named_in_a_warning(
    start_session: StartSession, media: MediaPeers, client: httpx.AsyncClient
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    g722_only = OFFERS["chrome"].replace(
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "m=audio 9 UDP/TLS/RTP/SAVPF 9 13"
    )
    response = await client.post(
        feed["whip_url"], content=g722_only, headers={**SDP, "Authorization": f"Bearer {feed['publish_token']}"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["Warning"].startswith('299 rvi-video-gateway "audio section rejected')
    assert "G722" in response.headers["Warning"] and "\r\nm=audio 0 " in response.text
