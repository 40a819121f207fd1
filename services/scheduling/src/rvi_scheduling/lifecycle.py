"""The inspection lifecycle (DESIGN: The inspection lifecycle). Illegal transitions raise 409."""

from __future__ import annotations

from enum import StrEnum

from rvi_shared.statemachine import StateMachine


class State(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    ENDED = "ended"
    DOCUMENTS_ISSUED = "documents_issued"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SHIFTED_ONSITE = "shifted_onsite"


class Action(StrEnum):
    SCHEDULE = "schedule"
    SHIFT_ONSITE = "shift on-site"
    CONFIRM_READY = "confirm readiness"
    RESCHEDULE = "reschedule"
    START = "start the session"
    END = "end the session"
    ISSUE_DOCUMENTS = "issue documents"
    COMPLETE = "complete"
    CANCEL = "cancel"


S = State
INSPECTION: StateMachine[State, Action] = StateMachine(
    "inspection",
    State,
    {
        Action.SCHEDULE: (frozenset({S.REQUESTED}), S.SCHEDULED),
        Action.SHIFT_ONSITE: (frozenset({S.REQUESTED, S.SCHEDULED, S.READY, S.IN_PROGRESS}), S.SHIFTED_ONSITE),
        Action.CONFIRM_READY: (frozenset({S.SCHEDULED}), S.READY),
        Action.RESCHEDULE: (frozenset({S.SCHEDULED, S.READY}), S.SCHEDULED),
        Action.START: (frozenset({S.READY}), S.IN_PROGRESS),
        Action.END: (frozenset({S.IN_PROGRESS}), S.ENDED),
        Action.ISSUE_DOCUMENTS: (frozenset({S.ENDED}), S.DOCUMENTS_ISSUED),
        Action.COMPLETE: (frozenset({S.DOCUMENTS_ISSUED}), S.COMPLETED),
        Action.CANCEL: (frozenset({S.REQUESTED, S.SCHEDULED, S.READY}), S.CANCELLED),
    },
)
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED, S.SHIFTED_ONSITE})
can = INSPECTION.can
transition = INSPECTION.transition
