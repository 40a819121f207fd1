"""The document workflow (GACC-RVI 4(IV)): issued → signed → completed. Illegal moves raise 409."""

from __future__ import annotations

from enum import StrEnum

from rvi_shared.errors import IllegalTransition


class DocumentState(StrEnum):
    ISSUED = "issued"
    SIGNED = "signed"
    COMPLETED = "completed"


class DocumentAction(StrEnum):
    SIGN = "sign"
    COMPLETE = "complete"


S = DocumentState
TRANSITIONS: dict[DocumentAction, tuple[frozenset[DocumentState], DocumentState]] = {
    DocumentAction.SIGN: (frozenset({S.ISSUED}), S.SIGNED),
    DocumentAction.COMPLETE: (frozenset({S.SIGNED}), S.COMPLETED),
}


def transition(current: str, action: DocumentAction) -> DocumentState:
    sources, target = TRANSITIONS[action]
    if DocumentState(current) not in sources:
        raise IllegalTransition("document", current, action.value)
    return target
