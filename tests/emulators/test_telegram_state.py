"""With a state file, update, message and callback query ids continue from one emulator to the next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chronos.emulators import TelegramEmulator
from chronos.emulators.telegram_state import StateFileError
from tests.emulators.test_telegram_emulator import AGENT_ID, keyboard, make_bot


async def one_session(state_path: Path | None) -> tuple[int, int, int, str]:
    """A user writes, the bot answers with a button, the user presses it: (update id of the text,
    message id of the user's text, message id of the bot's answer, callback query id)."""
    async with TelegramEmulator(state_path=state_path) as emulator:
        agent = emulator.user(AGENT_ID, "Sara")
        bot = make_bot(emulator)
        try:
            update_id = emulator.send_text(agent, "سلام")
            user_message = emulator.update(update_id)["message"]["message_id"]
            answer = await bot.send_message(AGENT_ID, "choose", reply_markup=keyboard("ok"))
            pressed = emulator.press_button(agent, answer.message_id, "ok")
            query_id = emulator.update(pressed)["callback_query"]["id"]
        finally:
            await bot.session.close()
    return update_id, user_message, answer.message_id, query_id


async def test_ids_continue_across_emulators_on_one_state_file(tmp_path: Path) -> None:
    state = tmp_path / "console" / "telegram.json"

    first = await one_session(state)
    second = await one_session(state)

    assert first[:3] == (1, 1, 2)
    assert second[:3] == (3, 3, 4)  # two updates and two messages per session
    assert int(second[3]) == int(first[3]) + 1
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert saved["next_update_id"] == 5
    assert saved["next_message_id"] == {str(AGENT_ID): 5}
    assert [p.name for p in state.parent.iterdir()] == ["telegram.json"]  # no temporary file left


async def test_without_a_state_file_every_emulator_starts_at_one() -> None:
    assert (await one_session(None))[:3] == (await one_session(None))[:3] == (1, 1, 2)


async def test_an_unreadable_state_file_is_refused_rather_than_restarting_the_ids(tmp_path: Path) -> None:
    state = tmp_path / "telegram.json"
    state.write_text("{not json", encoding="utf-8")

    with pytest.raises(StateFileError, match="unreadable"):
        TelegramEmulator(state_path=state)
