"""Two console sessions on one data directory: the bot answers in both.

The bot dedupes updates by (bot id, update id) and a representative's reply by chat and message id.
An emulator that started those ids at 1 again had every update of the second session dropped as
already handled. Each session here is its own emulator and Bot (as ``chronos console`` builds them),
feeding the real dispatcher the updates it fetched with getUpdates, as polling does.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.sender import build_bot
from bot.texts.fa import FA
from chronos.console import console_emulator
from crm.db import UnitOfWork
from crm.models import Interaction
from tests.bot.harness import BotHarness
from tests.factories import make_agent, make_rep

REP_TELEGRAM_ID = 7_410_001


async def console_session(data_dir: Path, harness: BotHarness, agent_id: int) -> list[str]:
    """The agent sends /start and the representative writes; returns what the bot sent back."""
    async with console_emulator(data_dir) as emulator:
        bot = build_bot(emulator.token, api_server=emulator.base_url, send_retries=1)
        try:
            emulator.send_command(emulator.user(agent_id, "Agent"), "start")
            emulator.send_text(emulator.user(REP_TELEGRAM_ID, "Reza"), "سرور V2Ray من قطع است")
            for update in await bot.get_updates(timeout=0):
                await harness.dispatcher.feed_update(bot, update)
        finally:
            await bot.session.close()
        return [m.text or "" for chat in (agent_id, REP_TELEGRAM_ID) for m in emulator.messages_to(chat)]


async def test_the_bot_answers_in_a_second_console_session(
    harness: BotHarness, db: UnitOfWork, tmp_path: Path
) -> None:
    async with db:
        agent = await make_agent(db, name="نگار")
        await make_rep(db, name="رضا کریمی", telegram_user_id=REP_TELEGRAM_ID, assigned_agent_id=agent.id)

    first = await console_session(tmp_path, harness, agent.telegram_user_id)
    second = await console_session(tmp_path, harness, agent.telegram_user_id)

    for replies in (first, second):
        assert any(text.startswith("سلام نگار") for text in replies), replies
        assert FA["rep.reply_logged"] in replies
    async with db:
        logged = await db.session.scalar(select(func.count()).select_from(Interaction))
    assert logged == 2  # the second reply is a new message, not a repeat of the first
