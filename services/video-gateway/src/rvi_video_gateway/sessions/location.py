"""Confirming the enterprise's location (GACC-RVI 4(III)): the position its device reports
against the registered site's coordinates. Pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MEAN_EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius; the sphere is within 0.5 % of WGS-84


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class LocationCheck:
    site_id: str
    latitude: float
    longitude: float
    accuracy_m: float
    distance_m: float
    radius_m: float
    allowance_m: float

    @property
    def limit_m(self) -> float:
        return self.radius_m + self.allowance_m

    @property
    def passed(self) -> bool:
        return self.distance_m <= self.limit_m

    @property
    def result(self) -> str:
        return "pass" if self.passed else "fail"

    @property
    def note(self) -> str:
        return (
            f"{self.result}: reported position {self.distance_m:.1f} m from site {self.site_id} "
            f"(limit {self.radius_m:g} m + {self.allowance_m:g} m for the reported accuracy)"
        )

    def as_entry(self) -> dict[str, Any]:
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "accuracy_m": self.accuracy_m,
            "distance_m": round(self.distance_m, 1),
            "radius_m": self.radius_m,
            "allowance_m": self.allowance_m,
            "result": self.result,
        }


def check_location(
    site: dict[str, Any],
    latitude: float,
    longitude: float,
    accuracy_m: float,
    radius_m: float,
    max_accuracy_allowance_m: float,
) -> LocationCheck:
    """A pass within the radius plus the device's reported accuracy, the latter capped so a
    vague fix cannot stretch the radius at will."""
    return LocationCheck(
        site_id=site["site_id"],
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy_m,
        distance_m=haversine_m(site["latitude"], site["longitude"], latitude, longitude),
        radius_m=radius_m,
        allowance_m=min(accuracy_m, max_accuracy_allowance_m),
    )
