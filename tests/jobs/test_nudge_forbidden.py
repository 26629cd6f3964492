"""Telegram's other 403s: a representative who never started the bot, or deleted their account. The
nudge to them fails once and cleanly, the representative is marked unreachable (audited), and the rest
of the campaign goes out."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chronos.emulators import TelegramEmulator
from crm.db import UnitOfWork
from crm.models import AuditLog, Representative
from jobs.nudge_dispatch import DispatchConfig, Dispatcher
from jobs.telegram_sender import BotApiSender
from tests.jobs.conftest import open_policy, sending_campaign
from tests.jobs.test_nudge_dispatch import deliveries, drain, rows


async def test_never_started_and_deactivated_reps_are_unreachable_and_the_rest_is_sent(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    sender: BotApiSender,
) -> None:
    campaign = await sending_campaign(committing_session_factory, telegram, 4)
    never_started, deleted = campaign.chat_ids[1], campaign.chat_ids[3]
    telegram.user(never_started, "Rep1", started=False)
    telegram.deactivate_user(deleted)
    dispatcher = Dispatcher(committing_session_factory, sender, DispatchConfig(policy=open_policy()))

    await drain(dispatcher)

    assert deliveries(telegram) == Counter(c for c in campaign.chat_ids if c not in {never_started, deleted})
    refused = [c for c in telegram.calls("sendMessage") if c.response_status == 403]
    assert sorted(int(c.params["chat_id"]) for c in refused) == sorted([never_started, deleted])
    stored = {r.chat_id: r for r in await rows(committing_session_factory, campaign.id)}
    assert (stored[never_started].status, stored[never_started].attempts) == ("failed", 1)
    assert stored[never_started].last_error == "403: Forbidden: bot can't initiate conversation with a user"
    assert (stored[deleted].status, stored[deleted].attempts) == ("failed", 1)
    assert stored[deleted].last_error == "403: Forbidden: user is deactivated"
    assert dispatcher.counters.failed == 2
    gone = {campaign.rep_ids[1], campaign.rep_ids[3]}
    async with UnitOfWork(committing_session_factory) as uow:
        unreachable = set(
            await uow.session.scalars(
                select(Representative.id).where(Representative.unreachable_at.is_not(None))
            )
        )
        audited = {
            int(str(entity_id))
            for entity_id in await uow.session.scalars(
                select(AuditLog.entity_id).where(AuditLog.action == "representative.unreachable")
            )
        }
    assert unreachable == gone
    assert audited == gone
