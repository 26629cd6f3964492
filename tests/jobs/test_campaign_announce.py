"""A submitted campaign's approval card reaches every active supervisor on Telegram: after
`chronos campaigns submit` (a real CLI process) and after the scheduler's weekly auto-draft."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import CampaignAction
from chronos.emulators import TelegramEmulator
from chronos.nudge_runtime import card_announcer
from chronos.settings import BotSettings, Settings
from crm.db import UnitOfWork
from crm.enums import AgentRole, Locale
from crm.models import AuditLog, NudgeCampaign
from crm.schemas.nudges import CampaignCreate
from crm.schemas.types import Actor
from crm.services import agents, nudges
from jobs import nudges as nudge_jobs
from tests.factories import make_agent, make_rep
from tests.jobs.conftest import TEMPLATE, open_policy


async def _people(factory: async_sessionmaker[AsyncSession], telegram: TelegramEmulator) -> dict[str, int]:
    """Two supervisors (one English, one who never started the bot), an agent and two linked reps."""
    async with UnitOfWork(factory) as uow:
        reachable = await make_agent(uow, role=AgentRole.SUPERVISOR, name="سرپرست")
        await agents.set_locale(uow, reachable.id, Locale.EN, Actor.cli())
        silent = await make_agent(uow, role=AgentRole.SUPERVISOR)
        agent = await make_agent(uow)
        for n in range(2):
            await make_rep(uow, name=f"نماینده {n}", telegram_user_id=5_300_001 + n)
    telegram.user(reachable.telegram_user_id, "Sara", language_code="en")
    telegram.user(agent.telegram_user_id, "Agent")
    return {
        "supervisor": reachable.telegram_user_id,
        "silent": silent.telegram_user_id,
        "agent": agent.telegram_user_id,
    }


def _card_buttons(telegram: TelegramEmulator, chat_id: int) -> list[CampaignAction]:
    cards = [m for m in telegram.messages_to(chat_id) if m.reply_markup]
    assert len(cards) == 1, [m.text for m in telegram.messages_to(chat_id)]
    rows = cards[0].reply_markup["inline_keyboard"]  # type: ignore[index]
    return [CampaignAction.unpack(button["callback_data"]) for row in rows for button in row]


async def test_cli_submit_pushes_the_card_to_each_supervisor_in_their_language(
    database_url: str,
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    tmp_path: Path,
) -> None:
    people = await _people(committing_session_factory, telegram)
    async with UnitOfWork(committing_session_factory) as uow:
        campaign = await nudges.create(
            uow, CampaignCreate(name="پیگیری آذر", purpose="احوال‌پرسی", template=TEMPLATE), Actor.cli()
        )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BOT_TOKEN": telegram.token,
        "BOT_API_SERVER": telegram.base_url,
        "CHRONOS_DATA_DIR": str(tmp_path),
        "CHRONOS_LOG_LEVEL": "WARNING",
    }
    env.pop("LLM_API_KEY", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chronos", "campaigns", "submit", str(campaign.id), "--json",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["status"] == "pending_approval"
    assert result["announcement"] == {"notified": 1, "unreachable": 1}

    actions = _card_buttons(telegram, people["supervisor"])
    assert [a.action for a in actions] == ["ok", "no", "edit", "more"]
    assert {(a.campaign_id, a.revision) for a in actions} == {(campaign.id, result["revision"])}
    card = next(m for m in telegram.messages_to(people["supervisor"]) if m.reply_markup)
    assert "Campaign #" in card.text  # the supervisor's locale (English)
    assert "پیگیری آذر" in card.text
    assert telegram.messages_to(people["agent"]) == []  # agents never get approval cards


async def test_weekly_auto_draft_pushes_its_card_and_an_empty_audience_is_cancelled_with_the_reason(
    committing_session_factory: async_sessionmaker[AsyncSession],
    telegram: TelegramEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nudge_jobs, "AUTO_DRAFT_MAX_SCORE", 100)  # fresh reps score 70 (never contacted)
    settings = Settings(bot=BotSettings(token=SecretStr(telegram.token), api_server=telegram.base_url))
    async with card_announcer(settings, committing_session_factory) as announce:
        assert announce is not None
        nudge_jobs.configure(
            nudge_jobs.JobContext(committing_session_factory, open_policy(), announce=announce)
        )
        try:
            await nudge_jobs.auto_draft()  # nobody to nudge yet: refused, kept as cancelled
            people = await _people(committing_session_factory, telegram)
            await nudge_jobs.auto_draft()  # not blocked by last week's empty draft
        finally:
            nudge_jobs.configure(None)
    async with UnitOfWork(committing_session_factory) as uow:
        campaigns = (
            await uow.session.execute(
                select(NudgeCampaign.id, NudgeCampaign.status).order_by(NudgeCampaign.id)
            )
        ).all()
        reason = await uow.session.scalar(
            select(AuditLog.after).where(AuditLog.action == "nudge_campaign.cancel_reason")
        )
    assert [c.status for c in campaigns] == ["cancelled", "pending_approval"]
    assert "nobody to nudge" in str(reason)
    actions = _card_buttons(telegram, people["supervisor"])
    assert {a.campaign_id for a in actions} == {campaigns[1].id}
