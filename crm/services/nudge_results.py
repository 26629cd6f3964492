"""What screens show about campaigns: the approval card (every distinct text) and per-campaign results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Label, case, func, select

from ai.text.calendar import to_tehran
from crm.db import UnitOfWork
from crm.enums import CampaignStatus, NudgeMessageStatus
from crm.models import Interaction, NudgeCampaign, NudgeMessage, Representative
from crm.schemas.nudges import CampaignCard, CampaignDTO, CampaignStats, DistinctText, NudgePolicy, SendDay
from crm.services import nudge_drafting
from crm.services.nudges import APPROVED_ALREADY, get

TEXTS_PER_PAGE = 3
EXAMPLE_NAMES = 3
NAME_MARK = "{name}"
M = NudgeMessage
SENT = NudgeMessageStatus.SENT.value


async def card(
    uow: UnitOfWork, campaign_id: int, policy: NudgePolicy, *, offset: int = 0, now: dt.datetime | None = None
) -> CampaignCard:
    """The approval card: purpose, audience and exclusions, every distinct text (three a page from
    ``offset``), and when the messages go (:func:`crm.services.nudge_drafting.send_time`, the rule
    approval applies)."""
    campaign = await get(uow, campaign_id)
    rows = (
        await uow.session.execute(
            select(Representative.full_name, M.body)
            .join(Representative, Representative.id == M.representative_id)
            .where(M.campaign_id == campaign_id)
            .order_by(M.id)
        )
    ).all()
    texts = distinct_texts([(row.full_name, row.body) for row in rows])
    offset = offset % len(texts) if texts else 0
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
        excluded={reason: int(count) for reason, count in excluded.items()},
        audience=len(rows),
        texts=texts[offset : offset + TEXTS_PER_PAGE],
        distinct_total=len(texts),
        text_offset=offset,
        first_send_at=times[0] if times else None,
        estimated_finish_at=times[-1] if times else None,
        spread=spread(times),
        engines={str(name): int(count) for name, count in engines if name},
    )


def distinct_texts(messages: Sequence[tuple[str, str]]) -> list[DistinctText]:
    """Every different text the campaign sends, the representative's name shown as «{name}», most
    common first: what the supervisor approves is all of it, not a sample."""
    grouped: dict[str, list[str]] = {}
    for full_name, body in messages:
        grouped.setdefault(body.replace(full_name, NAME_MARK), []).append(full_name)
    ordered = sorted(grouped.items(), key=lambda item: -len(item[1]))
    return [
        DistinctText(text=text, count=len(names), example_names=names[:EXAMPLE_NAMES])
        for text, names in ordered
    ]


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
