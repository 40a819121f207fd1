"""The lifecycles of the media plane: a feed waits for its first frame, is live while frames come,
rests when an idle pull is let go, and ends lost (its source vanished) or closed; a recording runs
until it is closed onto the evidence chain (or orphaned, when its session was sealed without it); an
equipment test waits for a picture and then passes, fails or expires (GACC-RVI 4(II)). Illegal moves
raise 409 naming the current state."""

from __future__ import annotations

from enum import StrEnum

from rvi_shared.statemachine import StateMachine


class FeedState(StrEnum):
    WAITING = "waiting"
    LIVE = "live"
    LOST = "lost"
    CLOSED = "closed"


class FeedAction(StrEnum):
    GO_LIVE = "take the first frame"
    REST = "let the source go"
    LOSE = "lose the source"
    CLOSE = "close the feed"


RUNNING = frozenset({FeedState.WAITING, FeedState.LIVE})
ENDED = frozenset({FeedState.LOST, FeedState.CLOSED})
# A feed's row holds this until the feed ends, then the feed's final state (one of ENDED).
ROW_CREATED = "created"
FEED: StateMachine[FeedState, FeedAction] = StateMachine(
    "feed",
    FeedState,
    {
        FeedAction.GO_LIVE: (frozenset({FeedState.WAITING}), FeedState.LIVE),
        FeedAction.REST: (frozenset({FeedState.LIVE}), FeedState.WAITING),
        FeedAction.LOSE: (RUNNING, FeedState.LOST),
        FeedAction.CLOSE: (RUNNING, FeedState.CLOSED),
    },
)


class RecordingState(StrEnum):
    RECORDING = "recording"
    CLOSED = "closed"
    ORPHANED = "orphaned"


class RecordingAction(StrEnum):
    STOP = "stop the recording"
    ORPHAN = "leave the recording outside the sealed manifest"


RECORDING: StateMachine[RecordingState, RecordingAction] = StateMachine(
    "recording",
    RecordingState,
    {
        RecordingAction.STOP: (frozenset({RecordingState.RECORDING}), RecordingState.CLOSED),
        RecordingAction.ORPHAN: (frozenset({RecordingState.RECORDING}), RecordingState.ORPHANED),
    },
)


class TestState(StrEnum):
    WAITING = "waiting"
    PASSED = "passed"
    FAILED = "failed"
    EXPIRED = "expired"


class TestAction(StrEnum):
    PASS = "pass the equipment test"
    FAIL = "fail the equipment test"
    EXPIRE = "expire the equipment test"
    PUBLISH = "publish to the equipment test"  # allowed while waiting; the state stays


_WAITING = frozenset({TestState.WAITING})
EQUIPMENT_TEST: StateMachine[TestState, TestAction] = StateMachine(
    "equipment test",
    TestState,
    {
        TestAction.PASS: (_WAITING, TestState.PASSED),
        TestAction.FAIL: (_WAITING, TestState.FAILED),
        TestAction.EXPIRE: (_WAITING, TestState.EXPIRED),
        TestAction.PUBLISH: (_WAITING, TestState.WAITING),
    },
)
