"""Who may change what, checked in the services and not only by which buttons are shown."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.callbacks import RepAction
from bot.texts.fa import FA
from crm.db import UnitOfWork
from crm.models import RepLinkToken, Representative
from crm.schemas.types import Actor
from crm.services import linking
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.factories import make_agent, make_rep

LINK = re.compile(r"start=link-([A-Za-z0-9_-]+)")


async def _linked_to(db: UnitOfWork, rep_id: int) -> int | None:
    async with db:
        return await db.session.scalar(
            select(Representative.telegram_user_id).where(Representative.id == rep_id)
        )


async def test_a_forged_link_button_cannot_relink_a_linked_representative(
    harness: BotHarness, db: UnitOfWork
) -> None:
    """`r:link:<id>:0` for a linked representative made a new link, and whoever opened it took the
    representative over: the old account silently became a stranger."""
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="رضا کریمی", telegram_user_id=7_980_001)
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, "/help")
    calls = await harness.press(
        user, harness.last(user), RepAction(action="link", rep_id=rep.id).pack(), check=False
    )
    assert alerts(calls) == [FA["link.rep_already_linked"].format(name="رضا کریمی")]
    assert not [t for t in sent_texts(calls) if LINK.search(t)]
    async with db:
        assert await db.session.scalar(select(func.count()).select_from(RepLinkToken)) == 0
    assert await _linked_to(db, rep.id) == 7_980_001


async def test_a_link_made_before_the_representative_was_linked_is_refused_after(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db)
        token, _ = await linking.create_token(db, rep.id, Actor.agent(agent.id))
        second, _ = await linking.create_token(db, rep.id, Actor.agent(agent.id))
    first_user = harness.emulator.user(7_980_011, "First")
    await harness.text(first_user, f"/start link-{token}")
    assert await _linked_to(db, rep.id) == 7_980_011
    intruder = harness.emulator.user(7_980_012, "Intruder")
    assert sent_texts(await harness.text(intruder, f"/start link-{second}")) == [FA["link.invalid"]]
    assert await _linked_to(db, rep.id) == 7_980_011
