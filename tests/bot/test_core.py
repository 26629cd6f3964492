"""Roles, dedupe, refusals, forged callbacks and Telegram faults, end to end through the emulator."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.callbacks import RepAction
from crm.db import UnitOfWork
from crm.enums import AgentRole
from crm.models import AuditLog, Interaction, UpdateInbox
from crm.schemas.types import Actor
from crm.services import agents
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep


async def test_agent_start_is_role_aware(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db, name="سارا", role=AgentRole.SUPERVISOR)
    user = harness.emulator.user(agent.telegram_user_id, "Sara")
    texts = sent_texts(await harness.text(user, "/start"))
    assert "سارا" in texts[0]
    assert "/agents" in texts[0]


async def test_stranger_is_refused_politely_and_audited(harness: BotHarness, db: UnitOfWork) -> None:
    stranger = harness.emulator.user(555_001, "Who")
    texts = sent_texts(await harness.text(stranger, "/find علی"))
    assert "مخصوص تیم" in texts[0]
    async with db:
        refusals = await db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "access.refused", AuditLog.actor_id == 555_001)
        )
    assert refusals == 1


async def test_representative_cannot_use_find(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        await make_rep(db, name="رضا کریمی", telegram_user_id=555_002)
    rep_user = harness.emulator.user(555_002, "Reza")
    texts = sent_texts(await harness.text(rep_user, "/find کریمی"))
    assert texts == ["این دستور را نمی‌شناسم. برای دیدن راهنما /help را بفرستید."]


async def test_find_shows_card_with_buttons(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="علي رضائي", code="REP-7001")
        await make_rep(db, name="مریم احمدی")
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    texts = sent_texts(await harness.text(user, "/find رضایی"))
    assert "علی رضائی" in texts[-1]
    assert "REP-7001" in texts[-1]
    card = harness.last(user)
    assert RepAction(action="log", rep_id=rep.id).pack() in card.callback_data


async def test_duplicate_update_has_no_second_effect(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        await make_rep(db, name="رضا کریمی", telegram_user_id=555_003)
    rep_user = harness.emulator.user(555_003, "Reza")
    update_id = harness.emulator.send_text(rep_user, "سلام، باز هم قطعی داریم")
    first = await harness.deliver(update_id)
    second = await harness.redeliver(update_id)
    assert len(sent_texts(first)) == 1
    assert sent_texts(second) == []
    async with db:
        assert await db.session.scalar(select(func.count()).select_from(Interaction)) == 1
        assert (
            await db.session.scalar(
                select(func.count())
                .select_from(UpdateInbox)
                .where(UpdateInbox.update_id == update_id, UpdateInbox.status == "handled")
            )
            == 1
        )


async def test_forged_callback_gets_alert_and_no_effect(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/start")
    calls = await harness.press(user, harness.last(user), "r:card:999999:0", check=False)
    assert alerts(calls) == ["این دکمه دیگر معتبر نیست؛ اطلاعات تغییر کرده است."]
    calls = await harness.press(user, harness.last(user), "garbage::data", check=False)
    assert alerts(calls)


async def test_representative_pressing_agent_button_is_refused(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        rep = await make_rep(db, telegram_user_id=555_004)
    rep_user = harness.emulator.user(555_004, "Rep")
    await harness.text(rep_user, "/start")
    calls = await harness.press(
        rep_user, harness.last(rep_user), RepAction(action="card", rep_id=rep.id).pack(), check=False
    )
    assert alerts(calls) == ["شما اجازهٔ این کار را ندارید."]


async def test_deactivated_agent_is_treated_as_stranger(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        await agents.set_active(db, agent.id, False, Actor.cli())
    user = harness.emulator.user(agent.telegram_user_id, "Gone")
    assert "مخصوص تیم" in sent_texts(await harness.text(user, "/find x"))[0]


async def test_429_on_reply_is_retried(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db, name="نگار")
    user = harness.emulator.user(agent.telegram_user_id, "Negar")
    harness.emulator.inject_fault("sendMessage", kind="429", retry_after=1, times=1)
    calls = await harness.text(user, "/start")
    sends = [c for c in calls if c.method == "sendMessage"]
    assert [c.response_status for c in sends] == [429, 200]
    assert "نگار" in harness.last(user).text


async def test_english_locale(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db, name="Sam")
    user = harness.emulator.user(agent.telegram_user_id, "Sam")
    assert sent_texts(await harness.text(user, "/lang")) == ["Language set to English."]
    assert "Here is what Chronos does for you" in sent_texts(await harness.text(user, "/start"))[0]


async def test_admin_sees_ai_status(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        admin = await make_agent(db, role=AgentRole.ADMIN)
        agent = await make_agent(db)
    texts = sent_texts(
        await harness.text(harness.emulator.user(admin.telegram_user_id, "Admin"), "/aistatus")
    )
    # In the admin's language: it said «engine: offline» and «breaker» in the Persian UI.
    assert "موتور: آفلاین" in texts[0]
    assert "قطع‌کن مدار: بسته" in texts[0]
    assert "offline" not in texts[0]
    plain = sent_texts(
        await harness.text(harness.emulator.user(agent.telegram_user_id, "Agent"), "/aistatus")
    )
    assert plain == ["این دستور را نمی‌شناسم. برای دیدن راهنما /help را بفرستید."]
