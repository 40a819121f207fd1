"""Session states. Illegal transitions raise 409 naming the current state."""

from __future__ import annotations

from enum import StrEnum

from rvi_shared.statemachine import StateMachine


class TaskState(StrEnum):
    """The inspection as this service knows it from `rvi.inspections` (its projection): a session
    opens once the task is ready, and a cancelled or shifted task takes no more media."""

    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    READY = "ready"
    CANCELLED = "cancelled"
    SHIFTED_ONSITE = "shifted_onsite"


WITHDRAWN = frozenset({TaskState.CANCELLED, TaskState.SHIFTED_ONSITE})


class SessionState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ENDED = "ended"
    ESCALATED = "escalated"
    CLOSED = "closed"


class SessionAction(StrEnum):
    START = "start the session"
    RECORD_STEP = "record a step"
    VERIFY_LOCATION = "verify the location"
    ESCALATE = "escalate the session"
    END = "end the session"
    CLOSE = "close the session"


S = SessionState
SESSION: StateMachine[SessionState, SessionAction] = StateMachine(
    "session",
    SessionState,
    {
        SessionAction.START: (frozenset({S.OPEN}), S.IN_PROGRESS),
        SessionAction.RECORD_STEP: (frozenset({S.IN_PROGRESS}), S.IN_PROGRESS),
        SessionAction.VERIFY_LOCATION: (frozenset({S.IN_PROGRESS}), S.IN_PROGRESS),
        SessionAction.ESCALATE: (frozenset({S.OPEN, S.IN_PROGRESS}), S.ESCALATED),
        SessionAction.END: (frozenset({S.IN_PROGRESS}), S.ENDED),
        SessionAction.CLOSE: (frozenset({S.OPEN, S.IN_PROGRESS}), S.CLOSED),
    },
)
can = SESSION.can
transition = SESSION.transition
