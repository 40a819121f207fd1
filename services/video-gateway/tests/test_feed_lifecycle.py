"""A feed's lifecycle: live with its first frame, waiting again when rested, and once lost or closed
it takes no frame and keeps the first ending (a lost feed is not re-labelled closed)."""

from __future__ import annotations

import time

import pytest

from rvi_shared.errors import IllegalTransition
from rvi_video_gateway.media.feed import Feed
from rvi_video_gateway.media.lifecycles import FEED, FeedAction, FeedState
from rvi_video_gateway.media.packets import EncodedFrame


def frame(keyframe: bool = True) -> EncodedFrame:
    return EncodedFrame(data=b"\x00\x00\x00\x01\x65", pts=0, keyframe=keyframe, received_at=time.monotonic())


def test_a_feed_goes_live_rests_and_is_lost_once() -> None:
    seen: list[str] = []
    feed = Feed(feed_id="F", session_id=None, inspection_id="I", kind="rtsp", on_state=lambda f: seen.append(f.state))
    assert feed.state == "waiting"
    feed.on_frame(frame())
    assert feed.state is FeedState.LIVE and feed.counters.frames == 1
    feed.rest()
    assert feed.state is FeedState.WAITING and feed.counters.last_frame_at is None
    feed.on_frame(frame())
    feed.on_lost("camera gone")
    feed.close()
    feed.on_frame(frame())
    assert feed.state is FeedState.LOST and feed.lost_reason == "camera gone"
    assert feed.counters.frames == 2, "no frame is taken once the feed is lost"
    assert seen == ["live", "live", "lost"]


def test_a_closed_feed_is_not_lost_afterwards() -> None:
    feed = Feed(feed_id="F", session_id=None, inspection_id="I", kind="webrtc")
    feed.close()
    feed.on_lost("late ICE failure")
    assert feed.state is FeedState.CLOSED and feed.lost_reason is None


def test_the_feed_table_refuses_what_cannot_happen() -> None:
    with pytest.raises(IllegalTransition, match="cannot let the source go: feed is in state 'waiting'"):
        FEED.transition("waiting", FeedAction.REST)
    assert not FEED.can("lost", FeedAction.GO_LIVE) and not FEED.can("closed", FeedAction.LOSE)
