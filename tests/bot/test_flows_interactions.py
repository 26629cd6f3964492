"""Logging an interaction from the rep card, end to end through the emulator: DB state and API calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, delete, func, select

from bot.callbacks import Cancel, Choice, RepAction
from bot.texts.en import EN
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser, StoredMessage
from crm.db import UnitOfWork
from crm.models import AuditLog, Interaction, Representative
from crm.schemas.people import RepresentativeDTO
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep

STALE = FA["error.stale"]


async def open_card(harness: BotHarness, user: EmulatedUser, rep: RepresentativeDTO) -> StoredMessage:
    """/find the rep by code and return the card message (pressing the hit if /find listed several)."""
    await harness.text(user, f"/find {rep.code}")
    message = harness.last(user)
    card = RepAction(action="card", rep_id=rep.id).pack()
    if card in message.callback_data:
        await harness.press(user, message, card)
        message = harness.last(user)
    assert RepAction(action="log", rep_id=rep.id).pack() in message.callback_data
    return message


async def _agent_and_rep(harness: BotHarness, db: UnitOfWork) -> tuple[EmulatedUser, int, RepresentativeDTO]:
    async with db:
        agent = await make_agent(db, name="سارا")
        rep = await make_rep(db, name="رضا کریمی")
    return harness.emulator.user(agent.telegram_user_id, "Sara"), agent.id, rep


async def _interactions(db: UnitOfWork) -> list[Row[Any]]:
    """Plain rows (not ORM objects, which the closed session would expire)."""
    async with db:
        return list(await db.session.execute(select(Interaction.__table__).order_by(Interaction.id)))


def choice(field: str, value: str) -> str:
    return Choice(field=field, value=value).pack()


async def test_log_interaction_happy_path(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id, rep = await _agent_and_rep(harness, db)
    card = await open_card(harness, user, rep)

    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    prompt = harness.last(user)
    assert prompt.text == "کانال تماس با رضا کریمی؟"
    assert choice("channel", "voice_note") not in prompt.callback_data  # logged by the voice pipeline
    assert Cancel().pack() in prompt.callback_data

    calls = await harness.press(user, prompt, choice("channel", "call"))
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    prompt = harness.last(user)
    assert prompt.text == "نتیجهٔ تماس؟"
    await harness.press(user, prompt, choice("outcome", "promised_payment"))
    assert harness.last(user).text == FA["interaction.ask_note"]

    update_id = harness.emulator.send_text(user, "قول داد تا فردا  پرداخت کند")
    calls = await harness.deliver(update_id)
    note_message_id = harness.emulator.update(update_id)["message"]["message_id"]
    assert sent_texts(calls) == ["✅ تماس ثبت شد (📞 تماس تلفنی، قول پرداخت)."]
    retired = [c for c in calls if c.method == "editMessageReplyMarkup"]
    assert [c.params["message_id"] for c in retired] == [prompt.message_id]
    stored = harness.emulator.message(user.id, prompt.message_id)
    assert stored is not None
    assert stored.inline_keyboard == []

    [row] = await _interactions(db)
    assert (row.representative_id, row.agent_id, row.channel, row.direction, row.outcome) == (
        rep.id,
        agent_id,
        "call",
        "outbound",
        "promised_payment",
    )
    assert row.summary == "قول داد تا فردا پرداخت کند"
    assert (row.source, row.idempotency_key) == ("bot", f"{user.id}:{note_message_id}")
    assert abs(dt.datetime.now(dt.UTC) - row.occurred_at) < dt.timedelta(minutes=1)
    async with db:
        actions = list(
            await db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "interaction"))
        )
    assert actions == ["interaction.log"]

    # The same final update delivered again changes nothing.
    assert sent_texts(await harness.redeliver(update_id)) == []
    assert len(await _interactions(db)) == 1


async def test_log_with_skips_edits_the_prompt_into_the_confirmation(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, _, rep = await _agent_and_rep(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("channel", "telegram"))
    await harness.press(user, prompt, choice("outcome", "-"))
    calls = await harness.press(user, prompt, choice("note", "-"))
    assert sent_texts(calls) == ["✅ تماس ثبت شد (💬 تلگرام، بدون نتیجه)."]
    assert harness.last(user).message_id == prompt.message_id
    # The flow's buttons are gone; what is left is the next step, back to the card.
    assert harness.last(user).callback_data == [RepAction(action="card", rep_id=rep.id).pack()]
    [row] = await _interactions(db)
    assert (row.channel, row.outcome, row.summary) == ("telegram", None, None)
    assert row.idempotency_key == f"{user.id}:{prompt.message_id}"


async def test_cancel_mid_flow_writes_nothing(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _agent_and_rep(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("channel", "call"))
    calls = await harness.press(user, prompt, Cancel().pack())
    assert sent_texts(calls) == [FA["cancelled"]]
    # The old client still shows the outcome buttons: pressing one now is stale and has no effect.
    calls = await harness.press(user, prompt, choice("outcome", "reached"), check=False)
    assert alerts(calls) == [STALE]
    assert sent_texts(await harness.text(user, "یادداشت بعد از انصراف")) == [FA["error.unknown_command"]]
    assert await _interactions(db) == []


async def test_stale_step_buttons_are_refused(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _agent_and_rep(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    first = harness.last(user)
    # A button of another step (outcome while the channel is asked) …
    assert alerts(await harness.press(user, first, choice("outcome", "reached"), check=False)) == [STALE]
    # … a value the step never offered …
    assert alerts(await harness.press(user, first, choice("channel", "fax"), check=False)) == [STALE]
    # … and the right step's button on an older prompt, after the flow was started again.
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    second = harness.last(user)
    assert second.message_id != first.message_id
    assert alerts(await harness.press(user, first, choice("channel", "call"))) == [STALE]
    assert first.text == "کانال تماس با رضا کریمی؟"
    # The live prompt still works.
    await harness.press(user, second, choice("channel", "email"))
    assert harness.last(user).text == "نتیجهٔ تماس؟"
    assert await _interactions(db) == []


async def test_log_for_a_deleted_representative_is_stale(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _agent_and_rep(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("channel", "call"))
    await harness.press(user, prompt, choice("outcome", "reached"))
    async with db:
        await db.session.execute(delete(Representative).where(Representative.id == rep.id))
        await db.commit()
    assert sent_texts(await harness.text(user, "یادداشت")) == [STALE]
    # The flow ended: the next text is not taken as a note.
    assert sent_texts(await harness.text(user, "یادداشت")) == [FA["error.unknown_command"]]
    async with db:
        assert await db.session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_catalogs_have_the_same_keys() -> None:
    assert set(FA) == set(EN)


async def test_log_interaction_in_english(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _agent_and_rep(harness, db)
    await harness.text(user, "/lang")
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    prompt = harness.last(user)
    assert prompt.text == "How did you contact رضا کریمی?"
    await harness.press(user, prompt, choice("channel", "in_person"))
    await harness.press(user, prompt, choice("outcome", "complaint"))
    calls = await harness.text(user, "Unhappy about the Hiddify panel")
    assert sent_texts(calls) == ["✅ Interaction logged (🤝 In person, complaint)."]
    [row] = await _interactions(db)
    assert (row.channel, row.outcome, row.summary) == (
        "in_person",
        "complaint",
        "Unhappy about the Hiddify panel",
    )
