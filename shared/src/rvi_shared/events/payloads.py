"""Payload models of every event type (v1). JSON Schemas are generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CreditStatus = Literal["advanced_certified", "general", "discredited"]
Method = Literal["video", "onsite"]
Outcome = Literal["remote", "hybrid", "onsite"]
StepKind = str


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Site(Payload):
    site_id: str
    name: str
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: str | None = None


class ChecklistItem(Payload):
    item_id: str
    description: str
    category: str | None = Field(default=None, description="e.g. agricultural_inputs, laboratory_sampling")
    commodity_code: str | None = Field(default=None, description="HS code of the goods concerned, if any")


class Officer(Payload):
    officer_id: str
    name: str
    credential_no: str


class Reason(Payload):
    rule_id: str
    reference: str = Field(description="legal reference, e.g. GACC-RVI 3(IV)")
    message: str
    facts: dict[str, object] = Field(default_factory=dict)


class ItemDecision(Payload):
    item_id: str
    method: Method
    reasons: list[Reason] = Field(default_factory=list)


# rvi.inspections
class InspectionRequested(Payload):
    inspection_id: str
    enterprise_id: str
    enterprise_name: str
    customs: str
    sites: list[Site]
    checklist_items: list[ChecklistItem]
    officers: list[Officer] = Field(default_factory=list)
    special_campaign: bool = False
    directives: list[str] = Field(default_factory=list)
    requested_at: datetime


class InspectionScheduled(Payload):
    inspection_id: str
    enterprise_id: str
    slot_start: datetime
    slot_end: datetime
    team: list[Officer]
    notice_sent_at: datetime
    outcome: Outcome
    onsite_items: list[str] = Field(default_factory=list)


class InspectionReady(Payload):
    inspection_id: str
    enterprise_id: str
    confirmed_at: datetime
    equipment_test_passed: bool
    documents_submitted: bool


class InspectionRescheduled(Payload):
    inspection_id: str
    slot_start: datetime
    slot_end: datetime
    reason: str


class InspectionCancelled(Payload):
    inspection_id: str
    reason: str


class InspectionShiftedOnsite(Payload):
    inspection_id: str
    enterprise_id: str
    reason: str
    references: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list, description="items shifted; empty means the whole task")


class InspectionCompleted(Payload):
    inspection_id: str
    enterprise_id: str
    completed_at: datetime
    document_ids: list[str] = Field(default_factory=list)


# rvi.eligibility
class EligibilityDecided(Payload):
    decision_id: str
    inspection_id: str
    enterprise_id: str
    remote_allowed: bool
    outcome: Outcome
    items: list[ItemDecision]
    reasons: list[Reason]
    rule_set_version: str
    evaluated_at: datetime
    supersedes: str | None = None


# rvi.sessions
class EquipmentTested(Payload):
    inspection_id: str
    enterprise_id: str
    passed: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bitrate_kbps: float | None = None
    packet_loss_pct: float | None = None
    rtt_ms: float | None = None
    tested_at: datetime
    test_id: str | None = None
    codec: str | None = None
    failures: list[str] = Field(default_factory=list, description="each threshold not met, with the measured value")


class SessionStarted(Payload):
    session_id: str
    inspection_id: str
    enterprise_id: str
    started_at: datetime
    officers: list[Officer] = Field(default_factory=list)


class SessionStepRecorded(Payload):
    session_id: str
    inspection_id: str
    step_id: str
    kind: StepKind
    note: str = ""
    site_id: str | None = None
    officer_id: str
    started_at: datetime
    ended_at: datetime
    digest: str | None = Field(default=None, description="sha256 of the step's manifest entry (the chain link)")
    file: str | None = Field(default=None, description="the clip or snapshot of the step, if any")
    file_sha256: str | None = Field(default=None, description="sha256 of that file's bytes")
    feed_id: str | None = None


class FeedLost(Payload):
    session_id: str | None = None
    inspection_id: str
    feed_id: str
    kind: Literal["webrtc", "rtsp", "talkback"]
    reason: str
    lost_at: datetime
    recordings_closed: list[str] = Field(
        default_factory=list, description="recordings closed with what was received; each is on the manifest"
    )


class SessionEscalated(Payload):
    session_id: str
    inspection_id: str
    enterprise_id: str
    reason_code: Literal["5(I)", "5(II)", "5(III)", "5(IV)"]
    reason: str
    falsification_confirmed: bool = False


ItemResultValue = Literal["conforming", "non_conforming", "not_verifiable_remotely"]


class ItemResult(Payload):
    """The result of one checklist item at one site (DOMAIN 8)."""

    item_id: str
    result: ItemResultValue
    finding: str = ""
    evidence: list[str] = Field(
        default_factory=list, description="step ids (clips, snapshots, location checks) that support the result"
    )
    recorded_by: str | None = Field(default=None, description="officer id")
    recorded_at: datetime | None = None


class SiteResult(Payload):
    site_id: str
    location_verified: bool = False
    items: list[ItemResult] = Field(default_factory=list)


class SessionEnded(Payload):
    session_id: str
    inspection_id: str
    enterprise_id: str
    ended_at: datetime
    conclusion: str
    steps: int
    manifest_digest: str
    results: list[SiteResult] = Field(
        default_factory=list, description="per site and checklist item; not_verifiable_remotely raises on-site work"
    )


# rvi.documents
class DocumentIssued(Payload):
    document_id: str
    inspection_id: str
    enterprise_id: str
    kind: str
    sha256: str
    issued_at: datetime


class DocumentSigned(Payload):
    document_id: str
    inspection_id: str
    enterprise_id: str
    signer_name: str
    seal: str | None = None
    signed_sha256: str
    signed_at: datetime


class DocumentDelivered(Payload):
    document_id: str
    inspection_id: str
    channel: Literal["electronic", "mail"]
    delivered_at: datetime


UploadKind = Literal[
    "identity_document", "power_of_attorney", "business_licence", "planting_records", "input_records", "other"
]


class DocumentUploaded(Payload):
    """A pre-inspection submission by the enterprise (GACC-RVI 4(II))."""

    upload_id: str
    inspection_id: str
    enterprise_id: str
    kind: UploadKind
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class DocumentDisputed(Payload):
    """The enterprise raised a dispute about findings, rectification or conclusions (GACC-RVI 5(III))."""

    document_id: str
    inspection_id: str
    enterprise_id: str
    major: bool = Field(description="a major dispute about rectification requirements or conclusions: 5(III)")
    reason: str
    disputed_at: datetime


class DocumentCompleted(Payload):
    document_id: str
    inspection_id: str
    enterprise_id: str
    completed_at: datetime


# rvi.enterprises
class Consent(Payload):
    given: bool
    scope: str | None = None
    revoked_at: datetime | None = None


class EnterpriseUpdated(Payload):
    enterprise_id: str
    effective_from: datetime
    name: str | None = None
    consent: Consent | None = None
    can_cooperate: bool | None = None
    technical_conditions: bool | None = None
    credit_status: CreditStatus | None = None
