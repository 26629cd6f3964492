"""Scheduled nudge jobs. APScheduler stores them by reference (``jobs.nudges:<name>``) with plain ids as
arguments; each opens its own unit of work through the context the scheduler process configured."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai.nudges.templates import DEFAULT_TEMPLATE
from crm.db import UnitOfWork
from crm.enums import CampaignStatus
from crm.errors import DomainError
from crm.models import NudgeCampaign
from crm.schemas.nudges import AudienceRules, CampaignCreate, NudgePolicy
from crm.schemas.types import Actor
from crm.services import nudges
from crm.services.nudge_drafting import DrafterFactory, offline_drafter

log = logging.getLogger(__name__)
START_JOB_PREFIX = "nudge-start-"
AUTO_DRAFT_MAX_SCORE = 50
AUTO_DRAFT_NAME = "پیگیری هفتگی نمایندگان کم‌تعامل"


@dataclass
class JobContext:
    session_factory: async_sessionmaker[AsyncSession]
    policy: NudgePolicy
    scheduler: Any = None
    """The running APScheduler instance (adds and removes per-campaign start jobs)."""
    drafter_factory: DrafterFactory = offline_drafter
    announce: Callable[[int], Awaitable[object]] | None = None
    """Pushes a submitted campaign's approval card to the supervisors (None without a bot token)."""


_context: JobContext | None = None


def configure(context: JobContext | None) -> None:
    global _context
    _context = context


def context() -> JobContext:
    if _context is None:
        raise RuntimeError("nudge jobs run only inside `chronos scheduler` (no job context configured)")
    return _context


async def start_campaign(campaign_id: int) -> None:
    """The date job of one campaign: it starts sending at its scheduled time."""
    ctx = context()
    async with UnitOfWork(ctx.session_factory) as uow:
        started = await nudges.start_due(uow, Actor.system(), campaign_id=campaign_id)
    if started:
        log.info("campaign %s started sending", campaign_id)


async def sync_campaigns() -> None:
    """Every few seconds: start due campaigns, finish completed ones, and keep one date job per
    scheduled campaign in the job store (so a schedule survives restarts in two places)."""
    ctx = context()
    now = dt.datetime.now(dt.UTC)
    async with UnitOfWork(ctx.session_factory) as uow:
        await nudges.start_due(uow, Actor.system(), now=now)
    async with UnitOfWork(ctx.session_factory) as uow:
        for campaign_id in await nudges.refresh_stale_rows(uow):
            log.info("campaign %s: messages back from an earlier revision rewritten", campaign_id)
    async with UnitOfWork(ctx.session_factory) as uow:
        for campaign_id in await nudges.finish_done(uow, Actor.system(), now=now):
            log.info("campaign %s is done", campaign_id)
    if ctx.scheduler is None:
        return
    async with UnitOfWork(ctx.session_factory) as uow:
        scheduled = {
            row.id: row.scheduled_for
            for row in await uow.session.execute(
                select(NudgeCampaign.id, NudgeCampaign.scheduled_for).where(
                    NudgeCampaign.status == CampaignStatus.SCHEDULED.value, NudgeCampaign.scheduled_for > now
                )
            )
        }
    for job in ctx.scheduler.get_jobs():
        if (
            job.id.startswith(START_JOB_PREFIX)
            and int(job.id.removeprefix(START_JOB_PREFIX)) not in scheduled
        ):
            job.remove()
    for campaign_id, when in scheduled.items():
        job_id = f"{START_JOB_PREFIX}{campaign_id}"
        if ctx.scheduler.get_job(job_id) is None:
            ctx.scheduler.add_job(
                "jobs.nudges:start_campaign", "date", run_date=when, args=[campaign_id], id=job_id
            )


async def auto_draft() -> None:
    """Weekly: a campaign for the least engaged representatives, drafted for a supervisor's approval."""
    ctx = context()
    now = dt.datetime.now(dt.UTC)
    async with UnitOfWork(ctx.session_factory) as uow:
        waiting = await uow.session.scalar(
            select(NudgeCampaign.id).where(
                NudgeCampaign.created_by_agent_id.is_(None),
                NudgeCampaign.name == AUTO_DRAFT_NAME,
                NudgeCampaign.status == CampaignStatus.PENDING_APPROVAL.value,
            )
        )
        if waiting is not None:
            log.info("auto-draft skipped: campaign %s still awaits a decision", waiting)
            return
        campaign = await nudges.create(
            uow,
            CampaignCreate(
                name=AUTO_DRAFT_NAME,
                purpose="احوال‌پرسی و پیشنهاد کمک به نمایندگانی که مدتی است با ما در تماس نبوده‌اند",
                template=DEFAULT_TEMPLATE,
                rules=AudienceRules(max_score=AUTO_DRAFT_MAX_SCORE),
            ),
            Actor.system(),
        )
        try:
            await nudges.submit(
                uow,
                campaign.id,
                Actor.system(),
                policy=ctx.policy,
                drafter_factory=ctx.drafter_factory,
                now=now,
            )
        except Exception as exc:
            # Cancelled with the reason (kept for the record), so next week's run is not blocked by it.
            log.log(logging.INFO if isinstance(exc, DomainError) else logging.ERROR, "auto-draft: %s", exc)
            await uow.rollback()
            await nudges.cancel(uow, campaign.id, Actor.system(), reason=str(exc) or type(exc).__name__)
            if isinstance(exc, DomainError):
                return
            raise
    if ctx.announce is not None:
        await ctx.announce(campaign.id)
