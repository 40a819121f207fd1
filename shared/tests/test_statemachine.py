"""The lifecycle table: allowed moves lead to their target, forbidden ones are 409 Problem Details."""

from __future__ import annotations

from enum import StrEnum

import httpx
import pytest
from fastapi import FastAPI

from rvi_shared.errors import PROBLEM_JSON, IllegalTransition, install_error_handlers
from rvi_shared.statemachine import StateMachine


class Lamp(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


class Switch(StrEnum):
    TURN_ON = "turn on"
    TURN_OFF = "turn off"
    BREAK = "break"


LAMP: StateMachine[Lamp, Switch] = StateMachine(
    "lamp",
    Lamp,
    {
        Switch.TURN_ON: (frozenset({Lamp.OFF}), Lamp.ON),
        Switch.TURN_OFF: (frozenset({Lamp.ON}), Lamp.OFF),
        Switch.BREAK: (frozenset({Lamp.OFF, Lamp.ON}), Lamp.BROKEN),
    },
)


def test_allowed_moves_lead_to_their_target() -> None:
    assert LAMP.transition("off", Switch.TURN_ON) is Lamp.ON
    assert LAMP.transition(Lamp.ON, Switch.BREAK) is Lamp.BROKEN
    assert LAMP.can("on", Switch.TURN_OFF) and not LAMP.can("off", Switch.TURN_OFF)


def test_a_forbidden_move_names_the_entity_state_and_action() -> None:
    with pytest.raises(IllegalTransition) as raised:
        LAMP.transition("broken", Switch.TURN_ON)
    assert raised.value.status_code == 409
    assert raised.value.message == "cannot turn on: lamp is in state 'broken'"
    assert raised.value.context == {"current_state": "broken", "action": "turn on"}
    with pytest.raises(IllegalTransition):
        LAMP.require("off", Switch.TURN_OFF)
    LAMP.require("off", Switch.TURN_ON)


def test_a_state_outside_the_lifecycle_is_a_corrupt_row_not_a_conflict() -> None:
    with pytest.raises(ValueError):
        LAMP.transition("melted", Switch.TURN_ON)


async def test_a_forbidden_move_is_answered_as_409_problem_details() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/lamps/{state}/on")
    async def turn_on(state: str) -> dict[str, str]:
        return {"state": LAMP.transition(state, Switch.TURN_ON)}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        ok = await client.post("/lamps/off/on")
        refused = await client.post("/lamps/broken/on")
    assert ok.json() == {"state": "on"}
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM_JSON
    assert refused.json()["current_state"] == "broken" and refused.json()["action"] == "turn on"
