"""The «Emotional arc» button end to end through the Bot API emulator: photo, caption, audit, refusals."""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

from sqlalchemy import select

from bot.callbacks import RepAction
from bot.texts.en import EN
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser, StoredMessage
from crm.db import UnitOfWork
from crm.enums import Locale
from crm.models import AuditLog, Interaction
from crm.schemas.people import RepresentativeDTO, RepresentativeUpdate
from crm.schemas.types import Actor
from crm.services import agents, representatives
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.crm.test_arc_service import build_history
from tests.factories import make_agent, make_rep

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def _card(harness: BotHarness, user: EmulatedUser, rep: RepresentativeDTO) -> StoredMessage:
    await harness.text(user, f"/find {rep.code}")
    card = harness.last(user)
    assert RepAction(action="arc", rep_id=rep.id).pack() in card.callback_data
    return card


async def _setup(
    harness: BotHarness, db: UnitOfWork, *, history: bool = True, locale: str = "fa"
) -> tuple[EmulatedUser, int, RepresentativeDTO]:
    async with db:
        agent = await make_agent(db, name="سارا")
        rep = await make_rep(db, name="رضا کریمی")
        if history:
            await build_history(db, rep.id, agent.id, start=dt.datetime.now(dt.UTC) - dt.timedelta(days=80))
    return harness.emulator.user(agent.telegram_user_id, "Sara", language_code=locale), agent.id, rep


async def _audits(db: UnitOfWork, action: str) -> list[Any]:
    async with db:
        return list(await db.session.execute(select(AuditLog.__table__).where(AuditLog.action == action)))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def test_card_arc_button_sends_the_chart_with_summary_and_evidence(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, agent_id, rep = await _setup(harness, db)
    card = await _card(harness, user, rep)

    calls = await harness.press(user, card, RepAction(action="arc", rep_id=rep.id).pack())

    methods = [c.method for c in calls]
    assert methods == ["answerCallbackQuery", "sendChatAction", "sendPhoto"]
    [photo_call] = [c for c in calls if c.method == "sendPhoto"]
    assert photo_call.ok
    assert photo_call.params["photo"]["filename"] == f"arc-{rep.code}.png"
    assert photo_call.params["photo"]["size"] > 20_000
    message = harness.last(user)
    file_id = message.raw["photo"][-1]["file_id"]
    png = harness.emulator.file_bytes(file_id)
    assert _png_size(png) == (1000, 680)
    caption = message.text
    assert caption is not None
    lines = caption.split("\n")
    assert lines[0] == f"📈 قوس احساسی رضا کریمی — {rep.code}"
    assert lines[1].startswith("حال فعلی: ")
    assert lines[2].startswith("روند ۹۰ روز اخیر: ")
    assert lines[3].startswith("محرک اصلی افت‌ها: ")
    assert lines[4].startswith("🔎 شواهد — حال فعلی: /i_")
    assert "محرک: " in lines[4]
    assert "افت‌ها: /i_" in lines[4]
    async with db:
        last_ids = list(
            await db.session.scalars(
                select(Interaction.id)
                .where(Interaction.representative_id == rep.id)
                .order_by(Interaction.occurred_at.desc())
                .limit(3)
            )
        )
    assert f"/i_{last_ids[0]}" in lines[4]
    # Each reference is a command that opens the record it names.
    await harness.text(user, f"/i_{last_ids[0]}")
    assert "دستتون درد نکنه" in (harness.last(user).text or "") or "ممنون" in (harness.last(user).text or "")
    assert RepAction(action="card", rep_id=rep.id).pack() in message.callback_data
    [audit] = await _audits(db, "profiling.view_arc")
    assert (audit.actor_type, audit.actor_id, audit.entity_id) == ("agent", agent_id, str(rep.id))
    assert audit.after["computed"] is True


async def test_english_agent_gets_an_english_caption(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        await agents.set_locale(db, agent.id, Locale.EN, Actor.cli())
        rep = await make_rep(db, name="رضا کریمی")
        await build_history(db, rep.id, agent.id, start=dt.datetime.now(dt.UTC) - dt.timedelta(days=80))
    user = harness.emulator.user(agent.telegram_user_id, "Sara", language_code="en")
    card = await _card(harness, user, rep)

    calls = await harness.press(user, card, RepAction(action="arc", rep_id=rep.id).pack())

    assert "sendPhoto" in [c.method for c in calls]
    caption = harness.last(user).text or ""
    assert caption.split("\n")[1].startswith("Now: ")
    assert "Evidence — now: /i_" in caption


async def test_opted_out_representative_gets_a_notice_and_no_picture(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, agent_id, rep = await _setup(harness, db)
    async with db:
        await representatives.update(db, rep.id, RepresentativeUpdate(profiling_opt_out=True), Actor.cli())
    card = await _card(harness, user, rep)
    assert FA["card.profiling_opt_out"] in (card.text or "")  # the card says so too

    calls = await harness.press(user, card, RepAction(action="arc", rep_id=rep.id).pack())

    assert "sendPhoto" not in [c.method for c in calls]
    assert sent_texts(calls) == [FA["arc.opted_out"].format(name="رضا کریمی")]
    [audit] = await _audits(db, "profiling.view_arc")
    assert (audit.actor_id, audit.after["computed"], audit.after["opted_out"]) == (agent_id, False, True)


async def test_no_scored_messages_is_said_in_words(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _setup(harness, db, history=False)
    card = await _card(harness, user, rep)

    calls = await harness.press(user, card, RepAction(action="arc", rep_id=rep.id).pack())

    assert "sendPhoto" not in [c.method for c in calls]
    assert sent_texts(calls) == [FA["arc.empty"].format(name="رضا کریمی", days="۳۶۵")]


async def test_a_representative_cannot_reach_the_arc(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="رضا کریمی", telegram_user_id=777_001)
        await build_history(db, rep.id, agent.id, start=dt.datetime.now(dt.UTC) - dt.timedelta(days=80))
    rep_user = harness.emulator.user(777_001, "Reza")
    await harness.text(rep_user, "/start")
    greeting = harness.last(rep_user)

    calls = await harness.press(
        rep_user, greeting, RepAction(action="arc", rep_id=rep.id).pack(), check=False
    )

    assert "sendPhoto" not in [c.method for c in calls]
    assert alerts(calls) == [FA["error.forbidden"]]
    assert await _audits(db, "profiling.view_arc") == []
    [refused] = await _audits(db, "access.refused")
    assert refused.after == {"what": f"callback:{RepAction(action='arc', rep_id=rep.id).pack()}"}


async def test_a_representatives_reply_is_stored_with_its_sentiment(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        rep = await make_rep(db, telegram_user_id=777_002)
    rep_user = harness.emulator.user(777_002, "Reza")

    await harness.text(rep_user, "سه روزه کانفیگ‌ها روی ایرانسل قطعه، واقعا خسته شدم")

    async with db:
        row = (
            await db.session.execute(
                select(Interaction.__table__).where(Interaction.representative_id == rep.id)
            )
        ).one()
    assert (row.direction, row.sentiment_label, row.sentiment_engine) == (
        "inbound",
        "negative",
        "offline-lexicon-v1",
    )
    assert row.emotions["frustration"] > 0.5
    assert "outage_report" in row.signals
    assert EN["arc.opted_out"]  # the English catalog carries the arc keys as well
