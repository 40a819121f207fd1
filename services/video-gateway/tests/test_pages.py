"""The publisher and viewer pages in a real headless Chromium (Debian's), against the gateway over
real HTTP on 127.0.0.1: the browser's fake camera published over WHIP and received by an aiortc
viewer and a recording; an aiortc H.264 publisher decoded by the browser's viewer page."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
import pytest
from playwright.async_api import Page, async_playwright

from rvi_platform.media_peers.clips import ClipSpec
from rvi_platform.testing import Tokens, eventually
from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers

StartSession = Callable[..., Awaitable[dict[str, Any]]]

CHROMIUM = "/usr/bin/chromium"  # Debian's package (`make test` installs it); never a downloaded build
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


class Browser:
    """One page of a fresh Chromium profile; keeps the page's console for failure messages."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    async def until(self, predicate: str, what: str, timeout_s: float = 30.0) -> Any:
        """Waits for a JS expression to be truthy; on timeout says what the page showed."""
        try:
            # As a function, not a string: the pages' CSP forbids eval, and the test keeps that CSP.
            handle = await self.page.wait_for_function(f"() => {predicate}", timeout=timeout_s * 1000)
            return await handle.json_value()
        except Exception as exc:
            shown = await self.page.evaluate("() => document.getElementById('status')?.textContent")
            raise AssertionError(f"{what}: {exc!s:.200}; status {shown!r}; console {self.console[-20:]}") from None

    async def output(self, element_id: str) -> str:
        return str(await self.page.get_attribute(f"#{element_id}", "data-value"))

    async def state(self) -> str:
        return str(await self.page.get_attribute("#status", "data-state"))


@pytest.fixture
async def chromium(tmp_path: Path) -> AsyncIterator[Browser]:
    started = time.monotonic()
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            print(f"chromium up in {time.monotonic() - started:.1f}s")
            yield Browser(page)
        finally:
            await context.close()


async def feed_state(
    client: httpx.AsyncClient, tokens: Tokens, session: dict[str, Any], feed_id: str
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/sessions/{session['session_id']}/feeds",
        headers=tokens.header(tokens.enterprise(session["enterprise_id"])),
    )
    assert response.status_code == 200, response.text
    return next(f for f in response.json() if f["feed_id"] == feed_id)


async def test_chromium_publishes_its_camera_over_whip(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    media: MediaPeers,
    serve_http: str,
    chromium: Browser,
) -> None:
    session = await start_session()
    sid = session["session_id"]
    feed = await media.create_feed(session)
    fid = feed["feed_id"]

    await chromium.page.goto(f"{serve_http}/media/publish/{fid}#token={feed['publish_token']}")
    assert await chromium.state() == "idle"
    await chromium.page.get_by_role("button", name="Start").click()
    await chromium.until("document.getElementById('status').dataset.state === 'live'", "publisher live")
    await chromium.until("document.getElementById('codec').dataset.value", "the codec the browser sends")
    negotiated = await chromium.output("codec")
    # The page prefers H.264 (relayed as received); Debian's Chromium encodes it with OpenH264.
    assert negotiated == "h264", f"the page should have negotiated H.264, got {negotiated!r}"

    viewer = await media.view(feed)
    assert viewer.codec == negotiated
    await viewer.frames(at_least=25)
    assert viewer.receipts[0].keyframe, "the browser answered the gateway's keyframe request"
    listed = await feed_state(client, tokens, session, fid)
    assert listed["codec"] == negotiated and listed["state"] == "live" and listed["viewers"] == 1
    # The page publishes the microphone too (Chromium's fake device): Opus, relayed as sent.
    assert listed["audio_codec"] == "opus" and listed["audio_packets"] > 0

    officer = tokens.header(tokens.officer())
    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": fid, "kind": "checklist_item:I2", "note": "crops, from the browser"},
        headers=officer,
    )
    assert started.status_code == 201, started.text
    await viewer.frames(at_least=viewer.frames_received + 50)  # two seconds of the browser's video
    stopped = await client.post(f"/v1/sessions/{sid}/recordings/{started.json()['recording_id']}/stop", headers=officer)
    assert stopped.status_code == 200, stopped.text
    closed = stopped.json()
    assert closed["state"] == "closed" and closed["frames"] >= 25
    assert closed["audio_codec"] == "opus" and closed["audio_packets"] >= 25, "the clip holds the voice"

    path = Path(settings.evidence_dir) / sid / closed["file"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == negotiated, "recorded in the codec the browser sent"
        pictures = list(container.decode(stream))
    assert len(pictures) >= 25
    # The camera's 1280x720 (the page's ideal) recorded as sent: the page keeps the resolution.
    assert await chromium.output("camera") == await chromium.output("resolution") == "1280x720"
    assert {(picture.width, picture.height) for picture in pictures} == {(1280, 720)}
    # The page reads its sender's stats once a second: wait for the count to catch up with the clip.
    await chromium.until(
        f"Number(document.getElementById('frames').dataset.value) >= {len(pictures)}",
        "the page counts the frames it sent",
        timeout_s=5.0,
    )

    async with chromium.page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        await chromium.page.get_by_role("button", name="Stop").click()
    response = await deleted.value
    assert response.url.startswith(f"{serve_http}/whip/{fid}/") and response.status == 200
    await chromium.until("document.getElementById('status').dataset.state === 'stopped'", "publisher stopped")
    # A WHIP DELETE ends the feed: closed, not lost.
    await eventually(lambda: _matches(feed_state(client, tokens, session, fid), state=("closed",)), "the feed ended")


async def test_chromium_views_an_h264_feed_over_whep(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    clip: Callable[..., ClipSpec],
    serve_http: str,
    chromium: Browser,
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    fid = feed["feed_id"]
    publisher = await media.publish(feed, clip("h264"))
    assert publisher.codec == "h264"

    await chromium.page.goto(f"{serve_http}/media/view/{fid}#token={feed['view_token']}")
    video = "document.getElementById('video')"
    await chromium.until(f"{video}.videoWidth === 640 && {video}.currentTime > 0", "a 640-wide picture playing")
    await chromium.until("document.getElementById('status').dataset.state === 'live'", "viewer live")
    shown_at = await chromium.page.evaluate(f"{video}.currentTime")
    await chromium.until(f"{video}.currentTime > {shown_at} + 1", "playback advancing")
    await chromium.until("Number(document.getElementById('frames').dataset.value) > 25", "frames decoded")
    assert await chromium.output("codec") == "h264"
    assert await chromium.output("resolution") == "640x360"
    assert int(await chromium.output("presented")) > 0, "requestVideoFrameCallback counted frames shown"
    assert (await feed_state(client, tokens, session, fid))["viewers"] == 1

    async with chromium.page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        await chromium.page.get_by_role("button", name="Leave").click()
    response = await deleted.value
    assert response.url.startswith(f"{serve_http}/whep/{fid}/") and response.status == 200
    await chromium.until("document.getElementById('status').dataset.state === 'left'", "viewer left")
    await eventually(lambda: _matches(feed_state(client, tokens, session, fid), viewers=0), "the viewer gone by DELETE")


async def test_the_pages_show_the_gateways_reason_for_a_refusal(
    start_session: StartSession, media: MediaPeers, serve_http: str, chromium: Browser
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    # A view token is no publish token: the page shows the gateway's own message.
    await chromium.page.goto(f"{serve_http}/media/publish/{feed['feed_id']}#token={feed['view_token']}")
    await chromium.page.get_by_role("button", name="Start").click()
    await chromium.until("document.getElementById('status').dataset.state === 'error'", "publisher refused")
    shown = await chromium.page.text_content("#status")
    assert shown == "Error: the media token allows 'view', not 'publish' (HTTP 403)", shown
    assert await chromium.page.is_enabled("#start"), "nothing was published: the user may try again"

    # No publisher yet: the viewer page says so, in the gateway's words.
    await chromium.page.goto(f"{serve_http}/media/view/{feed['feed_id']}#token={feed['view_token']}")
    await chromium.until("document.getElementById('status').dataset.state === 'error'", "viewer refused")
    shown = await chromium.page.text_content("#status")
    assert shown == "Error: the feed has no publisher yet: its codec is not known (HTTP 409)", shown

    await chromium.page.goto(f"{serve_http}/media/view/{feed['feed_id']}")
    assert await chromium.state() == "error"
    assert "no view token" in str(await chromium.page.text_content("#status"))


async def test_pages_and_assets_are_served_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    feed_id = "0b6f5a0e-7d7e-4a8e-9d55-0d7d3c8f2a11"
    for kind, title in (("publish", "Publish inspection video"), ("view", "Watch inspection video")):
        page = await client.get(f"/media/{kind}/{feed_id}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert title in page.text and f"../assets/{kind}.js" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "http://" not in page.text and "https://" not in page.text, "nothing from elsewhere"
    script = await client.get("/media/assets/whip.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "application/sdp" in script.text

    bad = await client.get("/media/publish/not-a-feed")
    assert bad.status_code == 422 and bad.json()["field"] == "feed_id"
    assert (await client.get("/media/assets/secret.py")).status_code == 404


async def _matches(listed: Awaitable[dict[str, Any]], **want: Any) -> bool:
    feed = await listed
    return all(feed[key] in (value if isinstance(value, tuple) else (value,)) for key, value in want.items())
