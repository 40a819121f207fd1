from __future__ import annotations

from rvi_eligibility import routes_consent, routes_decisions, routes_enterprises, routes_rules

# The decision routes first: the hot path is matched before the others.
routers = [routes_decisions.router, routes_enterprises.router, routes_rules.router, routes_consent.router]
