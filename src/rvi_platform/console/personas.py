"""The demo's people for the development sign-in: the Cixi case's two officers (DOMAIN.md),
their supervisor, an operator, and the enterprise's representative."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rvi_shared.auth import Role, mint_token
from rvi_shared.identifiers import example_uscc

DEMO_ENTERPRISE_ID = example_uscc("Cixi Fresh Food Group (console)")


@dataclass(frozen=True)
class Persona:
    persona_id: str
    role: Role
    subject: str
    name: str
    credential_no: str | None = None
    district: str | None = None
    enterprise_id: str | None = None

    def public(self) -> dict[str, object]:
        return {k: (v.value if isinstance(v, Role) else v) for k, v in asdict(self).items()}


PERSONAS: dict[str, Persona] = {
    p.persona_id: p
    for p in (
        Persona("officer-wang", Role.OFFICER, "O-NB-0001", "Wang Li", "NB-0001", "Ningbo"),
        Persona("officer-chen", Role.OFFICER, "O-NB-0002", "Chen Jie", "NB-0002", "Ningbo"),
        Persona("supervisor-zhao", Role.SUPERVISOR, "S-NB-9000", "Zhao Min", "NB-9000", "Ningbo"),
        Persona("operator", Role.OPERATOR, "ops-1", "Platform operator"),
        Persona("enterprise", Role.ENTERPRISE, f"rep-{DEMO_ENTERPRISE_ID}", "Li Mei", enterprise_id=DEMO_ENTERPRISE_ID),
    )
}


def mint_for(
    persona: Persona,
    secret: str,
    *,
    enterprise_id: str | None = None,
    ttl_s: int,
    issuer: str = "rvi",
    audience: str = "rvi",
) -> str:
    """A bearer token for the persona; the enterprise persona may represent another enterprise id."""
    ent = (enterprise_id or persona.enterprise_id) if persona.role is Role.ENTERPRISE else None
    return mint_token(
        secret,
        role=persona.role,
        subject=f"rep-{ent}" if ent else persona.subject,
        name=persona.name,
        enterprise_id=ent,
        credential_no=persona.credential_no,
        district=persona.district,
        ttl_s=ttl_s,
        issuer=issuer,
        audience=audience,
    )
