"""Nudge campaigns: draft → pending_approval → approved/rejected → scheduled → sending → done/cancelled.

* Nothing is sent without a supervisor's approval: only ``sending`` campaigns are dispatched, and only
  a supervisor (or admin) may approve. Every decision is written to ``audit_log``.
* An approval names the revision it approves. Any edit bumps the revision and sends the campaign back
  to ``pending_approval``, so an old card cannot approve new text. A second tap on Approve for the
  same revision changes nothing (:class:`Decision` ``changed=False``).
* Approval schedules at once (``approved`` is recorded in the audit trail, then ``scheduled``); the
  scheduler moves a due campaign to ``sending`` and a finished one to ``done``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import delete, func, select, update

from ai.nudges.templates import TemplateError, parse
from crm import audit
from crm.db import UnitOfWork
from crm.enums import AgentRole, CampaignStatus, NudgeMessageStatus
from crm.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from crm.models import CrtAgent, NudgeCampaign, NudgeMessage
from crm.schemas.nudges import AudienceRules, CampaignCreate, CampaignDTO, Decision, NudgePolicy
from crm.schemas.types import Actor
from crm.services import nudge_audience, nudge_drafting
from crm.services.nudge_drafting import DrafterFactory, offline_drafter

S = CampaignStatus
EDITABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED, S.APPROVED, S.SCHEDULED, S.SENDING})
CANCELLABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED, S.APPROVED, S.SCHEDULED, S.SENDING})
DELETABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED, S.CANCELLED})
APPROVED_ALREADY = frozenset({S.APPROVED, S.SCHEDULED, S.SENDING, S.DONE})


class StaleRevision(InvalidTransition):
    code = "stale_revision"


class EmptyAudience(ValidationFailed):
    code = "empty_audience"


class TemplateRefused(ValidationFailed):
    code = "template_refused"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_template(template: str) -> str:
    """The cleaned template, or :class:`TemplateRefused` listing every problem."""
    try:
        return parse(template).text
    except TemplateError as exc:
        problems = [{"code": p.code, **p.params} for p in exc.problems]
        raise TemplateRefused(f"template refused: {exc}", problems=problems) from exc


async def _locked(uow: UnitOfWork, campaign_id: int) -> NudgeCampaign:
    campaign = await uow.session.get(NudgeCampaign, campaign_id, with_for_update=True, populate_existing=True)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found", campaign_id=campaign_id)
    return campaign


async def _require_supervisor(uow: UnitOfWork, actor: Actor) -> None:
    agent = await uow.session.get(CrtAgent, actor.id) if actor.type == "agent" and actor.id else None
    if agent is None or not agent.active or agent.role not in (AgentRole.SUPERVISOR, AgentRole.ADMIN):
        raise PermissionDenied("only an active supervisor may decide on a campaign")


def _refuse(campaign: NudgeCampaign, action: str) -> InvalidTransition:
    return InvalidTransition(
        f"campaign {campaign.id} is {campaign.status}; cannot {action}",
        entity="campaign",
        campaign_id=campaign.id,
        from_status=campaign.status,
        action=action,
    )


async def _finish(
    uow: UnitOfWork, campaign: NudgeCampaign, actor: Actor, action: str, before: Any
) -> CampaignDTO:
    await uow.session.flush()
    await uow.session.refresh(campaign)
    dto = CampaignDTO.model_validate(campaign)
    audit.record(uow.session, actor, action, "nudge_campaign", campaign.id, before=before, after=dto)
    await uow.commit()
    return dto


async def create(uow: UnitOfWork, data: CampaignCreate, actor: Actor) -> CampaignDTO:
    template = check_template(data.template)
    campaign = NudgeCampaign(
        name=data.name,
        purpose=data.purpose,
        template=template,
        audience_rules=data.rules.model_dump(mode="json"),
        scheduled_for=data.scheduled_for,
        created_by_agent_id=actor.id if actor.type == "agent" else None,
        status=S.DRAFT.value,
    )
    uow.session.add(campaign)
    return await _finish(uow, campaign, actor, "nudge_campaign.create", None)


async def submit(
    uow: UnitOfWork,
    campaign_id: int,
    actor: Actor,
    *,
    policy: NudgePolicy,
    drafter_factory: DrafterFactory = offline_drafter,
    now: dt.datetime | None = None,
) -> CampaignDTO:
    """Select the audience and draft one message per representative; the campaign awaits approval.

    Drafting (LLM calls: minutes for a large audience) runs between two short transactions, with the
    campaign in ``draft`` meanwhile, so nothing is approved or sent from it and nothing is locked.
    """
    now = now or _now()
    campaign = await _locked(uow, campaign_id)
    if S(campaign.status) not in EDITABLE:
        raise _refuse(campaign, "submit")
    rules = AudienceRules.model_validate(campaign.audience_rules)
    preview = await nudge_audience.preview(uow, rules, now, min_days_between=policy.min_days_between)
    # A representative this campaign already sent to (or tried to) keeps that row and gets no second one.
    reached = await nudge_drafting.already_in_campaign(uow, campaign_id)
    members = [m for m in preview.members if m.representative_id not in reached]
    excluded = {**preview.excluded, "already_in_campaign": len(preview.members) - len(members)}
    if not members:
        raise EmptyAudience(
            f"campaign {campaign_id}: nobody to nudge ({preview.matched} matched the rules, all excluded)",
            matched=preview.matched,
            excluded=excluded,
        )
    if S(campaign.status) != S.DRAFT:
        before = CampaignDTO.model_validate(campaign)
        _back_to_draft(campaign)
        await _finish(uow, campaign, actor, "nudge_campaign.redraft", before)
    revision, start = campaign.revision, max(now, campaign.scheduled_for or now)
    drafter = drafter_factory(parse(campaign.template), campaign.purpose)
    await uow.commit()
    drafts = await nudge_drafting.draft_members(drafter, members)

    campaign = await _still_drafting(uow, campaign_id, revision)
    before = CampaignDTO.model_validate(campaign)
    await nudge_drafting.clear_unsent(uow, campaign_id)
    engines = await nudge_drafting.insert_rows(
        uow, campaign_id, members, drafts, policy, start, revision=revision
    )
    engines += await nudge_drafting.refresh_stale(
        uow, campaign_id, parse(campaign.template), campaign.purpose, revision
    )
    excluded["already_in_campaign"] = len(preview.members) - len(engines)
    campaign.engine = _engine_summary(engines)
    campaign.audience_stats = {"matched": preview.matched, "audience": len(engines), "excluded": excluded}
    campaign.status = S.PENDING_APPROVAL.value
    return await _finish(uow, campaign, actor, "nudge_campaign.submit", before)


def _back_to_draft(campaign: NudgeCampaign) -> None:
    """While its messages are (re)drafted: not approvable, not dispatched, a new revision."""
    campaign.status = S.DRAFT.value
    campaign.revision += 1
    campaign.decided_by_agent_id, campaign.decided_at, campaign.rejection_reason = None, None, None


async def _still_drafting(uow: UnitOfWork, campaign_id: int, revision: int) -> NudgeCampaign:
    """The campaign, locked again after drafting; refused if it was edited or cancelled meanwhile."""
    campaign = await _locked(uow, campaign_id)
    if campaign.revision != revision or S(campaign.status) != S.DRAFT:
        raise StaleRevision(
            f"campaign {campaign_id} changed while its messages were drafted; the newer change stands",
            entity="campaign",
            campaign_id=campaign_id,
            from_status=campaign.status,
            action="submit",
        )
    return campaign


def _engine_summary(engines: list[str]) -> str:
    """Which engines wrote the messages, most used first: "grok-3 ×48, offline ×2" (the card shows it)."""
    counts = Counter(engines)
    if len(counts) <= 1:
        return next(iter(counts), "offline")[:64]
    return ", ".join(f"{name} ×{n}" for name, n in counts.most_common())[:64]


async def approve(
    uow: UnitOfWork,
    campaign_id: int,
    revision: int,
    actor: Actor,
    *,
    policy: NudgePolicy,
    now: dt.datetime | None = None,
) -> Decision:
    now = now or _now()
    await _require_supervisor(uow, actor)
    campaign = await _locked(uow, campaign_id)
    status = S(campaign.status)
    if status in APPROVED_ALREADY and campaign.revision == revision:
        return Decision(campaign=CampaignDTO.model_validate(campaign), changed=False)
    if campaign.revision != revision:
        raise StaleRevision(
            f"campaign {campaign_id} changed (revision {campaign.revision}, card shows {revision})",
            entity="campaign",
            campaign_id=campaign_id,
            from_status=campaign.status,
            action="approve",
        )
    if status != S.PENDING_APPROVAL:
        raise _refuse(campaign, "approve")
    before = CampaignDTO.model_validate(campaign)
    # A row that returned to pending since the last drafting is brought to the approved revision.
    await nudge_drafting.refresh_stale(uow, campaign_id, parse(campaign.template), campaign.purpose, revision)
    campaign.status = S.APPROVED.value
    campaign.decided_by_agent_id, campaign.decided_at = actor.id, now
    await uow.session.flush()
    audit.record(uow.session, actor, "nudge_campaign.approve", "nudge_campaign", campaign_id, before=before)
    start = max(now, campaign.scheduled_for or now)
    await nudge_drafting.replan(uow, campaign_id, policy, start)
    campaign.scheduled_for = start
    campaign.status = S.SCHEDULED.value
    dto = await _finish(uow, campaign, actor, "nudge_campaign.schedule", None)
    return Decision(campaign=dto, changed=True)


async def reject(
    uow: UnitOfWork,
    campaign_id: int,
    revision: int,
    reason: str,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
) -> Decision:
    await _require_supervisor(uow, actor)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason")
    campaign = await _locked(uow, campaign_id)
    if S(campaign.status) == S.REJECTED and campaign.revision == revision:
        return Decision(campaign=CampaignDTO.model_validate(campaign), changed=False)
    if campaign.revision != revision:
        raise StaleRevision(
            f"campaign {campaign_id} changed",
            entity="campaign",
            campaign_id=campaign_id,
            from_status=campaign.status,
            action="reject",
        )
    if S(campaign.status) != S.PENDING_APPROVAL:
        raise _refuse(campaign, "reject")
    before = CampaignDTO.model_validate(campaign)
    campaign.status = S.REJECTED.value
    campaign.rejection_reason = reason[:2000]
    campaign.decided_by_agent_id, campaign.decided_at = actor.id, now or _now()
    return Decision(
        campaign=await _finish(uow, campaign, actor, "nudge_campaign.reject", before), changed=True
    )


async def edit_template(
    uow: UnitOfWork,
    campaign_id: int,
    template: str,
    actor: Actor,
    *,
    drafter_factory: DrafterFactory = offline_drafter,
    expected_revision: int | None = None,
) -> CampaignDTO:
    """New wording: refused if it fails the guardrails (or, with ``expected_revision``, if the campaign
    changed since the editor saw it); otherwise the unsent messages are redrafted and
    the campaign (even an approved or running one) waits for approval again. It is a ``draft`` while
    the messages are redrafted (outside any transaction), so nothing old is sent or approved meanwhile;
    a message already sent keeps what was sent. A draft that has messages (one being redrafted, or left
    by an interrupted redraft) is redrafted too, so an edit never leaves a campaign stuck as a draft."""
    cleaned = check_template(template)
    campaign = await _locked(uow, campaign_id)
    if S(campaign.status) not in EDITABLE:
        raise _refuse(campaign, "edit")
    if expected_revision is not None and campaign.revision != expected_revision:
        raise StaleRevision(
            f"campaign {campaign_id} changed (revision {campaign.revision}, editor saw {expected_revision})",
            entity="campaign",
            campaign_id=campaign_id,
            from_status=campaign.status,
            action="edit",
        )
    before = CampaignDTO.model_validate(campaign)
    campaign.template = cleaned
    messages = await nudge_drafting.unsent(uow, campaign_id)
    if not messages and S(campaign.status) == S.DRAFT:  # never submitted: nothing to redraft
        campaign.revision += 1
        return await _finish(uow, campaign, actor, "nudge_campaign.edit_template", before)
    _back_to_draft(campaign)
    edited = await _finish(uow, campaign, actor, "nudge_campaign.edit_template", before)
    drafter = drafter_factory(parse(cleaned), edited.purpose)
    drafts = await nudge_drafting.redraft(drafter, messages)

    campaign = await _still_drafting(uow, campaign_id, edited.revision)  # a later change wins
    before = CampaignDTO.model_validate(campaign)
    engines = await nudge_drafting.rewrite_unsent(uow, messages, drafts, revision=edited.revision)
    # Rows that were in flight at the snapshot and came back since hold the old text.
    engines += await nudge_drafting.refresh_stale(
        uow, campaign_id, parse(cleaned), edited.purpose, edited.revision
    )
    if engines:
        campaign.engine = _engine_summary(engines)
    campaign.status = S.PENDING_APPROVAL.value
    return await _finish(uow, campaign, actor, "nudge_campaign.redrafted", before)


async def cancel(uow: UnitOfWork, campaign_id: int, actor: Actor, reason: str = "") -> CampaignDTO:
    campaign = await _locked(uow, campaign_id)
    if S(campaign.status) == S.CANCELLED:
        return CampaignDTO.model_validate(campaign)
    if S(campaign.status) not in CANCELLABLE:
        raise _refuse(campaign, "cancel")
    before = CampaignDTO.model_validate(campaign)
    await uow.session.execute(
        update(NudgeMessage)
        .where(
            NudgeMessage.campaign_id == campaign_id, NudgeMessage.status == NudgeMessageStatus.PENDING.value
        )
        .values(status=NudgeMessageStatus.SKIPPED.value, last_error="campaign cancelled")
    )
    campaign.status = S.CANCELLED.value
    campaign.finished_at = _now()
    dto = await _finish(uow, campaign, actor, "nudge_campaign.cancel", before)
    if reason:
        audit.record(
            uow.session,
            actor,
            "nudge_campaign.cancel_reason",
            "nudge_campaign",
            campaign_id,
            after={"reason": reason},
        )
        await uow.commit()
    return dto


async def delete_campaign(uow: UnitOfWork, campaign_id: int, actor: Actor) -> None:
    """Only campaigns that never sent anything can be deleted; the others keep their record."""
    campaign = await _locked(uow, campaign_id)
    sent = await uow.session.scalar(
        select(func.count())
        .select_from(NudgeMessage)
        .where(
            NudgeMessage.campaign_id == campaign_id, NudgeMessage.status != NudgeMessageStatus.PENDING.value
        )
    )
    if S(campaign.status) not in DELETABLE or sent:
        raise _refuse(campaign, "delete")
    before = CampaignDTO.model_validate(campaign)
    await uow.session.execute(delete(NudgeCampaign).where(NudgeCampaign.id == campaign_id))
    audit.record(uow.session, actor, "nudge_campaign.delete", "nudge_campaign", campaign_id, before=before)
    await uow.commit()


async def get(uow: UnitOfWork, campaign_id: int) -> CampaignDTO:
    campaign = await uow.session.get(NudgeCampaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found", campaign_id=campaign_id)
    return CampaignDTO.model_validate(campaign)


async def start_due(
    uow: UnitOfWork, actor: Actor, *, now: dt.datetime | None = None, campaign_id: int | None = None
) -> list[int]:
    """Scheduled campaigns whose time has come start sending."""
    query = select(NudgeCampaign).where(
        NudgeCampaign.status == S.SCHEDULED.value, NudgeCampaign.scheduled_for <= (now or _now())
    )
    if campaign_id is not None:
        query = query.where(NudgeCampaign.id == campaign_id)
    started = []
    for campaign in (await uow.session.scalars(query.with_for_update(skip_locked=True))).all():
        campaign.status, campaign.started_at = S.SENDING.value, now or _now()
        audit.record(uow.session, actor, "nudge_campaign.start", "nudge_campaign", campaign.id)
        started.append(campaign.id)
    await uow.commit()
    return started


async def finish_done(uow: UnitOfWork, actor: Actor, *, now: dt.datetime | None = None) -> list[int]:
    """Sending campaigns with nothing left to send are done."""
    open_rows = (
        select(NudgeMessage.id)
        .where(
            NudgeMessage.campaign_id == NudgeCampaign.id,
            NudgeMessage.status.in_([NudgeMessageStatus.PENDING.value, NudgeMessageStatus.SENDING.value]),
        )
        .exists()
    )
    campaigns = (
        await uow.session.scalars(
            select(NudgeCampaign)
            .where(NudgeCampaign.status == S.SENDING.value, ~open_rows)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for campaign in campaigns:
        campaign.status, campaign.finished_at = S.DONE.value, now or _now()
        audit.record(uow.session, actor, "nudge_campaign.done", "nudge_campaign", campaign.id)
    await uow.commit()
    return [campaign.id for campaign in campaigns]


_STALE_ROWS = select(NudgeCampaign.id).where(
    NudgeCampaign.status.in_([S.SCHEDULED.value, S.SENDING.value]),
    select(NudgeMessage.id)
    .where(
        NudgeMessage.campaign_id == NudgeCampaign.id,
        NudgeMessage.status == NudgeMessageStatus.PENDING.value,
        func.coalesce(NudgeMessage.meta["revision"].as_integer(), NudgeCampaign.revision)
        != NudgeCampaign.revision,
    )
    .exists(),
)


async def refresh_stale_rows(uow: UnitOfWork) -> list[int]:
    """Approved campaigns with rows that came back to pending after an edit (in flight then, a 429 or
    a released claim since): rewritten for the approved revision, which the outbox requires. Returns
    the campaigns touched."""
    touched = []
    for campaign_id in list(await uow.session.scalars(_STALE_ROWS)):
        campaign = await _locked(uow, campaign_id)
        if S(campaign.status) in (S.SCHEDULED, S.SENDING):
            template = parse(campaign.template)
            await nudge_drafting.refresh_stale(
                uow, campaign_id, template, campaign.purpose, campaign.revision
            )
            touched.append(campaign_id)
        await uow.commit()
    return touched
