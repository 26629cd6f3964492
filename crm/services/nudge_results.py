"""What screens show about campaigns: the approval card (with samples) and per-campaign results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Label, case, func, select

from ai.text.calendar import to_tehran
from crm.db import UnitOfWork
from crm.enums import CampaignStatus, NudgeMessageStatus
from crm.models import Interaction, NudgeCampaign, NudgeMessage, Representative
from crm.schemas.nudges import CampaignCard, CampaignDTO, CampaignStats, NudgePolicy, SampleMessage, SendDay
from crm.services import nudge_drafting
from crm.services.nudges import APPROVED_ALREADY, get

SAMPLES = 3
M = NudgeMessage
SENT = NudgeMessageStatus.SENT.value


async def card(
    uow: UnitOfWork, campaign_id: int, policy: NudgePolicy, *, offset: int = 0, now: dt.datetime | None = None
) -> CampaignCard:
    """The approval card: purpose, audience and exclusions, three samples from ``offset``, and when the
    messages go (:func:`crm.services.nudge_drafting.send_time`, the rule approval applies)."""
    campaign = await get(uow, campaign_id)
    audience = int(
        await uow.session.scalar(select(func.count()).select_from(M).where(M.campaign_id == campaign_id)) or 0
    )
    offset = offset % audience if audience else 0
    rows = (
        await uow.session.execute(
            select(M.representative_id, Representative.full_name, M.body, M.not_before)
            .join(Representative, Representative.id == M.representative_id)
            .where(M.campaign_id == campaign_id)
            .order_by(M.id)
            .offset(offset)
            .limit(SAMPLES)
        )
    ).all()
    now = now or dt.datetime.now(dt.UTC)
    start = max(now, campaign.scheduled_for or now)
    approved = campaign.status in APPROVED_ALREADY
    plan = await nudge_drafting.pending_plan(uow, campaign_id, policy, start, approved=approved)
    times = nudge_drafting.paced([at for _, at in plan], policy)
    engine = M.meta["engine"].astext
    engines = (
        await uow.session.execute(
            select(engine, func.count())
            .where(M.campaign_id == campaign_id)
            .group_by(engine)
            .order_by(func.count().desc(), engine)
        )
    ).all()
    excluded = dict(campaign.audience_stats.get("excluded", {}))
    return CampaignCard(
        campaign=campaign,
        audience=audience,
        excluded={reason: int(count) for reason, count in excluded.items()},
        samples=[
            SampleMessage(
                representative_id=r.representative_id,
                full_name=r.full_name,
                body=r.body,
                not_before=r.not_before,
            )
            for r in rows
        ],
        sample_offset=offset,
        first_send_at=times[0] if times else None,
        estimated_finish_at=times[-1] if times else None,
        spread=spread(times),
        engines={str(name): int(count) for name, count in engines if name},
    )


def spread(times: Sequence[dt.datetime]) -> list[SendDay]:
    """How many messages go on each Tehran day, and between which times."""
    days: dict[dt.date, list[dt.datetime]] = {}
    for at in times:
        days.setdefault(to_tehran(at).date(), []).append(at)
    return [
        SendDay(day=day, count=len(ats), first=min(ats), last=max(ats)) for day, ats in sorted(days.items())
    ]


def _count(condition: ColumnElement[bool], name: str) -> Label[int]:
    return func.count(case((condition, 1))).label(name)


async def stats(
    uow: UnitOfWork, campaign_ids: Sequence[int] | None = None, *, limit: int = 20
) -> list[CampaignStats]:
    """Results per campaign, newest first."""
    query = (
        select(NudgeCampaign).order_by(NudgeCampaign.created_at.desc(), NudgeCampaign.id.desc()).limit(limit)
    )
    if campaign_ids is not None:
        query = query.where(NudgeCampaign.id.in_(list(campaign_ids)))
    campaigns = [CampaignDTO.model_validate(c) for c in await uow.session.scalars(query)]
    if not campaigns:
        return []
    ids = [c.id for c in campaigns]
    counts = {
        row.campaign_id: row
        for row in await uow.session.execute(
            select(
                M.campaign_id,
                func.count().label("total"),
                _count(M.status == NudgeMessageStatus.PENDING.value, "pending"),
                _count(M.status == NudgeMessageStatus.SENDING.value, "sending"),
                _count(M.status == SENT, "sent"),
                _count((M.status == SENT) & M.telegram_message_id.is_not(None), "delivered"),
                _count((M.status == SENT) & M.telegram_message_id.is_(None), "unconfirmed"),
                _count(M.status == NudgeMessageStatus.FAILED.value, "failed"),
                _count(M.status == NudgeMessageStatus.SKIPPED.value, "skipped"),
                _count(M.replied_at.is_not(None), "replied"),
                _count(M.opted_out_at.is_not(None), "opted_out"),
            )
            .where(M.campaign_id.in_(ids))
            .group_by(M.campaign_id)
        )
    }
    sentiment: dict[int, dict[str, int]] = {}
    for label_row in await uow.session.execute(
        select(M.campaign_id, Interaction.sentiment_label, func.count())
        .join(Interaction, Interaction.id == M.reply_interaction_id)
        .where(M.campaign_id.in_(ids))
        .group_by(M.campaign_id, Interaction.sentiment_label)
    ):
        campaign_id, label, count = label_row
        sentiment.setdefault(campaign_id, {})[label or "unscored"] = int(count)
    result = []
    for campaign in campaigns:
        row = counts.get(campaign.id)
        numbers = {
            key: int(getattr(row, key)) if row is not None else 0
            for key in (
                "total", "pending", "sending", "sent", "delivered", "unconfirmed",
                "failed", "skipped", "replied", "opted_out",
            )
        }  # fmt: skip
        result.append(
            CampaignStats(
                campaign_id=campaign.id,
                name=campaign.name,
                status=CampaignStatus(campaign.status),
                reply_sentiment=sentiment.get(campaign.id, {}),
                **numbers,
            )
        )
    return result


async def pending_approval(uow: UnitOfWork) -> list[CampaignDTO]:
    rows = await uow.session.scalars(
        select(NudgeCampaign)
        .where(NudgeCampaign.status == CampaignStatus.PENDING_APPROVAL.value)
        .order_by(NudgeCampaign.id)
    )
    return [CampaignDTO.model_validate(row) for row in rows]
