"""Payload models of every event type (v1). JSON Schemas are generated from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rvi_shared.datetimes import Rfc3339Date, Rfc3339DateTime
from rvi_shared.identifiers import HsCode, split_declaration_code
from rvi_shared.text import Identifier

CreditStatus = Literal["advanced_certified", "general", "discredited"]
Method = Literal["video", "onsite"]
Outcome = Literal["remote", "hybrid", "onsite"]
StepKind = str


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Site(Payload):
    site_id: Identifier
    name: str
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: str | None = None


class ChecklistItem(Payload):
    item_id: Identifier
    description: str
    category: str | None = Field(default=None, description="e.g. agricultural_inputs, laboratory_sampling")
    commodity_code: HsCode | None = Field(
        default=None,
        description="HS code of the goods concerned, if any, normalized to ASCII digits; a 13-digit declaration "
        "code is kept whole (10-digit HS code + 3-digit inspection and quarantine code)",
    )

    @property
    def hs_code(self) -> str | None:
        """The HS code; of a 13-digit declaration code, its first 10 digits."""
        return split_declaration_code(self.commodity_code)[0] if self.commodity_code else None

    @property
    def ciq_code(self) -> str | None:
        """The inspection and quarantine code: the last 3 digits of a 13-digit declaration code."""
        return split_declaration_code(self.commodity_code)[1] if self.commodity_code else None


class Officer(Payload):
    officer_id: Identifier
    name: str
    credential_no: Identifier


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
    requested_at: Rfc3339DateTime


class PlannedVisit(Payload):
    """One site's window in a day plan."""

    site_id: str
    start: Rfc3339DateTime
    end: Rfc3339DateTime


class OfferedSlot(Payload):
    """A day the enterprise may choose instead (POST /v1/inspections/{id}/slot-choice)."""

    offer_id: str
    slot_start: Rfc3339DateTime
    slot_end: Rfc3339DateTime


class InspectionScheduled(Payload):
    inspection_id: str
    enterprise_id: str
    slot_start: Rfc3339DateTime
    slot_end: Rfc3339DateTime
    team: list[Officer]
    notice_sent_at: Rfc3339DateTime
    outcome: Outcome
    onsite_items: list[str] = Field(default_factory=list)
    notice_id: str | None = Field(default=None, description="the advance notice (GACC-RVI 4(I))")
    plan: list[PlannedVisit] = Field(default_factory=list, description="the sites in order, each with its window")
    offered_slots: list[OfferedSlot] = Field(default_factory=list, description="the booked day first")
    required_documents: list[str] = Field(default_factory=list, description="uploads the notice asks for")
    equipment_test_by: Rfc3339DateTime | None = Field(
        default=None, description="a passed equipment test is due by then"
    )


class InspectionReady(Payload):
    inspection_id: str
    enterprise_id: str
    confirmed_at: Rfc3339DateTime
    equipment_test_passed: bool
    documents_submitted: bool


class InspectionRescheduled(Payload):
    inspection_id: str
    slot_start: Rfc3339DateTime
    slot_end: Rfc3339DateTime
    reason: str
    team: list[Officer] = Field(default_factory=list, description="the team for the new slot, when known")
    plan: list[PlannedVisit] = Field(default_factory=list, description="the day plan for the new slot, when known")


class InspectionCancelled(Payload):
    inspection_id: str
    reason: str


class InspectionShiftedOnsite(Payload):
    inspection_id: str
    enterprise_id: str
    reason: str
    references: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list, description="items shifted; empty means the whole task")


class InspectionNoShow(Payload):
    """Nobody on the enterprise's side by the grace period after the slot started."""

    inspection_id: str
    enterprise_id: str
    slot_start: Rfc3339DateTime
    no_shows: int = Field(description="no-shows of this inspection so far")
    action: Literal["rescheduled", "shifted_onsite"]


class OnsiteItem(Payload):
    item_id: str
    reasons: list[str] = Field(default_factory=list, description="e.g. GACC-RVI 3(III): not verifiable remotely")


class InspectionOnsiteRequired(Payload):
    """Items that go on-site while the remote part goes ahead (GACC-RVI 3(III), 3(V)): a hybrid task."""

    inspection_id: str
    enterprise_id: str
    items: list[OnsiteItem]
    planned_start: Rfc3339DateTime | None = Field(default=None, description="the on-site follow-up's first working day")
    team: list[Officer] = Field(default_factory=list)


class InspectionNotified(Payload):
    """A notification reached its recipient's system (e-mail accepted by SMTP, webhook 2xx)."""

    inspection_id: str
    notification_id: str
    kind: str = Field(description="notice, assignment, change, reminder, no_show")
    channel: Literal["email", "webhook"]
    recipient: str
    delivered_at: Rfc3339DateTime
    attempts: int = 1


class InspectionCompleted(Payload):
    inspection_id: str
    enterprise_id: str
    completed_at: Rfc3339DateTime
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
    evaluated_at: Rfc3339DateTime
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
    tested_at: Rfc3339DateTime
    test_id: str | None = None
    codec: str | None = None
    failures: list[str] = Field(default_factory=list, description="each threshold not met, with the measured value")


class SessionStarted(Payload):
    session_id: str
    inspection_id: str
    enterprise_id: str
    started_at: Rfc3339DateTime
    officers: list[Officer] = Field(default_factory=list)


class SessionStepRecorded(Payload):
    session_id: str
    inspection_id: str
    step_id: str
    kind: StepKind
    note: str = ""
    site_id: str | None = None
    officer_id: str
    started_at: Rfc3339DateTime
    ended_at: Rfc3339DateTime
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
    lost_at: Rfc3339DateTime
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
    recorded_at: Rfc3339DateTime | None = None


class SiteResult(Payload):
    site_id: str
    location_verified: bool = False
    items: list[ItemResult] = Field(default_factory=list)


class SessionEnded(Payload):
    session_id: str
    inspection_id: str
    enterprise_id: str
    ended_at: Rfc3339DateTime
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
    issued_at: Rfc3339DateTime


class DocumentSigned(Payload):
    document_id: str
    inspection_id: str
    enterprise_id: str
    signer_name: str
    seal: str | None = None
    signed_sha256: str
    signed_at: Rfc3339DateTime


class DocumentDelivered(Payload):
    """A document was served on the enterprise (送达, DOMAIN 7)."""

    document_id: str
    inspection_id: str
    channel: Literal["electronic", "mail"]
    delivered_at: Rfc3339DateTime
    served_at: Rfc3339DateTime | None = Field(
        default=None, description="when it reached the enterprise (electronic) or the proof of service says (mail)"
    )
    enterprise_id: str | None = None
    kind: str | None = None
    refused: bool = Field(default=False, description="served by refusal, recorded with reason and witness")
    proof_sha256: str | None = Field(default=None, description="SHA-256 of the returned proof of service or receipt")


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
    uploaded_at: Rfc3339DateTime


class DocumentDisputed(Payload):
    """The enterprise raised a dispute about findings, rectification or conclusions (GACC-RVI 5(III))."""

    document_id: str
    inspection_id: str
    enterprise_id: str
    major: bool = Field(description="a major dispute about rectification requirements or conclusions: 5(III)")
    reason: str
    disputed_at: Rfc3339DateTime


class DocumentCompleted(Payload):
    document_id: str
    inspection_id: str
    enterprise_id: str
    completed_at: Rfc3339DateTime


# rvi.personnel
class OfficerUpdated(Payload):
    """An officer's record from the customs personnel system (bulk updates; scheduling keeps the roster)."""

    officer_id: str
    name: str
    credential_no: str = Field(description="enforcement credential number")
    credential_valid_from: Rfc3339Date
    credential_valid_until: Rfc3339Date
    customs_office: str
    district: str
    languages: list[str] = Field(default_factory=list)
    active: bool = True
    email: str | None = None
    updated_at: Rfc3339DateTime


# rvi.enterprises
class Consent(Payload):
    given: bool
    scope: str | None = None
    revoked_at: Rfc3339DateTime | None = None


class EnterpriseUpdated(Payload):
    enterprise_id: str
    effective_from: Rfc3339DateTime
    name: str | None = None
    consent: Consent | None = None
    can_cooperate: bool | None = None
    technical_conditions: bool | None = None
    credit_status: CreditStatus | None = None
