from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ENTERPRISE = "enterprise"
    SYSTEM = "system"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    name: str | None = None
    enterprise_id: str | None = None
    credential_no: str | None = None
    district: str | None = None
