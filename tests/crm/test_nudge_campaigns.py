"""Campaign lifecycle and audience rules at the service level."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.errors import InvalidTransition, PermissionDenied
from crm.models import AuditLog, NudgeMessage
from crm.schemas.nudges import AudienceRules, CampaignCreate, NudgePolicy
from crm.schemas.types import Actor
from crm.services import nudge_audience, nudge_results, nudges, representatives
from crm.services.nudges import EmptyAudience, TemplateRefused
from tests.factories import make_agent, make_rep

NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)  # Wednesday 11:30 in Tehran
POLICY = NudgePolicy()


async def _campaign(uow: UnitOfWork, rules: AudienceRules | None = None) -> int:
    data = CampaignCreate(
        name="آزمون", purpose="پیگیری", template="سلام {name}", rules=rules or AudienceRules()
    )
    return (await nudges.create(uow, data, Actor.cli())).id


async def test_exclusions_are_counted_by_reason_and_empty_audience_is_refused(uow: UnitOfWork) -> None:
    async with uow:
        linked = await make_rep(uow, telegram_user_id=6_100_001)
        opted = await make_rep(uow, telegram_user_id=6_100_002)
        await make_rep(uow)  # unlinked
        await representatives.set_nudge_opt_out(uow, opted.id, True, Actor.cli())
        preview = await nudge_audience.preview(uow, AudienceRules(), NOW)
        assert [m.representative_id for m in preview.members] == [linked.id]
        assert preview.excluded["opted_out"] == 1
        assert preview.excluded["unlinked"] == 1

        only_outage = await _campaign(uow, AudienceRules(outage_within_days=7))
        with pytest.raises(EmptyAudience):
            await nudges.submit(uow, only_outage, Actor.cli(), policy=POLICY, now=NOW)
        assert (await nudges.get(uow, only_outage)).status == "draft"


async def test_only_supervisors_approve_and_every_decision_is_audited(uow: UnitOfWork) -> None:
    async with uow:
        await make_rep(uow, telegram_user_id=6_100_011)
        agent = await make_agent(uow)
        supervisor = await make_agent(uow, role=AgentRole.SUPERVISOR)
        campaign_id = await _campaign(uow)
        campaign = await nudges.submit(uow, campaign_id, Actor.cli(), policy=POLICY, now=NOW)
        with pytest.raises(PermissionDenied):
            await nudges.approve(
                uow, campaign_id, campaign.revision, Actor.agent(agent.id), policy=POLICY, now=NOW
            )
        first = await nudges.approve(
            uow, campaign_id, campaign.revision, Actor.agent(supervisor.id), policy=POLICY, now=NOW
        )
        second = await nudges.approve(
            uow, campaign_id, campaign.revision, Actor.agent(supervisor.id), policy=POLICY, now=NOW
        )
        assert first.changed
        assert not second.changed
        assert first.campaign.status == "scheduled"
        actions = list(
            await uow.session.scalars(select(AuditLog.action).where(AuditLog.entity == "nudge_campaign"))
        )
        assert actions.count("nudge_campaign.approve") == 1
        await nudges.cancel(uow, campaign_id, Actor.cli())
        with pytest.raises(InvalidTransition):
            await nudges.approve(
                uow, campaign_id, first.campaign.revision + 1, Actor.agent(supervisor.id), policy=POLICY
            )
        statuses = set(await uow.session.scalars(select(NudgeMessage.status)))
        assert statuses == {"skipped"}


async def test_guardrail_failing_template_is_refused_with_reasons(uow: UnitOfWork) -> None:
    async with uow:
        with pytest.raises(TemplateRefused) as refused:
            await nudges.create(
                uow,
                CampaignCreate(
                    name="بد", purpose="فشار", template="سلام {name}، آخرین فرصت! می‌دانیم نگران هستید"
                ),
                Actor.cli(),
            )
        problems = refused.value.params["problems"]
        assert {"code": "pressure", "phrase": "آخرین فرصت"} in problems  # type: ignore[operator]
        assert any(p["code"] == "emotion" for p in problems)  # type: ignore[attr-defined]


async def test_messages_are_planned_inside_the_send_window(uow: UnitOfWork) -> None:
    async with uow:
        await make_rep(uow, telegram_user_id=6_100_021)
        campaign_id = await _campaign(uow)
        late = dt.datetime(2026, 11, 25, 19, 0, tzinfo=dt.UTC)  # 22:30 Tehran: quiet hours
        await nudges.submit(uow, campaign_id, Actor.cli(), policy=POLICY, now=late)
        [planned] = list(await uow.session.scalars(select(NudgeMessage.not_before)))
        assert POLICY.window.is_open(planned)
        assert planned > late


async def test_the_card_shows_when_approval_will_actually_send(uow: UnitOfWork) -> None:
    """The card said 09:29 (a plan already in the past), the approval notice the approval moment, and
    the messages went the next day at each representative's hour: one rule now gives all three."""
    async with uow:
        for n in range(3):
            await make_rep(uow, telegram_user_id=6_100_031 + n)
        supervisor = await make_agent(uow, role=AgentRole.SUPERVISOR)
        campaign_id = await _campaign(uow)
        campaign = await nudges.submit(uow, campaign_id, Actor.cli(), policy=POLICY, now=NOW)
        drafted = sorted(await uow.session.scalars(select(NudgeMessage.not_before)))
        later = NOW + dt.timedelta(hours=3)  # the supervisor looks at the card three hours later
        assert all(at < later for at in drafted)  # the drafted plan has gone stale
        card = await nudge_results.card(uow, campaign_id, POLICY, now=later)
        assert card.first_send_at is not None
        assert card.first_send_at >= later
        await nudges.approve(
            uow, campaign_id, campaign.revision, Actor.agent(supervisor.id), policy=POLICY, now=later
        )
        sent_at = sorted(await uow.session.scalars(select(NudgeMessage.not_before)))
        after = await nudge_results.card(uow, campaign_id, POLICY, now=later)
    assert card.first_send_at == sent_at[0] == after.first_send_at
    assert card.estimated_finish_at == after.estimated_finish_at
    assert card.estimated_finish_at is not None
    assert card.estimated_finish_at >= sent_at[-1]
    assert sum(day.count for day in card.spread) == 3
    assert [d.model_dump() for d in card.spread] == [d.model_dump() for d in after.spread]
