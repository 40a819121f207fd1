"""Session rules: opening on readiness, start, key steps and the location check on the
evidence chain, escalation, end and the signed manifest. Handlers own the transaction;
nothing here commits."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.auth import Principal, Role
from rvi_shared.clock import Clock
from rvi_shared.errors import Conflict, NotFound, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.messaging.outbox import Outbox
from rvi_shared.rows import get_by_id, not_found, parse_key
from rvi_video_gateway.instances.placement import holder_elsewhere
from rvi_video_gateway.instances.registry import GatewayRegistry
from rvi_video_gateway.models import (
    InspectionSession,
    InspectionView,
    ItemResultRow,
    ManifestEntry,
    SessionAuditEntry,
)
from rvi_video_gateway.sessions.access import team_officer
from rvi_video_gateway.sessions.evidence import (
    GENESIS_HASH,
    canonical_json,
    evidence_entry,
    hash_entry,
    manifest_digest,
    signed_manifest_document,
    verify_chain,
)
from rvi_video_gateway.sessions.lifecycle import SessionAction, TaskState, transition
from rvi_video_gateway.sessions.location import LocationCheck, check_location
from rvi_video_gateway.sessions.repository import GatewayRepository
from rvi_video_gateway.sessions.results import check_result, located_sites
from rvi_video_gateway.sessions.schemas import Escalation, ItemResultIn, LocationReport, SessionEnd, StepCreate
from rvi_video_gateway.sessions.signing import ManifestSigner
from rvi_video_gateway.sessions.steps import checklist_item_of, is_well_formed
from rvi_video_gateway.sessions.verification import VerificationReport, verify_manifest
from rvi_video_gateway.settings import VideoGatewaySettings

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _actor(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.subject}"


def _officer_ref(officer: dict[str, Any]) -> dict[str, Any]:
    return {k: officer[k] for k in ("officer_id", "name", "credential_no")}


@dataclass(frozen=True)
class SealedManifest:
    """What GET .../evidence exports: verify it with `python -m rvi_video_gateway.verify`."""

    document: dict[str, Any]
    signature: bytes
    public_key: bytes


class SessionService:
    def __init__(
        self,
        session: AsyncSession,
        outbox: Outbox,
        clock: Clock,
        settings: VideoGatewaySettings,
        signer: ManifestSigner | None = None,
    ) -> None:
        self.session = session
        self.repo = GatewayRepository(session)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.signer = signer

    async def _emit(self, live: InspectionSession, data: BaseModel) -> None:
        await self.outbox.emit(self.session, data, subject=live.inspection_id, time=self.clock.now())

    @staticmethod
    def team(inspection: InspectionView) -> list[dict[str, Any]]:
        """The team named when scheduled; before that, the officers named in the request."""
        return inspection.team or inspection.officers

    # --- reads ---

    async def get(self, session_id: str, for_update: bool = False) -> InspectionSession:
        return await get_by_id(self.session, InspectionSession, session_id, what="session", for_update=for_update)

    async def get_for_inspection(self, inspection_id: str) -> InspectionSession:
        """The inspection's session to read (a transient row: changes to it are not saved)."""
        live = await self.repo.read_session_of(inspection_id)
        if live is None:
            raise NotFound(f"inspection {inspection_id!r} has no session")
        return live

    async def entries(self, live: InspectionSession) -> Sequence[ManifestEntry]:
        return await self.repo.entries(live.session_id)

    async def inspection_of(self, live: InspectionSession) -> InspectionView:
        """The projected inspection a session belongs to."""
        inspection = await self.repo.inspection(live.inspection_id)
        assert inspection is not None, "a session always has its inspection"
        return inspection

    # --- commands from REST (the session row is locked by the caller) ---

    async def start(self, live: InspectionSession, principal: Principal) -> InspectionSession:
        inspection = await self.inspection_of(live)
        team_officer(principal, self.team(inspection))
        target = transition(live.state, SessionAction.START)
        if inspection.state != TaskState.READY:
            # Rescheduling sends the task back to scheduled until the enterprise confirms again.
            raise Conflict(
                f"the enterprise has not confirmed readiness for the current slot (GACC-RVI 4(II)); "
                f"the inspection is {inspection.state!r}",
                current_state=live.state,
            )
        now = self.clock.now()
        if live.slot_start is None:
            raise Conflict("no slot is scheduled (GACC-RVI 4(I))", current_state=live.state)
        earliest = live.slot_start - timedelta(minutes=self.settings.start_lead_minutes)
        if now < earliest:
            # The enterprise was notified of this slot; starting earlier would cut the notice short.
            raise Conflict(
                f"too early: the slot starts at {_iso(live.slot_start)} and the session may start from "
                f"{_iso(earliest)}; the advance notice of GACC-RVI 4(I) must have run",
                current_state=live.state,
                slot_start=_iso(live.slot_start),
            )
        live.state, live.started_at = target, now
        # DESIGN: Scale: placed here unless a live instance already holds its media (a feed was
        # added there first); the holder's heartbeat counts it.
        registry = GatewayRegistry(self.session, self.settings.heartbeat_interval_s)
        if await holder_elsewhere(registry, live.instance_id, self.settings.instance_id) is None:
            live.instance_id = self.settings.instance_id
        await self._emit(
            live,
            p.SessionStarted(
                session_id=str(live.session_id),
                inspection_id=live.inspection_id,
                enterprise_id=live.enterprise_id,
                started_at=now,
                officers=[p.Officer.model_validate(o) for o in self.team(inspection)],
            ),
        )
        return live

    async def record_step(self, session_id: str, principal: Principal, step: StepCreate) -> ManifestEntry:
        """GACC-RVI 4(III): a key procedural step, appended to the hash-chained manifest. The
        session row stays locked until commit, so concurrent steps line up instead of forking the
        chain. NotFound for an unknown session; 403 for an officer not on the team; 409 when the
        session's state records no step; 422 for a step the inspection does not have."""
        key = parse_key(InspectionSession, session_id, "session")
        context = await self.repo.lock_for_step(key)
        if context is None:
            raise not_found("session", session_id)
        inspection = context.inspection
        officer = team_officer(principal, self.team(inspection))
        transition(context.state, SessionAction.RECORD_STEP)
        self.check_step(inspection, step.kind, step.site_id)
        ended_at = step.ended_at or self.clock.now()
        started_at = step.started_at or ended_at
        self._check_span(started_at, ended_at)
        entry = evidence_entry(
            step_id=str(uuid.uuid4()),
            kind=step.kind,
            note=step.note,
            site=step.site_id,
            officer=_officer_ref(officer),
            reporter=_actor(principal),
            started_at=_iso(started_at),
            ended_at=_iso(ended_at),
        )
        return await self._record(key, context.inspection_id, entry, officer["officer_id"], started_at, ended_at)

    async def append_evidence(
        self,
        live: InspectionSession,
        kind: str,
        file_path: str | PurePath | None,
        sha256: str | None,
        feed_id: str | None,
        started_at: datetime,
        ended_at: datetime,
        officer_id: str | None,
        note: str = "",
        site_id: str | None = None,
    ) -> ManifestEntry:
        """For the media plane: a clip or snapshot closed and hashed (DESIGN: Evidence) goes on
        the chain. The file is named by its base name: the session's evidence folder
        (`<evidence_dir>/<session id>/`) is flat. The caller holds the session row lock
        (`get(session_id, for_update=True)`) and owns the transaction."""
        transition(live.state, SessionAction.RECORD_STEP)
        inspection = await self.inspection_of(live)
        if not is_well_formed(kind):
            raise Unprocessable(f"unknown step kind {kind!r}")
        self.check_step(inspection, kind, site_id)
        name: str | None = None
        if file_path is not None or sha256 is not None:
            # Without both, the entry records a step during which no picture arrived.
            if sha256 is None or not SHA256_HEX.fullmatch(sha256):
                raise Unprocessable(f"sha256 {sha256!r} is not 64 lowercase hex digits")
            name = PurePath(file_path or "").name
            if not name:
                raise Unprocessable(f"file_path {str(file_path)!r} names no file")
        officer = None
        if officer_id is not None:
            officer = next((o for o in self.team(inspection) if o["officer_id"] == officer_id), None)
            if officer is None:
                raise Unprocessable(f"officer_id {officer_id!r} is not on this inspection's team")
        self._check_span(started_at, ended_at)
        gateway = f"gateway:{self.settings.instance_id}"
        entry = evidence_entry(
            step_id=str(uuid.uuid4()),
            kind=kind,
            note=note,
            site=site_id,
            officer=_officer_ref(officer) if officer else None,
            reporter=gateway,
            feed_id=feed_id,
            file=name,
            sha256=sha256,
            started_at=_iso(started_at),
            ended_at=_iso(ended_at),
        )
        return await self._record(
            live.session_id, live.inspection_id, entry, officer_id or gateway, started_at, ended_at
        )

    async def verify_location(
        self, live: InspectionSession, principal: Principal, report: LocationReport
    ) -> tuple[ManifestEntry, LocationCheck]:
        """GACC-RVI 4(III) confirming location: the enterprise's device reports where it is; the
        distance to the registered site decides, and pass or fail goes on the chain."""
        transition(live.state, SessionAction.VERIFY_LOCATION)
        inspection = await self.inspection_of(live)
        site = next((s for s in inspection.sites if s["site_id"] == report.site_id), None)
        if site is None:
            sites = [s["site_id"] for s in inspection.sites]
            raise Unprocessable(f"site_id {report.site_id!r} is not a site of this inspection (sites: {sites})")
        check = check_location(
            site,
            report.latitude,
            report.longitude,
            report.accuracy_m,
            radius_m=self.settings.location_radius_m,
            max_accuracy_allowance_m=self.settings.max_accuracy_allowance_m,
        )
        now = self.clock.now()
        reporter = _actor(principal)
        entry = evidence_entry(
            step_id=str(uuid.uuid4()),
            kind="location_verified",
            note=check.note,
            site=report.site_id,
            reporter=reporter,
            location=check.as_entry(),
            started_at=_iso(now),
            ended_at=_iso(now),
        )
        return await self._record(live.session_id, live.inspection_id, entry, reporter, now, now), check

    async def _record(
        self,
        session_id: uuid.UUID,
        inspection_id: str,
        entry: dict[str, Any],
        actor_id: str,
        started_at: datetime,
        ended_at: datetime,
    ) -> ManifestEntry:
        """Appends the entry after the session's last one and announces it. Concurrent appends
        line up on the session row lock the caller holds instead of forking the chain. The link
        is written on the driver, not added to the ORM session."""
        end = await self.repo.chain_end(session_id)
        seq, prev_hash = (end[0] + 1, end[1]) if end is not None else (1, GENESIS_HASH)
        link = ManifestEntry(
            session_id=session_id,
            seq=seq,
            prev_hash=prev_hash,
            entry=entry,
            entry_hash=hash_entry(prev_hash, entry),
            recorded_at=self.clock.now(),
        )
        await self.repo.append(link)
        await self.outbox.emit(
            self.session,
            p.SessionStepRecorded(
                session_id=str(session_id),
                inspection_id=inspection_id,
                step_id=entry["step_id"],
                kind=entry["kind"],
                note=entry["note"],
                site_id=entry["site"],
                officer_id=actor_id,
                started_at=started_at,
                ended_at=ended_at,
                digest=link.entry_hash,
                file=entry.get("file"),
                file_sha256=entry.get("sha256"),
                feed_id=entry.get("feed_id"),
            ),
            subject=inspection_id,
            time=self.clock.now(),
        )
        return link

    @staticmethod
    def _check_span(started_at: datetime, ended_at: datetime) -> None:
        if started_at.tzinfo is None or ended_at.tzinfo is None:
            raise Unprocessable("started_at and ended_at need a time zone")
        if started_at > ended_at:
            raise Unprocessable(f"started_at {_iso(started_at)} is after ended_at {_iso(ended_at)}")

    @staticmethod
    def check_step(inspection: InspectionView, kind: str, site_id: str | None) -> None:
        item_id = checklist_item_of(kind)
        if item_id is not None:
            items = [i["item_id"] for i in inspection.checklist_items]
            if item_id not in items:
                raise Unprocessable(
                    f"kind {kind!r}: {item_id!r} is not a checklist item of this inspection (items: {items})"
                )
            if item_id in inspection.onsite_items:
                raise Unprocessable(
                    f"kind {kind!r}: item {item_id!r} is to be verified on-site, not by video (GACC-RVI 3(III))"
                )
        if site_id is not None:
            sites = [s["site_id"] for s in inspection.sites]
            if site_id not in sites:
                raise Unprocessable(f"site_id {site_id!r} is not a site of this inspection (sites: {sites})")

    async def escalate(
        self, live: InspectionSession, principal: Principal, escalation: Escalation
    ) -> InspectionSession:
        """GACC-RVI 5: shift from remote to on-site. A supervisor may order it without being on the team."""
        if principal.role is not Role.SUPERVISOR:
            team_officer(principal, self.team(await self.inspection_of(live)))
        live.state = transition(live.state, SessionAction.ESCALATE)
        live.escalated_at = self.clock.now()
        live.escalation_code = escalation.reason_code
        live.escalation_reason = escalation.reason
        live.falsification_confirmed = escalation.falsification_confirmed
        await self._emit(
            live,
            p.SessionEscalated(
                session_id=str(live.session_id),
                inspection_id=live.inspection_id,
                enterprise_id=live.enterprise_id,
                reason_code=escalation.reason_code,
                reason=escalation.reason,
                falsification_confirmed=escalation.falsification_confirmed,
            ),
        )
        return live

    async def end(self, live: InspectionSession, principal: Principal, end: SessionEnd) -> InspectionSession:
        team_officer(principal, self.team(await self.inspection_of(live)))
        target = transition(live.state, SessionAction.END)
        entries = await self.repo.entries(live.session_id)
        ok, broken = verify_chain(entries)
        if not ok:
            # Sealing would vouch for altered evidence.
            raise Conflict(
                f"the evidence manifest is broken at seq {broken}; it cannot be sealed",
                current_state=live.state,
                first_broken_seq=broken,
            )
        now = self.clock.now()
        results = await self.results(live)
        live.state, live.ended_at, live.conclusion = target, now, end.conclusion
        live.manifest_digest = manifest_digest(entries)
        self._sign(live, entries, now)
        await self._emit(
            live,
            p.SessionEnded(
                session_id=str(live.session_id),
                inspection_id=live.inspection_id,
                enterprise_id=live.enterprise_id,
                ended_at=now,
                conclusion=end.conclusion,
                steps=len(entries),
                manifest_digest=live.manifest_digest,
                results=results,
            ),
        )
        return live

    # --- checklist results (DOMAIN 8) and the audit trail ---

    async def record_result(
        self, live: InspectionSession, principal: Principal, site_id: str, item_id: str, body: ItemResultIn
    ) -> ItemResultRow:
        """A team officer records (or revises) the result of a checklist item at a site; see
        `sessions.results.check_result` for what is refused."""
        inspection = await self.inspection_of(live)
        officer = team_officer(principal, self.team(inspection))
        transition(live.state, SessionAction.RECORD_STEP)
        if site_id not in {s["site_id"] for s in inspection.sites}:
            raise NotFound(f"site {site_id!r} is not a site of this inspection")
        item = next((i for i in inspection.checklist_items if i["item_id"] == item_id), None)
        if item is None:
            raise NotFound(f"item {item_id!r} is not a checklist item of this inspection")
        entries = [link.entry for link in await self.repo.entries(live.session_id)]
        check_result(
            site_id=site_id,
            item=item,
            result=body.result,
            finding=body.finding,
            evidence=body.evidence,
            entries=entries,
            onsite_items=inspection.onsite_items,
        )
        row = await self.repo.item_result(live.session_id, site_id, item_id)
        if row is None:
            row = ItemResultRow(session_id=live.session_id, site_id=site_id, item_id=item_id)
            self.repo.add(row)
        row.result, row.finding, row.evidence = body.result, body.finding, list(body.evidence)
        row.recorded_by, row.recorded_at = str(officer["officer_id"]), self.clock.now()
        await self.record_participation(
            live.session_id,
            "result_recorded",
            _actor(principal),
            {"site_id": site_id, "item_id": item_id, "result": body.result},
        )
        return row

    async def results(self, live: InspectionSession) -> list[p.SiteResult]:
        """Every site of the inspection with its location check and the item results recorded."""
        inspection = await self.inspection_of(live)
        located = located_sites(link.entry for link in await self.repo.entries(live.session_id))
        rows = await self.repo.item_results(live.session_id)
        return [
            p.SiteResult(
                site_id=site["site_id"],
                location_verified=site["site_id"] in located,
                items=[
                    p.ItemResult(
                        item_id=r.item_id,
                        result=r.result,  # type: ignore[arg-type]
                        finding=r.finding,
                        evidence=list(r.evidence),
                        recorded_by=r.recorded_by,
                        recorded_at=r.recorded_at,
                    )
                    for r in rows
                    if r.site_id == site["site_id"]
                ],
            )
            for site in inspection.sites
        ]

    async def record_participation(
        self, session_id: uuid.UUID, action: str, actor: str, detail: dict[str, Any]
    ) -> None:
        """The session's audit trail: a participant joined or left (a WHIP/WHEP session), a result."""
        self.repo.add(
            SessionAuditEntry(session_id=session_id, at=self.clock.now(), action=action, actor=actor, detail=detail)
        )

    async def audit_trail(self, live: InspectionSession) -> Sequence[SessionAuditEntry]:
        return await self.repo.audit_trail(live.session_id)

    # --- the signed evidence manifest ---

    @staticmethod
    def _document(
        live: InspectionSession, entries: Sequence[ManifestEntry], signed_at: datetime, key_id: str
    ) -> dict[str, Any]:
        assert live.manifest_digest is not None
        return signed_manifest_document(
            session_id=str(live.session_id),
            inspection_id=live.inspection_id,
            enterprise_id=live.enterprise_id,
            entries=entries,
            digest=live.manifest_digest,
            signed_at=_iso(signed_at),
            key_id=key_id,
        )

    def _sign(self, live: InspectionSession, entries: Sequence[ManifestEntry], now: datetime) -> None:
        """Signs the canonical document at the end. Only the signature, key and time are kept:
        the document is rebuilt from the entries, so rows altered afterwards fail verification."""
        assert self.signer is not None, "sessions end over REST, where the signer is injected"
        document = self._document(live, entries, now, self.signer.key_id)
        live.manifest_signature = self.signer.sign(canonical_json(document))
        live.manifest_public_key = self.signer.public_key
        live.manifest_key_id = self.signer.key_id
        live.manifest_signed_at = now

    async def evidence(self, live: InspectionSession) -> SealedManifest:
        if (
            live.manifest_signature is None
            or live.manifest_public_key is None
            or live.manifest_key_id is None
            or live.manifest_signed_at is None
        ):
            raise Conflict(
                f"the evidence manifest is signed when the session ends; the session is in state {live.state!r}",
                current_state=live.state,
            )
        entries = await self.repo.entries(live.session_id)
        document = self._document(live, entries, live.manifest_signed_at, live.manifest_key_id)
        return SealedManifest(document, live.manifest_signature, live.manifest_public_key)

    async def verify_evidence(self, live: InspectionSession) -> VerificationReport:
        """The offline verification, run here on what GET .../evidence returns, with the files
        in the session's evidence folder when it exists."""
        sealed = await self.evidence(live)
        files = Path(self.settings.evidence_dir) / str(live.session_id)

        def run() -> VerificationReport:
            return verify_manifest(
                sealed.document, sealed.signature, sealed.public_key, files if files.is_dir() else None
            )

        return await asyncio.to_thread(run)

    # --- the projection of rvi.inspections ---

    async def find_inspection(self, inspection_id: str) -> InspectionView | None:
        """The projected inspection, read only (a transient row: changes to it are not saved)."""
        return await self.repo.read_inspection(inspection_id)
