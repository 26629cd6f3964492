"""No dead ends: every final message offers the next sensible step, and a failed /find takes another
spelling as plain text; /find takes short codes and a phone's last digits."""

from __future__ import annotations

from bot.callbacks import RepAction, TicketAction
from bot.texts.fa import FA
from crm.db import UnitOfWork
from crm.enums import TicketCategory
from crm.schemas.activity import TicketOpen
from crm.schemas.types import Actor
from crm.services import tickets
from tests.bot.harness import BotHarness, sent_texts
from tests.factories import make_agent, make_rep


async def test_a_failed_find_takes_the_next_spelling_and_short_codes_work(
    harness: BotHarness, db: UnitOfWork
) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="سمیرا کاظمی", code="REP-0043", phone="+989123456789")
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    [none] = sent_texts(await harness.text(user, "/find کاظمیییییی زززز"))
    assert none == FA["find.none"].format(query="کاظمیییییی زززز")
    card = RepAction(action="log", rep_id=rep.id).pack()
    await harness.text(user, "۴۳")  # plain text: taken as the next try, not an unknown command
    assert card in harness.last(user).callback_data
    for query in ("/find 43", "/find REP43", "/find ۶۷۸۹"):
        await harness.text(user, query)
        assert card in harness.last(user).callback_data, query
    # After a card, plain text is not a search any more.
    assert sent_texts(await harness.text(user, "سلام")) == [FA["error.unknown_command"]]


async def test_a_ticket_note_offers_the_ticket_and_the_card(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db)
        ticket = await tickets.open_ticket(
            db,
            TicketOpen(representative_id=rep.id, category=TicketCategory.PANEL, subject="ورود به پنل"),
            Actor.agent(agent.id),
        )
    user = harness.emulator.user(agent.telegram_user_id, "Agent")
    await harness.text(user, f"/find {rep.code}")
    view = TicketAction(action="comment", ticket_id=ticket.id).pack()
    await harness.press(user, harness.last(user), RepAction(action="tlist", rep_id=rep.id).pack())
    await harness.press(user, harness.last(user), TicketAction(action="view", ticket_id=ticket.id).pack())
    await harness.press(user, harness.last(user), view)
    await harness.text(user, "با نماینده تماس گرفتم، رمز را ریست کرد")
    done = harness.last(user)
    assert done.text == FA["ticket.commented"]
    assert RepAction(action="card", rep_id=rep.id).pack() in done.callback_data
    assert view in done.callback_data  # another note, or a status change, from here
