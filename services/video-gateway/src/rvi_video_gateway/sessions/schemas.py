from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from rvi_shared.datetimes import Rfc3339DateTime
from rvi_video_gateway.sessions.steps import CHECKLIST_PREFIX, FIXED_KINDS, is_well_formed


class StepFields(BaseModel):
    """What names a key step (GACC-RVI 4(III)): its kind, a note, the site."""

    kind: str = Field(
        description=f"one of {sorted(FIXED_KINDS)} or {CHECKLIST_PREFIX}<item id of the inspection>",
        max_length=128,
    )
    note: str = Field(default="", max_length=4000)
    site_id: str | None = Field(default=None, max_length=64)

    @field_validator("kind")
    @classmethod
    def known_kind(cls, kind: str) -> str:
        if not is_well_formed(kind):
            raise ValueError(f"unknown step kind {kind!r}")
        return kind


class StepCreate(StepFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "location_verified", "site_id": "S1", "note": "Zhouxiang base: position confirmed"},
                {"kind": "checklist_item:I1", "note": "agricultural inputs: conforming"},
            ]
        },
    )

    started_at: Rfc3339DateTime | None = None
    ended_at: Rfc3339DateTime | None = None


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: Literal["5(I)", "5(II)", "5(III)", "5(IV)"] = Field(
        description="GACC-RVI 5 ground for shifting from remote to on-site"
    )
    reason: str = Field(min_length=1, max_length=4000)
    falsification_confirmed: StrictBool = False

    @model_validator(mode="after")
    def falsification_is_5_i(self) -> Escalation:
        # Falsification is the 5(I) ground; it later feeds 3(IV) in eligibility.
        if self.falsification_confirmed and self.reason_code != "5(I)":
            raise ValueError("falsification_confirmed requires reason_code 5(I)")
        return self


class SessionEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conclusion: str = Field(min_length=1, max_length=8000)


class SessionOut(BaseModel):
    session_id: str
    inspection_id: str
    enterprise_id: str
    state: str
    slot_start: datetime | None
    opened_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    conclusion: str | None
    manifest_digest: str | None
    escalation_code: str | None
    escalation_reason: str | None
    falsification_confirmed: bool
    closed_at: datetime | None
    closed_reason: str | None
    instance_id: str | None = Field(description="the gateway instance the session was placed on at start")


class ManifestEntryOut(BaseModel):
    seq: int
    prev_hash: str
    entry: dict[str, Any]
    entry_hash: str


class StepRecorded(ManifestEntryOut):
    session_id: str


class Verification(BaseModel):
    ok: bool
    first_broken_seq: int | None


class ManifestOut(BaseModel):
    session_id: str
    inspection_id: str
    state: str
    manifest_digest: str | None
    entries: list[ManifestEntryOut]
    verification: Verification


class LocationReport(BaseModel):
    """Where the enterprise's device says it is (GACC-RVI 4(III) confirming location)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"site_id": "S1", "latitude": 30.17313, "longitude": 121.26982, "accuracy_m": 8}]
        },
    )

    site_id: str = Field(max_length=64)
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float = Field(ge=0, le=100_000, allow_inf_nan=False, description="the device's reported accuracy")


class LocationRecorded(StepRecorded):
    passed: bool
    distance_m: float
    limit_m: float = Field(description="location_radius_m plus the accuracy allowance applied")


class SignedManifestOut(BaseModel):
    """Exactly what `python -m rvi_video_gateway.verify MANIFEST.json` takes."""

    document: dict[str, Any] = Field(description="the signed document; its canonical JSON is the signed message")
    signature: str = Field(description="Ed25519 signature, base64")
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64; key_id = sha256(key)[:16]")


class BrokenLinkOut(BaseModel):
    seq: int | None = Field(description="the entry, or null for the digest or the signature")
    check: Literal["signature", "entry_hash", "prev_hash", "digest", "file_sha256"]
    detail: str


class EvidenceVerification(BaseModel):
    ok: bool
    first_broken: BrokenLinkOut | None
    problems: list[BrokenLinkOut]
    entries_checked: int
    files_checked: int
    key_id: str


class ItemResultIn(BaseModel):
    """DOMAIN 8: the result of one checklist item at one site, with the manifest steps (clips,
    snapshots, location checks) that support it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "result": "non_conforming",
                    "finding": "pesticide store holds chlorpyrifos, not on the permitted list",
                    "evidence": ["<step id of the clip>", "<step id of the label still>"],
                }
            ]
        },
    )

    result: Literal["conforming", "non_conforming", "not_verifiable_remotely"]
    finding: str = Field(default="", max_length=4000, description="required for non_conforming")
    evidence: list[str] = Field(default_factory=list, max_length=50, description="step ids on the session's manifest")


class ItemResultOut(BaseModel):
    item_id: str
    result: str
    finding: str
    evidence: list[str]
    recorded_by: str | None
    recorded_at: datetime | None


class SiteResultOut(BaseModel):
    site_id: str
    location_verified: bool = Field(description="a passing location check is on the manifest (GACC-RVI 4(III))")
    items: list[ItemResultOut]


class ResultsOut(BaseModel):
    session_id: str
    sites: list[SiteResultOut]
    onsite_required: list[dict[str, str]] = Field(
        description="site and item ids found not verifiable remotely: on-site work (GACC-RVI 3(III))"
    )


class AuditEntryOut(BaseModel):
    at: datetime
    action: str = Field(description="joined | left | result_recorded")
    actor: str = Field(description="<role>:<subject> of the participant")
    detail: dict[str, Any]


def entry_out(link: Any) -> ManifestEntryOut:
    """A manifest row (`models.ManifestEntry`) as the API shows it."""
    return ManifestEntryOut(seq=link.seq, prev_hash=link.prev_hash, entry=link.entry, entry_hash=link.entry_hash)
