"""The checks behind each rule (GACC-RVI 1, 2, 3(I)-(IV)): pure functions of the facts and the
catalogues in force, each reporting what it saw."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rvi_eligibility.rules.catalogue import category_key, hs_chapter, legal_date
from rvi_eligibility.rules.consent_scope import covered_matters, covers_remote_video, scope_out
from rvi_eligibility.rules.districts import customs_office, district_of
from rvi_eligibility.rules.model import Catalogues, ItemFacts, Result, TaskFacts, Verdict, failed, passed
from rvi_eligibility.rules.standing import EnterpriseStanding

FACTS_UNKNOWN = "enterprise facts unknown"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- GACC-RVI 1 ---


def pilot_district(f: TaskFacts, _: Catalogues) -> Verdict:
    office = customs_office(f.customs)
    district = district_of(f.customs, legal_date(f.as_at))
    if district is None:
        where = f" (in the {office.district.name_en} district)" if office is not None else ""
        return failed(
            f"customs office {f.customs!r}{where} is not in one of the 17 pilot districts",
            customs=f.customs,
            **({"district": office.district.name_en, "district_code": office.district.code} if office else {}),
        )
    return passed(
        f"customs office {f.customs!r} is in the {district} pilot district", customs=f.customs, district=district
    )


# --- GACC-RVI 2 ---


def facts_known(f: TaskFacts, _: Catalogues) -> Verdict:
    if f.enterprise is None:
        return failed(FACTS_UNKNOWN, enterprise_id=f.enterprise_id)
    return passed(
        "enterprise facts known", enterprise_id=f.enterprise_id, effective_from=_iso(f.enterprise.effective_from)
    )


EnterpriseCheck = Callable[[EnterpriseStanding, datetime], Verdict]


def needs_enterprise(check: EnterpriseCheck) -> Callable[[TaskFacts, Catalogues], Verdict]:
    """Unknown facts are reported once, by `enterprise-facts-known`; the others do not apply."""

    def run(f: TaskFacts, _: Catalogues) -> Verdict:
        if f.enterprise is None:
            return Verdict(Result.NOT_APPLICABLE, FACTS_UNKNOWN, {"enterprise_id": f.enterprise_id})
        return check(f.enterprise, f.as_at)

    run.__name__ = check.__name__
    return run


def consent(e: EnterpriseStanding, at: datetime) -> Verdict:
    """Given, not revoked by `at`, and its scope covers remote video inspection (see consent_scope)."""
    seen = {"given": e.consent_given, "scope": scope_out(e.consent_scope), "revoked_at": _iso(e.consent_revoked_at)}
    if e.consent_given is None:
        return failed("no consent to remote video inspection is recorded", **seen)
    if not e.consent_given:
        return failed("the enterprise does not consent to remote video inspection", **seen)
    if not e.consents_at(at):
        return failed(f"consent to remote video inspection was revoked at {_iso(e.consent_revoked_at)}", **seen)
    if not covers_remote_video(e.consent_scope):
        return failed(
            f"the consent covers {', '.join(covered_matters(e.consent_scope) or ())} but not remote video "
            "inspection, to which the enterprise must consent (GACC-RVI 2)",
            **seen,
        )
    return passed("the enterprise consents to remote video inspection", **seen)


def cooperation(e: EnterpriseStanding, at: datetime) -> Verdict:
    if e.can_cooperate is None:
        return failed("whether the enterprise can actively cooperate is not recorded", can_cooperate=None)
    if not e.can_cooperate:
        return failed("the enterprise cannot actively cooperate", can_cooperate=False)
    return passed("the enterprise can actively cooperate", can_cooperate=True)


def technical(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"technical_conditions": e.technical_conditions}
    if e.technical_conditions is None:
        return failed("the enterprise's technical conditions for video inspection are not recorded", **seen)
    if not e.technical_conditions:
        return failed("the enterprise lacks the technical conditions (camera, connection) for video inspection", **seen)
    return passed("the enterprise has the technical conditions for video inspection", **seen)


def not_discredited(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"credit_status": e.credit_status}
    if e.credit_status is None:
        return failed("the enterprise's credit status is not recorded", **seen)
    if e.credit_status == "discredited":
        return failed("the enterprise is listed as a discredited entity", **seen)
    return passed(f"the enterprise's credit status is {e.credit_status}", **seen)


# --- GACC-RVI 3 ---


def high_risk(f: ItemFacts, c: Catalogues) -> Verdict:
    """3(I): by the HS chapter of the goods, or by the item's category."""
    seen: dict[str, object] = {"item_id": f.item_id, "commodity_code": f.commodity_code, "category": f.category}
    chapter = hs_chapter(f.commodity_code) if f.commodity_code else None
    if chapter is not None and (entry := c.high_risk_chapters.get(chapter)) is not None:
        return failed(
            f"commodity code {f.commodity_code} is high-risk (HS chapter {entry.key}: {entry.description})",
            **seen,
            hs_chapter=entry.key,
        )
    if f.category and (entry := c.high_risk_categories.get(category_key(f.category))) is not None:
        return failed(f"item category {entry.key} is high-risk ({entry.description})", **seen)
    return passed("no high-risk goods by HS chapter or item category", **seen)


def campaign_or_directive(f: TaskFacts, c: Catalogues) -> Verdict:
    keywords = c.physical_directive_keywords
    physical = [d for d in f.directives if any(k in d.casefold() for k in keywords)]
    seen: dict[str, object] = {"special_campaign": f.special_campaign, "directives": list(f.directives)}
    if f.special_campaign:
        return failed("the task is part of a special campaign led by GACC or a directly subordinate customs", **seen)
    if physical:
        return failed(
            f"directives require unannounced, joint or physical on-site checks: {', '.join(physical)}", **seen
        )
    return passed("no special campaign and no directive requiring an on-site check", **seen)


def video_capable(f: ItemFacts, c: Catalogues) -> Verdict:
    seen: dict[str, object] = {"item_id": f.item_id, "category": f.category}
    entry = c.non_video_categories.get(category_key(f.category)) if f.category else None
    if entry is None:
        return passed("the item can be performed by video", **seen)
    return failed(f"item category {entry.key} ({entry.description}) cannot effectively be done by video", **seen)


def no_mandatory_onsite(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"mandatory_onsite": e.mandatory_onsite, "reason": e.mandatory_onsite_reason}
    if e.mandatory_onsite:
        return failed(f"the enterprise is under mandatory on-site verification: {e.mandatory_onsite_reason}", **seen)
    return passed("the enterprise is not under mandatory on-site verification", **seen)
