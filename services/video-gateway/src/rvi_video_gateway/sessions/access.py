"""Who may act on a session: the officers named on the inspection team."""

from __future__ import annotations

from typing import Any

from rvi_shared.auth import Principal
from rvi_shared.errors import Forbidden


def team_officer(principal: Principal, team: list[dict[str, Any]]) -> dict[str, Any]:
    """The team member holding the caller's enforcement credential (GACC-RVI 4(III))."""
    for officer in team:
        if principal.credential_no and officer["credential_no"] == principal.credential_no:
            return officer
    raise Forbidden(f"credential {principal.credential_no!r} is not on this inspection's team")
