from __future__ import annotations

from rvi_eligibility.api import decisions, enterprises, rules

# The decision routes first: the hot path is matched before the others.
routers = [decisions.router, enterprises.router, rules.router]
