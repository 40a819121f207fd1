"""A notification's lifecycle: pending until sent, or dead once its attempts are spent; an operator
replays a dead one (pending again, attempts from zero). Illegal moves raise 409."""

from __future__ import annotations

from enum import StrEnum

from rvi_shared.statemachine import StateMachine


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class NotificationAction(StrEnum):
    SEND = "send"
    GIVE_UP = "give up"
    REPLAY = "replay"


N = NotificationStatus
NOTIFICATION: StateMachine[NotificationStatus, NotificationAction] = StateMachine(
    "notification",
    NotificationStatus,
    {
        NotificationAction.SEND: (frozenset({N.PENDING}), N.SENT),
        NotificationAction.GIVE_UP: (frozenset({N.PENDING}), N.DEAD),
        NotificationAction.REPLAY: (frozenset({N.DEAD}), N.PENDING),
    },
)
