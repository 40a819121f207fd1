"""WHIP/WHEP resources as RFC 9725 has them: trickle ICE by PATCH with ETag/If-Match, 404 for
unknown resources, the ICE restart this gateway cannot do answered 422, ice-server Links, CORS
for configured origins. Real aiortc publishers and the running gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
from aiortc.sdp import SessionDescription

from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers, StartSession

SDPFRAG = {"Content-Type": "application/trickle-ice-sdpfrag"}
PORTAL = "https://portal.example.gov.cn"


def fragment(ufrag: str, pwd: str, port: int = 50000) -> str:
    return (
        f"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
        f"a=candidate:1 1 udp 2122260223 127.0.0.1 {port} typ host\r\na=end-of-candidates\r\n"
    )


async def test_trickle_ice_patch_etag_and_ice_restart(
    start_session: StartSession, media: MediaPeers, clip: Callable[..., Any], client: httpx.AsyncClient
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    publisher = await media.publish(feed, clip("h264"))
    assert publisher.location is not None
    local = SessionDescription.parse(publisher.pc.localDescription.sdp).media[0].ice
    auth = {"Authorization": f"Bearer {feed['publish_token']}"}
    resource = publisher.location

    # The ETag of the resource came with the 201; a PATCH naming it (or none) is applied: 204.
    etag = (await client.options(feed["whip_url"])).headers.get("ETag")
    assert etag is None, "the endpoint has no ETag; the session resource has"
    response = await client.patch(
        resource, content=fragment(local.usernameFragment, local.password), headers={**SDPFRAG, **auth}
    )
    assert response.status_code == 204, response.text
    etag = response.headers["ETag"]
    response = await client.patch(
        resource,
        content=fragment(local.usernameFragment, local.password, 50001),
        headers={**SDPFRAG, **auth, "If-Match": etag},
    )
    assert response.status_code == 204, response.text

    # Another version: 412 (RFC 9725 4.3.1, RFC 9110 13.1.1).
    response = await client.patch(
        resource,
        content=fragment(local.usernameFragment, local.password),
        headers={**SDPFRAG, **auth, "If-Match": '"stale"'},
    )
    assert response.status_code == 412 and "ETag" in response.json()["detail"]

    # New credentials ask for an ICE restart, which aiortc cannot do: 422 saying so (RFC 9725 4.3).
    response = await client.patch(
        resource, content=fragment("newufrag", "newpassword0123456789ab"), headers={**SDPFRAG, **auth, "If-Match": "*"}
    )
    assert response.status_code == 422 and "ICE restart" in response.json()["detail"]

    # An unknown resource is 404 (it was 405 for everything); a bad fragment names its line; the
    # wrong media type is 415; the media token is needed.
    unknown = resource.rsplit("/", 1)[0] + "/" + "0" * 32
    response = await client.patch(
        unknown, content=fragment(local.usernameFragment, local.password), headers={**SDPFRAG, **auth}
    )
    assert response.status_code == 404
    response = await client.patch(resource, content="a=ice-ufrag:x\r\nnot a line\r\n", headers={**SDPFRAG, **auth})
    assert response.status_code == 400 and "line 2" in response.json()["detail"]
    response = await client.patch(resource, content="a=candidate:1 1 udp\r\n", headers={**SDPFRAG, **auth})
    assert response.status_code == 400 and "candidate" in response.json()["detail"]
    response = await client.patch(
        resource, content=fragment("a", "b"), headers={"Content-Type": "application/sdp", **auth}
    )
    assert response.status_code == 415
    response = await client.patch(resource, content=fragment("a", "b"), headers=SDPFRAG)
    assert response.status_code == 401
    assert publisher.pc.connectionState == "connected", "the candidates added did not disturb the session"


async def test_ice_server_links_and_cors(
    start_session: StartSession, media: MediaPeers, client: httpx.AsyncClient, settings: VideoGatewaySettings
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    response = await client.options(feed["whip_url"])
    assert response.status_code == 204 and "Link" not in response.headers, "no ICE servers configured"
    assert response.headers["Accept-Patch"] == "application/trickle-ice-sdpfrag"
    settings.ice_servers = ["stun:stun.cixi-customs.example:3478", "turn:turn.cixi-customs.example:3478?transport=udp"]
    try:
        response = await client.options(feed["whep_url"])
        assert response.headers["Link"] == (
            '<stun:stun.cixi-customs.example:3478>; rel="ice-server", '
            '<turn:turn.cixi-customs.example:3478?transport=udp>; rel="ice-server"'
        )
    finally:
        settings.ice_servers = []

    # A page of a configured origin: its preflight is answered, and it may read Location, Link, ETag.
    preflight = await client.options(
        feed["whip_url"],
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    posted = await client.post(
        feed["whip_url"],
        content="v=0\r\nnot sdp",
        headers={
            "Origin": PORTAL,
            "Content-Type": "application/sdp",
            "Authorization": f"Bearer {feed['publish_token']}",
        },
    )
    assert posted.status_code == 400 and posted.headers["Access-Control-Allow-Origin"] == PORTAL
    exposed = {h.strip().lower() for h in posted.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"location", "link", "etag"} <= exposed
    # Any other origin gets no CORS grant.
    other = await client.options(
        feed["whip_url"], headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in other.headers
