"""What a representative's message does: it reaches the agent whole, however long, and the
representative is told the truth about whether it did."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.render import split_message
from bot.texts import Texts
from bot.texts.fa import FA
from crm.db import UnitOfWork
from crm.models import Interaction, Representative
from tests.bot.harness import BotHarness
from tests.factories import make_agent, make_rep

LONG_NAME = "شرکت خدمات ارتباطی و فناوری اطلاعات پارس‌نت گستر شرق با مسئولیت محدود شعبه مرکزی مشهد مقدس"


def _to(calls: list, chat_id: int) -> list[str]:  # type: ignore[type-arg]
    return [
        str(c.params["text"]) for c in calls if c.method == "sendMessage" and c.params["chat_id"] == chat_id
    ]


async def test_a_long_reply_reaches_the_agent_whole_in_parts(harness: BotHarness, db: UnitOfWork) -> None:
    """4000 characters plus the header with a long name went over 4096: the forward failed silently
    and the representative was told it had reached their agent."""
    async with db:
        agent = await make_agent(db)
        await make_rep(db, name=LONG_NAME, telegram_user_id=7_610_001, assigned_agent_id=agent.id)
    agent_user = harness.emulator.user(agent.telegram_user_id, "Agent")
    rep_user = harness.emulator.user(7_610_001, "Rep")
    words = [f"کلمه{n}" for n in range(700)]
    text = " ".join(words)[:4000]
    calls = await harness.text(rep_user, text)
    parts = _to(calls, agent_user.id)
    assert len(parts) == 2
    assert all(len(part) <= 4096 for part in parts)
    received = " ".join(parts)
    assert LONG_NAME in received
    assert all(word in received for word in text.split()[:-1])  # every word but a possibly cut last one
    assert _to(calls, rep_user.id) == [FA["rep.reply_logged"]]
    last = harness.last(agent_user)
    assert last.callback_data  # the Reply button is on the last part


async def test_a_reply_no_agent_received_is_not_reported_as_delivered(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, telegram_user_id=7_610_002, assigned_agent_id=agent.id)
    harness.emulator.user(agent.telegram_user_id, "Agent")
    harness.emulator.block_chat(agent.telegram_user_id)
    rep_user = harness.emulator.user(7_610_002, "Rep")
    calls = await harness.text(rep_user, "سلام، فاکتور این ماه را کی می‌فرستید؟")
    assert _to(calls, rep_user.id) == [FA["rep.reply_saved_not_forwarded"]]
    async with db:  # the message itself is never lost
        kept = await db.session.scalar(
            select(func.count()).select_from(Interaction).where(Interaction.representative_id == rep.id)
        )
    assert kept == 1


def test_a_hard_split_never_cuts_an_html_entity_or_tag() -> None:
    escaped = "&lt;" * 1500  # 6000 characters with no space or line break
    parts = split_message(escaped, limit=4095)
    assert "".join(parts) == escaped
    assert all(part.endswith(";") and part.startswith("&") for part in parts)
    tagged = "x" * 4094 + "<b>bold</b>"
    assert split_message(tagged, limit=4096)[0] == "x" * 4094


async def test_a_second_stop_keeps_the_first_opt_out_time(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        rep = await make_rep(db, telegram_user_id=7_610_003)
    rep_user = harness.emulator.user(7_610_003, "Rep")
    await harness.text(rep_user, "/stop")
    first = await _opted_out_at(db, rep.id)
    await harness.text(rep_user, "/stop")
    assert first is not None
    assert await _opted_out_at(db, rep.id) == first


async def _opted_out_at(db: UnitOfWork, rep_id: int) -> object:
    async with db:
        return await db.session.scalar(
            select(Representative.nudges_opt_out_at).where(Representative.id == rep_id)
        )


def test_identifiers_are_never_grouped_quantities_are() -> None:
    """«۸٬۱۹۳#»: ids were printed with a thousands separator."""
    fa, en = Texts("fa"), Texts("en")
    assert "#۸۱۹۳" in fa.t("ticket.created", id=8193, due="—")
    assert "#8193" in en.t("ticket.created", id=8193, due="—")
    assert "۱٬۵۰۰٬۰۰۰" in fa.t("card.last_payment", amount=1_500_000, when="—")
