"""The document workflow (GACC-RVI 4(IV)): awaiting_seal → issued → signing → completed.

A document is issued once the customs seal has certified it (time-stamped); it waits in
`awaiting_seal` while the TSA is unreachable. Officers and then the enterprise sign
(`signing`); after the last signature of its kind it is completed. Illegal moves raise 409."""

from __future__ import annotations

from enum import StrEnum

from rvi_shared.statemachine import StateMachine


class DocumentState(StrEnum):
    AWAITING_SEAL = "awaiting_seal"
    ISSUED = "issued"
    SIGNING = "signing"
    COMPLETED = "completed"


class DocumentAction(StrEnum):
    SEAL = "seal"
    SIGN = "sign"
    COMPLETE = "complete"


S = DocumentState
DOCUMENT: StateMachine[DocumentState, DocumentAction] = StateMachine(
    "document",
    DocumentState,
    {
        DocumentAction.SEAL: (frozenset({S.AWAITING_SEAL}), S.ISSUED),
        DocumentAction.SIGN: (frozenset({S.ISSUED, S.SIGNING}), S.SIGNING),
        DocumentAction.COMPLETE: (frozenset({S.ISSUED, S.SIGNING}), S.COMPLETED),
    },
)
transition = DOCUMENT.transition


class DeliveryChannel(StrEnum):
    ELECTRONIC = "electronic"
    MAIL = "mail"


class DeliveryState(StrEnum):
    """Electronic: served when made available and notified, read once opened. Mail: posted, then
    served by the returned proof; a refusal is recorded as refused (service by refusal, DOMAIN 7)."""

    SERVED = "served"
    READ = "read"
    POSTED = "posted"
    REFUSED = "refused"


class DeliveryAction(StrEnum):
    PROOF_RETURNED = "proof_returned"
    OPEN = "open"


D = DeliveryState
DELIVERY: StateMachine[DeliveryState, DeliveryAction] = StateMachine(
    "delivery",
    DeliveryState,
    {
        DeliveryAction.PROOF_RETURNED: (frozenset({D.POSTED}), D.SERVED),
        DeliveryAction.OPEN: (frozenset({D.SERVED}), D.READ),
    },
)
