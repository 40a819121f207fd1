"""A lifecycle as data: its states, its actions and, per action, the states it may start from and
the state it leads to. The state itself stays where the services keep it (a string column of a row);
a forbidden move raises `IllegalTransition`, answered as 409 Problem Details naming the current
state and the action.

Hand-written rather than `transitions` or `python-statemachine`: both bind the machine to an object
that owns the state and dispatch through generated methods, whereas here the state is an ORM column
read and written by the service, and the table of moves is all that is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from rvi_shared.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


@dataclass(frozen=True)
class StateMachine(Generic[S, A]):
    """`entity` names the thing in errors ("inspection", "document"); `moves` maps each action to
    (the states it is allowed from, the state it leads to)."""

    entity: str
    states: type[S]
    moves: Mapping[A, tuple[frozenset[S], S]]

    def can(self, current: str, action: A) -> bool:
        return self.states(current) in self.moves[action][0]

    def require(self, current: str, action: A) -> None:
        """`IllegalTransition` (409) unless `action` is allowed from `current`."""
        self.transition(current, action)

    def transition(self, current: str, action: A) -> S:
        """The state `action` leads to from `current`; `IllegalTransition` (409) when not allowed.
        A `current` that is not one of the states raises `ValueError` (a corrupt row, not bad input)."""
        sources, target = self.moves[action]
        if self.states(current) not in sources:
            raise IllegalTransition(self.entity, current, action.value)
        return target
