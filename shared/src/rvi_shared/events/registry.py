"""Event types: name → topic and payload model (DESIGN: Events table)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from rvi_shared.events import payloads as p
from rvi_shared.events.envelope import CloudEvent, EnvelopeError

INSPECTIONS = "rvi.inspections"
ELIGIBILITY = "rvi.eligibility"
SESSIONS = "rvi.sessions"
DOCUMENTS = "rvi.documents"
ENTERPRISES = "rvi.enterprises"
PERSONNEL = "rvi.personnel"
TOPICS: tuple[str, ...] = (INSPECTIONS, ELIGIBILITY, SESSIONS, DOCUMENTS, ENTERPRISES, PERSONNEL)


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


class UnknownEventType(EnvelopeError):
    pass


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str
    model: type[BaseModel]
    producer: str
    summary: str


_TYPES = [
    EventType(
        "rvi.inspection.requested.v1",
        INSPECTIONS,
        p.InspectionRequested,
        "scheduling",
        "A government system asked for an inspection.",
    ),
    EventType(
        "rvi.inspection.scheduled.v1",
        INSPECTIONS,
        p.InspectionScheduled,
        "scheduling",
        "Slot fixed at least three days ahead, team named, notice sent (GACC-RVI 4(I)).",
    ),
    EventType(
        "rvi.inspection.ready.v1",
        INSPECTIONS,
        p.InspectionReady,
        "scheduling",
        "The enterprise confirmed readiness (GACC-RVI 4(II)).",
    ),
    EventType("rvi.inspection.rescheduled.v1", INSPECTIONS, p.InspectionRescheduled, "scheduling", "The slot moved."),
    EventType(
        "rvi.inspection.cancelled.v1",
        INSPECTIONS,
        p.InspectionCancelled,
        "scheduling",
        "The inspection was cancelled.",
    ),
    EventType(
        "rvi.inspection.shifted_onsite.v1",
        INSPECTIONS,
        p.InspectionShiftedOnsite,
        "scheduling",
        "The task (or items) go on-site.",
    ),
    EventType(
        "rvi.inspection.no_show.v1",
        INSPECTIONS,
        p.InspectionNoShow,
        "scheduling",
        "The enterprise did not show up; rescheduled with notice again, or on-site after repeated no-shows.",
    ),
    EventType(
        "rvi.inspection.onsite_required.v1",
        INSPECTIONS,
        p.InspectionOnsiteRequired,
        "scheduling",
        "Items of a hybrid task go to an on-site follow-up; the remote part goes ahead (GACC-RVI 3(III), 3(V)).",
    ),
    EventType(
        "rvi.inspection.notified.v1",
        INSPECTIONS,
        p.InspectionNotified,
        "scheduling",
        "A notice, reminder or change notification was delivered (e-mail over SMTP or signed webhook).",
    ),
    EventType(
        "rvi.inspection.completed.v1",
        INSPECTIONS,
        p.InspectionCompleted,
        "scheduling",
        "The inspection is closed.",
    ),
    EventType(
        "rvi.eligibility.decided.v1",
        ELIGIBILITY,
        p.EligibilityDecided,
        "eligibility",
        "Whether and which items may be done by video, with reasons.",
    ),
    EventType(
        "rvi.equipment.tested.v1",
        SESSIONS,
        p.EquipmentTested,
        "video-gateway",
        "Result of the enterprise's equipment test (GACC-RVI 4(II)).",
    ),
    EventType("rvi.session.started.v1", SESSIONS, p.SessionStarted, "video-gateway", "The live session started."),
    EventType(
        "rvi.session.step_recorded.v1",
        SESSIONS,
        p.SessionStepRecorded,
        "video-gateway",
        "A key procedural step was recorded (GACC-RVI 4(III)).",
    ),
    EventType(
        "rvi.session.feed_lost.v1",
        SESSIONS,
        p.FeedLost,
        "video-gateway",
        "A feed stopped (camera vanished, publisher gone); its recordings were closed with what was received.",
    ),
    EventType(
        "rvi.session.escalated.v1",
        SESSIONS,
        p.SessionEscalated,
        "video-gateway",
        "Shift from remote to on-site (GACC-RVI 5).",
    ),
    EventType(
        "rvi.session.ended.v1",
        SESSIONS,
        p.SessionEnded,
        "video-gateway",
        "The session ended; evidence manifest digest.",
    ),
    EventType(
        "rvi.document.issued.v1",
        DOCUMENTS,
        p.DocumentIssued,
        "documents",
        "A legal document was issued (GACC-RVI 4(IV)).",
    ),
    EventType(
        "rvi.document.signed.v1",
        DOCUMENTS,
        p.DocumentSigned,
        "documents",
        "The enterprise signed and sealed it.",
    ),
    EventType(
        "rvi.document.delivered.v1",
        DOCUMENTS,
        p.DocumentDelivered,
        "documents",
        "Delivered electronically or by mail.",
    ),
    EventType(
        "rvi.document.uploaded.v1",
        DOCUMENTS,
        p.DocumentUploaded,
        "documents",
        "The enterprise submitted a pre-inspection document (GACC-RVI 4(II)).",
    ),
    EventType(
        "rvi.document.disputed.v1",
        DOCUMENTS,
        p.DocumentDisputed,
        "documents",
        "The enterprise disputed a document; a major dispute may shift the inspection on-site (GACC-RVI 5(III)).",
    ),
    EventType(
        "rvi.document.completed.v1",
        DOCUMENTS,
        p.DocumentCompleted,
        "documents",
        "The document's workflow is complete.",
    ),
    EventType(
        "rvi.officer.updated.v1",
        PERSONNEL,
        p.OfficerUpdated,
        "external",
        "An officer's record from the customs personnel system (credential, office, district); bulk roster updates.",
    ),
    EventType(
        "rvi.enterprise.updated.v1",
        ENTERPRISES,
        p.EnterpriseUpdated,
        "external",
        "Enterprise facts changed (consent, credit, capability).",
    ),
]

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}
_BY_MODEL: dict[type[BaseModel], EventType] = {t.model: t for t in _TYPES}
if len(_BY_MODEL) != len(_TYPES):
    raise RuntimeError("each event type carries a payload model of its own: the model names the type")


def topic_for(type_name: str) -> str:
    return lookup(type_name).topic


def lookup(type_name: str) -> EventType:
    try:
        return EVENT_TYPES[type_name]
    except KeyError:
        raise UnknownEventType(f"unknown event type {type_name!r}") from None


def type_of(data: BaseModel) -> EventType:
    """The event type whose payload `data` is; UnknownEventType for a model that is no payload."""
    return type_for(type(data))


def type_for(model: type[BaseModel]) -> EventType:
    """The event type whose payload model is `model`; UnknownEventType for a model that is no payload."""
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise UnknownEventType(f"{model.__name__} is the payload of no event type") from None


def decode_payload(event: CloudEvent) -> BaseModel:
    model = lookup(event.type).model
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        problems = "; ".join(f"data.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise EnvelopeError(f"invalid {event.type} payload: {problems}") from exc
