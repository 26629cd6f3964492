"""Forged or garbled buttons: out-of-range ids and offsets get the stale-button alert, never a
traceback; an edit that changes nothing (a double tap) is a success, not «…کارتان انجام نشد»."""

from __future__ import annotations

import pytest

from bot.texts.fa import FA
from crm.db import UnitOfWork
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent


@pytest.mark.parametrize(
    "data",
    [
        f"r:card:{2**64}:0",  # above bigint
        f"r:hist:{2**63}:0",
        "r:hist:5:-3",  # a negative history offset
        "t:view:-1:",
        "t:view:0:",
        f"v:up:{2**70}:0",
        f"n:more:1:1:{10**9}",
        "kb:shorter:-7",
        "fb:up:99999999999999999999999",
        "cp:done:-1:0",
    ],
)
async def test_an_out_of_range_button_gets_the_stale_alert(
    harness: BotHarness, db: UnitOfWork, data: str
) -> None:
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/help")
    calls = await harness.press(user, harness.last(user), data, check=False)
    assert alerts(calls) == [FA["error.stale"]], [c.params for c in calls]
    assert not [t for t in sent_texts(calls) if "کد پیگیری" in t]  # no error id: nothing broke


async def test_an_edit_that_changes_nothing_is_a_success(harness: BotHarness, db: UnitOfWork) -> None:
    """A double tap on a flow's last button edits its prompt into the same text again; Telegram answers
    "message is not modified", which became «…کارتان انجام نشد». Every edit through the bot's session
    now takes it as done."""
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/help")
    message = harness.last(user)
    again = await harness.bot.edit_message_text(message.text, chat_id=user.id, message_id=message.message_id)
    assert again is True
    [edit] = harness.emulator.calls("editMessageText")[-1:]
    assert "not modified" in str(edit.response.get("description"))  # Telegram did refuse it
