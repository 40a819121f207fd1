"""RTSP cameras on the media plane: checked against the URL policy when registered and again
when pulled (a name may resolve elsewhere by then: the pull goes to the address just checked),
pulled over TCP only while the feed has viewers or recordings, let go after `rtsp_idle_s`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from rvi_shared.errors import Conflict, Unprocessable
from rvi_video_gateway.media.camera_probe import CameraProbe, CameraUnusable, probe_camera
from rvi_video_gateway.media.feed import Feed
from rvi_video_gateway.media.lifecycles import ENDED
from rvi_video_gateway.media.rtsp_source import RtspSource, RtspSourceError
from rvi_video_gateway.media.url_policy import UrlPolicy, UrlRefused
from rvi_video_gateway.settings import VideoGatewaySettings


class RtspPulls:
    """The running pulls of this instance, one per RTSP feed being watched or recorded."""

    def __init__(self, settings: VideoGatewaySettings) -> None:
        self.settings = settings
        self.policy = UrlPolicy.from_allow_list(settings.rtsp_allow)
        self.sources: dict[str, RtspSource] = {}  # feed id -> its pull
        self._starting: dict[str, asyncio.Lock] = {}
        self._idle_since: dict[str, float] = {}

    async def check(self, url: str) -> str:
        try:
            await self.policy.check_async(url)
        except UrlRefused as exc:
            raise Unprocessable(str(exc), field="url") from None
        return url

    async def probe(self, url: str) -> CameraProbe:
        """The camera looked at once, at registration (DESCRIBE and the first keyframe), at the
        address the URL policy allowed; 422 with the reason when it cannot be used."""
        try:
            target = await self.policy.check_async(url)
        except UrlRefused as exc:
            raise Unprocessable(str(exc), field="url") from None
        pinned = target.pinned_url if target.scheme == "rtsp" else target.url
        try:
            return await asyncio.to_thread(probe_camera, pinned, self.settings.rtsp_open_timeout_s)
        except CameraUnusable as exc:
            raise Unprocessable(str(exc), field="url") from None

    async def ensure(self, feed: Feed) -> None:
        lock = self._starting.setdefault(feed.feed_id, asyncio.Lock())
        async with lock:
            if feed.feed_id in self.sources:
                return
            if feed.state in ENDED or feed.source_url is None:
                raise Conflict(f"the feed is {feed.state}", feed_state=feed.state)
            try:
                target = await self.policy.check_async(feed.source_url)
            except UrlRefused as exc:
                raise Unprocessable(str(exc), field="url") from None
            url = target.pinned_url if target.scheme == "rtsp" else target.url
            source = RtspSource(
                url,
                feed,
                asyncio.get_running_loop(),
                open_timeout_s=self.settings.rtsp_open_timeout_s,
                read_timeout_s=self.settings.rtsp_read_timeout_s,
                audio=True,
            )
            try:
                await source.start()
            except RtspSourceError as exc:
                raise Conflict(str(exc), feed_state=feed.state) from None
            feed.codec = source.codec
            if source.info is not None and source.info.audio_codec is not None:
                feed.audio_codec = source.info.audio_codec
                feed.audio_clock_rate = source.info.audio_rate
                feed.audio_channels = source.info.audio_channels
                feed.audio_config = source.info.audio_config
            self.sources[feed.feed_id] = source
            self._idle_since.pop(feed.feed_id, None)

    async def stop(self, feed_id: str) -> None:
        self._starting.pop(feed_id, None)
        self._idle_since.pop(feed_id, None)
        source = self.sources.pop(feed_id, None)
        if source is not None:
            await source.stop()

    async def release_idle(self, feeds: Mapping[str, Feed], now: float) -> None:
        """A pull nobody watches or records is let go; the feed waits for the next viewer."""
        for feed_id in list(self.sources):
            feed = feeds.get(feed_id)
            if feed is None or feed.consumers > 0:
                self._idle_since.pop(feed_id, None)
                continue
            since = self._idle_since.setdefault(feed_id, now)
            if now - since >= self.settings.rtsp_idle_s:
                await self.stop(feed_id)
                feed.rest()

    async def stop_all(self) -> None:
        for feed_id in list(self.sources):
            await self.stop(feed_id)
