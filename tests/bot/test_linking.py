"""Linking a representative's Telegram account through a one-time deep link, and their opt-out."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from sqlalchemy import select

from bot.callbacks import RepAction
from bot.texts.fa import FA
from crm.db import UnitOfWork
from crm.models import RepLinkToken, Representative
from crm.schemas.types import Actor
from crm.services import linking
from tests.bot.harness import BotHarness, sent_texts
from tests.bot.test_flows_interactions import open_card
from tests.factories import make_agent, make_rep

_new_ids = itertools.count(7_320_001)
LINK = re.compile(r"https://t\.me/chronos_test_bot\?start=link-([A-Za-z0-9_-]+)")


async def _telegram_id(db: UnitOfWork, rep_id: int) -> int | None:
    async with db:
        return await db.session.scalar(
            select(Representative.telegram_user_id).where(Representative.id == rep_id)
        )


async def test_agent_creates_link_and_new_user_redeems_it_once(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="رضا کریمی")
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    card = await open_card(harness, user, rep)
    calls = await harness.press(user, card, RepAction(action="link", rep_id=rep.id).pack())
    [text] = sent_texts(calls)
    assert "رضا کریمی" in text
    match = LINK.search(text)
    assert match is not None, text
    token = match.group(1)
    async with db:
        [stored] = (
            await db.session.execute(select(RepLinkToken.representative_id, RepLinkToken.used_at))
        ).all()
    assert tuple(stored) == (rep.id, None)

    rep_user = harness.emulator.user(next(_new_ids), "Reza")
    [done] = sent_texts(await harness.text(rep_user, f"/start link-{token}"))
    assert done == FA["link.done"].format(name="رضا کریمی")
    assert await _telegram_id(db, rep.id) == rep_user.id
    # From now on the bot knows them as the representative.
    assert sent_texts(await harness.text(rep_user, "/start")) == [
        FA["start.representative"].format(name="رضا کریمی")
    ]

    # A second use of the same link, by someone else, fails politely and changes nothing.
    someone = harness.emulator.user(next(_new_ids), "Other")
    assert sent_texts(await harness.text(someone, f"/start link-{token}")) == [FA["link.invalid"]]
    assert await _telegram_id(db, rep.id) == rep_user.id
    # Once linked, the card no longer offers a link.
    card = await open_card(harness, user, rep)
    assert RepAction(action="link", rep_id=rep.id).pack() not in card.callback_data


async def test_expired_link_fails(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        rep = await make_rep(db)
        token, expires_at = await linking.create_token(
            db, rep.id, Actor.cli(), now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
        )
    assert expires_at < dt.datetime.now(dt.UTC)
    rep_user = harness.emulator.user(next(_new_ids), "Late")
    assert sent_texts(await harness.text(rep_user, f"/start link-{token}")) == [FA["link.invalid"]]
    assert await _telegram_id(db, rep.id) is None


async def test_unknown_link_fails(harness: BotHarness, db: UnitOfWork) -> None:
    rep_user = harness.emulator.user(next(_new_ids), "Guess")
    assert sent_texts(await harness.text(rep_user, "/start link-not-a-real-token")) == [FA["link.invalid"]]


async def test_agent_account_cannot_be_linked(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db)
        token, _ = await linking.create_token(db, rep.id, Actor.agent(agent.id))
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    assert sent_texts(await harness.text(user, f"/start link-{token}")) == [FA["link.agent_account"]]
    assert await _telegram_id(db, rep.id) is None
    # The refusal did not use the link up: the representative can still redeem it.
    rep_user = harness.emulator.user(next(_new_ids), "Rep")
    assert sent_texts(await harness.text(rep_user, f"/start link-{token}"))[0].startswith("✅")


async def test_representative_stop_and_start(harness: BotHarness, db: UnitOfWork) -> None:
    rep_telegram_id = next(_new_ids)
    async with db:
        rep = await make_rep(db, telegram_user_id=rep_telegram_id)
    rep_user = harness.emulator.user(rep_telegram_id, "Rep")

    assert sent_texts(await harness.text(rep_user, "/stop")) == [FA["rep.opted_out"]]
    async with db:
        opted_out_at = await db.session.scalar(
            select(Representative.nudges_opt_out_at).where(Representative.id == rep.id)
        )
    assert opted_out_at is not None
    assert abs(dt.datetime.now(dt.UTC) - opted_out_at) < dt.timedelta(minutes=1)

    assert sent_texts(await harness.text(rep_user, "/start")) == [FA["start.opted_in"]]
    async with db:
        assert (
            await db.session.scalar(
                select(Representative.nudges_opt_out_at).where(Representative.id == rep.id)
            )
            is None
        )
