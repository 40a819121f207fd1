"""Session rules: opening on readiness, start, key steps on the evidence chain, escalation,
end. Handlers own the transaction; nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_shared.auth import Principal, Role
from rvi_shared.clock import Clock
from rvi_shared.errors import Conflict, NotFound, Unprocessable
from rvi_shared.events import payloads as p
from rvi_shared.messaging.outbox import Outbox
from rvi_video_gateway.access import team_officer
from rvi_video_gateway.evidence import GENESIS_HASH, hash_entry, manifest_digest, verify_chain
from rvi_video_gateway.lifecycle import SessionAction, SessionState, can, transition
from rvi_video_gateway.models import InspectionSession, InspectionView, ManifestEntry
from rvi_video_gateway.repository import GatewayRepository
from rvi_video_gateway.schemas import Escalation, SessionEnd, StepCreate
from rvi_video_gateway.settings import VideoGatewaySettings
from rvi_video_gateway.steps import checklist_item_of


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class GatewayService:
    def __init__(self, session: AsyncSession, outbox: Outbox, clock: Clock, settings: VideoGatewaySettings) -> None:
        self.session = session
        self.repo = GatewayRepository(session)
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    async def _emit(self, type_name: str, live: InspectionSession, data: BaseModel) -> None:
        await self.outbox.emit(self.session, type_name, live.inspection_id, data, self.clock.now())

    @staticmethod
    def team(inspection: InspectionView) -> list[dict[str, Any]]:
        """The team named when scheduled; before that, the officers named in the request."""
        return inspection.team or inspection.officers

    # --- reads ---

    async def get(self, session_id: str, for_update: bool = False) -> InspectionSession:
        try:
            key = uuid.UUID(session_id)
        except ValueError:
            raise NotFound(f"session {session_id!r} not found") from None
        live = await self.repo.session_by_id(key, for_update=for_update)
        if live is None:
            raise NotFound(f"session {session_id!r} not found")
        return live

    async def get_for_inspection(self, inspection_id: str) -> InspectionSession:
        live = await self.repo.session_of(inspection_id)
        if live is None:
            raise NotFound(f"inspection {inspection_id!r} has no session")
        return live

    async def entries(self, live: InspectionSession) -> Sequence[ManifestEntry]:
        return await self.repo.entries(live.session_id)

    async def _inspection(self, live: InspectionSession) -> InspectionView:
        inspection = await self.repo.inspection(live.inspection_id)
        assert inspection is not None, "a session always has its inspection"
        return inspection

    # --- commands from REST (the session row is locked by the caller) ---

    async def start(self, live: InspectionSession, principal: Principal) -> InspectionSession:
        inspection = await self._inspection(live)
        team_officer(principal, self.team(inspection))
        target = transition(live.state, SessionAction.START)
        if inspection.state != "ready":
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
        await self._emit(
            "rvi.session.started.v1",
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

    async def record_step(self, live: InspectionSession, principal: Principal, step: StepCreate) -> ManifestEntry:
        """GACC-RVI 4(III): a key procedural step, appended to the hash-chained manifest."""
        inspection = await self._inspection(live)
        officer = team_officer(principal, self.team(inspection))
        transition(live.state, SessionAction.RECORD_STEP)
        self._check_step(inspection, step)
        now = self.clock.now()
        ended_at = step.ended_at or now
        started_at = step.started_at or ended_at
        if started_at > ended_at:
            raise Unprocessable(f"started_at {_iso(started_at)} is after ended_at {_iso(ended_at)}")
        last = await self.repo.last_entry(live.session_id)
        prev_hash = last.entry_hash if last is not None else GENESIS_HASH
        step_id = str(uuid.uuid4())
        entry: dict[str, Any] = {
            "step_id": step_id,
            "kind": step.kind,
            "note": step.note,
            "site": step.site_id,
            "officer": {k: officer[k] for k in ("officer_id", "name", "credential_no")},
            "feed": None,
            "file": None,
            "started_at": _iso(started_at),
            "ended_at": _iso(ended_at),
        }
        link = ManifestEntry(
            session_id=live.session_id,
            seq=(last.seq + 1) if last is not None else 1,
            prev_hash=prev_hash,
            entry=entry,
            entry_hash=hash_entry(prev_hash, entry),
            recorded_at=now,
        )
        self.repo.add(link)
        await self.session.flush()
        await self._emit(
            "rvi.session.step_recorded.v1",
            live,
            p.SessionStepRecorded(
                session_id=str(live.session_id),
                inspection_id=live.inspection_id,
                step_id=step_id,
                kind=step.kind,
                note=step.note,
                site_id=step.site_id,
                officer_id=officer["officer_id"],
                started_at=started_at,
                ended_at=ended_at,
                digest=link.entry_hash,
            ),
        )
        return link

    @staticmethod
    def _check_step(inspection: InspectionView, step: StepCreate) -> None:
        item_id = checklist_item_of(step.kind)
        if item_id is not None:
            items = [i["item_id"] for i in inspection.checklist_items]
            if item_id not in items:
                raise Unprocessable(
                    f"kind {step.kind!r}: {item_id!r} is not a checklist item of this inspection (items: {items})"
                )
            if item_id in inspection.onsite_items:
                raise Unprocessable(
                    f"kind {step.kind!r}: item {item_id!r} is to be verified on-site, not by video (GACC-RVI 3(III))"
                )
        if step.site_id is not None:
            sites = [s["site_id"] for s in inspection.sites]
            if step.site_id not in sites:
                raise Unprocessable(f"site_id {step.site_id!r} is not a site of this inspection (sites: {sites})")

    async def escalate(
        self, live: InspectionSession, principal: Principal, escalation: Escalation
    ) -> InspectionSession:
        """GACC-RVI 5: shift from remote to on-site. A supervisor may order it without being on the team."""
        if principal.role is not Role.SUPERVISOR:
            team_officer(principal, self.team(await self._inspection(live)))
        live.state = transition(live.state, SessionAction.ESCALATE)
        live.escalated_at = self.clock.now()
        live.escalation_code = escalation.reason_code
        live.escalation_reason = escalation.reason
        live.falsification_confirmed = escalation.falsification_confirmed
        await self._emit(
            "rvi.session.escalated.v1",
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
        team_officer(principal, self.team(await self._inspection(live)))
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
        live.state, live.ended_at, live.conclusion = target, self.clock.now(), end.conclusion
        live.manifest_digest = manifest_digest(entries)
        await self._emit(
            "rvi.session.ended.v1",
            live,
            p.SessionEnded(
                session_id=str(live.session_id),
                inspection_id=live.inspection_id,
                enterprise_id=live.enterprise_id,
                ended_at=live.ended_at,
                conclusion=end.conclusion,
                steps=len(entries),
                manifest_digest=live.manifest_digest,
            ),
        )
        return live

    # --- the projection of rvi.inspections ---

    async def inspection(self, inspection_id: str) -> InspectionView | None:
        return await self.repo.inspection(inspection_id, for_update=True)

    async def on_requested(self, requested: p.InspectionRequested) -> None:
        inspection = await self.inspection(requested.inspection_id)
        if inspection is None:
            inspection = InspectionView(id=requested.inspection_id, state="requested", team=[], onsite_items=[])
            self.repo.add(inspection)
        inspection.enterprise_id = requested.enterprise_id
        inspection.customs = requested.customs
        inspection.sites = [s.model_dump(mode="json") for s in requested.sites]
        inspection.checklist_items = [i.model_dump(mode="json") for i in requested.checklist_items]
        inspection.officers = [o.model_dump(mode="json") for o in requested.officers]
        inspection.updated_at = self.clock.now()

    async def on_scheduled(self, inspection: InspectionView, scheduled: p.InspectionScheduled) -> None:
        inspection.state = "scheduled"
        inspection.team = [o.model_dump(mode="json") for o in scheduled.team]
        inspection.onsite_items = scheduled.onsite_items
        await self._move_slot(inspection, scheduled.slot_start, scheduled.slot_end)

    async def on_rescheduled(self, inspection: InspectionView, rescheduled: p.InspectionRescheduled) -> None:
        inspection.state = "scheduled"
        await self._move_slot(inspection, rescheduled.slot_start, rescheduled.slot_end)

    async def _move_slot(self, inspection: InspectionView, slot_start: datetime, slot_end: datetime) -> None:
        inspection.slot_start, inspection.slot_end = slot_start, slot_end
        inspection.updated_at = self.clock.now()
        live = await self.repo.session_of(inspection.id, for_update=True)
        if live is not None and live.state == SessionState.OPEN:
            live.slot_start = slot_start

    async def on_ready(self, inspection: InspectionView, ready: p.InspectionReady) -> None:
        """GACC-RVI 4(II) done: the session opens. A repeated ready leaves the one session as it is."""
        inspection.state = "ready"
        inspection.updated_at = self.clock.now()
        await self.repo.open_session(inspection, SessionState.OPEN, self.clock.now())

    async def on_cancelled(self, inspection: InspectionView, cancelled: p.InspectionCancelled) -> None:
        inspection.state = "cancelled"
        await self._close(inspection, f"inspection cancelled: {cancelled.reason}")

    async def on_shifted_onsite(self, inspection: InspectionView, shifted: p.InspectionShiftedOnsite) -> None:
        if shifted.items:
            inspection.onsite_items = sorted({*inspection.onsite_items, *shifted.items})
            inspection.updated_at = self.clock.now()
            return
        inspection.state = "shifted_onsite"
        await self._close(inspection, f"shifted on-site: {shifted.reason}")

    async def _close(self, inspection: InspectionView, reason: str) -> None:
        inspection.updated_at = self.clock.now()
        live = await self.repo.session_of(inspection.id, for_update=True)
        if live is not None and can(live.state, SessionAction.CLOSE):
            live.state = transition(live.state, SessionAction.CLOSE)
            live.closed_at, live.closed_reason = self.clock.now(), reason
