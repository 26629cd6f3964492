"""What users get wrong, and what goes wrong under them: unknown commands, wrong or oversized input,
buttons for deleted records or the wrong role, losing access mid-flow, the database failing during an
update, and Telegram rate-limiting an edit. Each test checks the reply and that nothing was half-written."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from sqlalchemy import Row, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.callbacks import AgentAdmin, Choice, RepAction, TicketAction
from bot.routers.interactions import MAX_NOTE_CHARS
from bot.routers.tickets import MAX_DESCRIPTION_CHARS, MAX_SUBJECT_CHARS
from bot.texts import Texts
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser, StoredMessage
from crm.db import UnitOfWork
from crm.enums import AgentRole, TicketCategory, TicketPriority
from crm.models import AuditLog, Interaction, Ticket, TicketEvent, UpdateInbox
from crm.schemas.activity import TicketDTO, TicketOpen
from crm.schemas.people import RepresentativeDTO
from crm.schemas.types import Actor
from crm.services import agents, tickets
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.bot.test_flows_interactions import open_card
from tests.factories import make_agent, make_rep

FA_TEXTS = Texts("fa")
_new_ids = itertools.count(7_330_001)


def choice(field: str, value: str) -> str:
    return Choice(field=field, value=value).pack()


async def _setup(harness: BotHarness, db: UnitOfWork) -> tuple[EmulatedUser, int, RepresentativeDTO]:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="سمیرا رحیمی")
    return harness.emulator.user(agent.telegram_user_id, "Agent"), agent.id, rep


async def _to_description_step(
    harness: BotHarness, user: EmulatedUser, rep: RepresentativeDTO
) -> StoredMessage:
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tnew", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("category", "connectivity"))
    await harness.press(user, prompt, choice("priority", "normal"))
    return prompt


async def _ticket_view(
    harness: BotHarness, db: UnitOfWork, user: EmulatedUser, rep: RepresentativeDTO, agent_id: int
) -> tuple[TicketDTO, StoredMessage]:
    async with db:
        ticket = await tickets.open_ticket(
            db,
            TicketOpen(
                representative_id=rep.id,
                category=TicketCategory.BILLING,
                priority=TicketPriority.NORMAL,
                subject="فاکتور دوبار صادر شده",
            ),
            Actor.agent(agent_id),
        )
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tlist", rep_id=rep.id).pack())
    await harness.press(user, harness.last(user), TicketAction(action="view", ticket_id=ticket.id).pack())
    return ticket, harness.last(user)


async def _count(db: UnitOfWork, model: Any, *where: Any) -> int:
    async with db:
        return int(await db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _tickets(db: UnitOfWork) -> list[Row[Any]]:
    async with db:
        return list(await db.session.execute(select(Ticket.__table__)))


# Wrong input


async def test_unknown_command(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, _ = await _setup(harness, db)
    assert sent_texts(await harness.text(user, "/frobnicate now")) == [FA["error.unknown_command"]]


async def test_text_where_a_number_is_expected_keeps_the_step(harness: BotHarness, db: UnitOfWork) -> None:
    async with db:
        admin = await make_agent(db, role=AgentRole.ADMIN)
    user = harness.emulator.user(admin.telegram_user_id, "Admin")
    await harness.text(user, "/agents")
    await harness.press(user, harness.last(user), AgentAdmin(action="add").pack())
    for wrong in ("نیما", "-5", "12.5", "0", "۱۲ ۳۴", "1" * 16, "/7"):
        assert sent_texts(await harness.text(user, wrong)) == [FA["error.expected_number"]], wrong
    assert sent_texts(await harness.text(user, str(next(_new_ids)))) == [FA["agents.ask_name"]]
    assert await _count(db, AuditLog, AuditLog.action == "agent.create") == 1  # the admin's own row only


async def test_oversized_ticket_description_is_refused_and_the_step_kept(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, _, rep = await _setup(harness, db)
    await _to_description_step(harness, user, rep)
    assert MAX_DESCRIPTION_CHARS < 4000
    oversized = "قطعی\n" + "ک" * 3995
    expected = FA_TEXTS.t("error.too_long", limit=MAX_DESCRIPTION_CHARS)
    assert expected == "پیام خیلی طولانی است (حداکثر ۳٬۰۰۰ نویسه)."
    assert sent_texts(await harness.text(user, oversized)) == [expected]
    assert await _tickets(db) == []
    # A first line longer than a subject may be: cut with an ellipsis, and the whole text kept.
    long_first_line = "ا" * (MAX_SUBJECT_CHARS + 50) + "\nادامه"
    await harness.text(user, long_first_line)
    [row] = await _tickets(db)
    assert len(row.subject) == MAX_SUBJECT_CHARS
    assert row.subject.endswith("…")
    assert row.description == long_first_line


async def test_non_text_in_a_text_step_is_refused(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _setup(harness, db)
    await _to_description_step(harness, user, rep)
    update_id = harness.emulator.send_document(user, b"%PDF-1.4", "screenshot.pdf", "application/pdf")
    assert sent_texts(await harness.deliver(update_id)) == [FA["error.expected_text"]]
    assert sent_texts(await harness.text(user, "\u200c\u200c")) == [FA["error.expected_text"]]  # only ZWNJs
    assert await _tickets(db) == []
    await harness.text(user, "اتصال قطع است")
    assert len(await _tickets(db)) == 1


async def test_oversized_interaction_note(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _setup(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="log", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("channel", "call"))
    await harness.press(user, prompt, choice("outcome", "reached"))
    replies = sent_texts(await harness.text(user, "ن" * (MAX_NOTE_CHARS + 1)))
    assert replies == [FA_TEXTS.t("error.too_long", limit=MAX_NOTE_CHARS)]
    assert await _count(db, Interaction) == 0
    await harness.press(user, prompt, choice("note", "-"))  # still in the step: skipping works
    assert await _count(db, Interaction) == 1


# Buttons that no longer (or never did) apply


async def test_buttons_of_a_deleted_ticket_are_stale(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id, rep = await _setup(harness, db)
    ticket, view = await _ticket_view(harness, db, user, rep, agent_id)
    async with db:
        await db.session.execute(delete(Ticket).where(Ticket.id == ticket.id))
        await db.commit()
    audit_before = await _count(db, AuditLog)

    for data in (
        TicketAction(action="move", ticket_id=ticket.id, status="in_progress").pack(),
        TicketAction(action="comment", ticket_id=ticket.id).pack(),
        TicketAction(action="resolve", ticket_id=ticket.id).pack(),
    ):
        calls = await harness.press(user, view, data)
        assert alerts(calls) == [FA["error.stale"]], data
        assert [c.method for c in calls] == ["answerCallbackQuery"]
    # No comment or resolution step was opened.
    assert sent_texts(await harness.text(user, "یادداشت")) == [FA["error.unknown_command"]]
    assert await _count(db, TicketEvent, TicketEvent.ticket_id == ticket.id) == 0
    assert await _count(db, AuditLog) == audit_before


async def test_representative_pressing_agent_buttons_is_refused(harness: BotHarness, db: UnitOfWork) -> None:
    rep_telegram_id = next(_new_ids)
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, telegram_user_id=rep_telegram_id)
        ticket = await tickets.open_ticket(
            db,
            TicketOpen(representative_id=rep.id, category=TicketCategory.PANEL, subject="پنل"),
            Actor.agent(agent.id),
        )
    rep_user = harness.emulator.user(rep_telegram_id, "Rep")
    await harness.text(rep_user, "/start")
    message = harness.last(rep_user)
    forged = [
        RepAction(action="log", rep_id=rep.id).pack(),
        RepAction(action="link", rep_id=rep.id).pack(),
        TicketAction(action="move", ticket_id=ticket.id, status="in_progress").pack(),
        TicketAction(action="view", ticket_id=ticket.id).pack(),
        choice("channel", "call"),
        AgentAdmin(action="off", agent_id=agent.id).pack(),
    ]
    for data in forged:
        assert alerts(await harness.press(rep_user, message, data, check=False)) == [FA["error.forbidden"]], (
            data
        )
    refusals = await _count(
        db, AuditLog, AuditLog.action == "access.refused", AuditLog.actor_id == rep_telegram_id
    )
    assert refusals == len(forged)
    assert await _count(db, TicketEvent, TicketEvent.kind != "created") == 0
    async with db:
        assert (await agents.get(db, agent.id)).active


async def test_agent_deactivated_mid_flow_is_refused_and_the_flow_cleared(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, agent_id, rep = await _setup(harness, db)
    prompt = await _to_description_step(harness, user, rep)
    async with db:
        await agents.set_active(db, agent_id, False, Actor.cli())

    assert sent_texts(await harness.text(user, "قطعی روی همراه اول")) == [FA["stranger"]]
    assert alerts(await harness.press(user, prompt, choice("priority", "high"), check=False)) == [
        FA["error.forbidden"]
    ]
    assert await _tickets(db) == []
    assert await _count(db, AuditLog, AuditLog.action == "access.refused", AuditLog.actor_id == user.id) == 2

    async with db:
        await agents.set_active(db, agent_id, True, Actor.cli())
    # Back in, the old flow is gone: the same text is no longer a ticket description.
    assert sent_texts(await harness.text(user, "قطعی روی همراه اول")) == [FA["error.unknown_command"]]
    assert await _tickets(db) == []


# Failures underneath


async def test_idle_connections_killed_before_an_update_are_replaced(
    harness: BotHarness, db: UnitOfWork, database_url: str
) -> None:
    """The pool's connections die (a database restart, a proxy timeout): pool_pre_ping reconnects."""
    user, _, rep = await _setup(harness, db)
    await _to_description_step(harness, user, rep)
    killer = create_async_engine(database_url, poolclass=NullPool)  # outside the bot's pool
    try:
        async with killer.connect() as conn:
            killed = (
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            ).all()
    finally:
        await killer.dispose()
    assert killed, "the bot's pooled connections should have been there to kill"

    calls = await harness.text(user, "قطعی بعد از ری‌استارت دیتابیس")
    [row] = await _tickets(db)
    assert row.subject == "قطعی بعد از ری‌استارت دیتابیس"
    assert sent_texts(calls)[0].startswith("🎫")


async def _lock_waiter(watcher: AsyncConnection, within_s: float = 5.0) -> tuple[int, str]:
    """The backend blocked on a lock in this database (the bot's, stuck behind the test's lock)."""
    async with asyncio.timeout(within_s):
        while True:
            row = (
                await watcher.execute(
                    text(
                        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                )
            ).first()
            await watcher.commit()  # pg_stat_activity is a per-transaction snapshot
            if row is not None:
                return int(row.pid), str(row.query)
            await asyncio.sleep(0.02)


async def test_connection_lost_mid_update_writes_nothing_and_the_step_survives(
    harness: BotHarness, db: UnitOfWork, engine: AsyncEngine
) -> None:
    """The bot's connection dies after the ticket row is inserted and before its event is: the reply
    says the database is unavailable (with an error id), and the transaction is gone entirely."""
    user, _, rep = await _setup(harness, db)
    prompt = await _to_description_step(harness, user, rep)
    before = len(harness.emulator.calls())
    async with engine.connect() as locker, engine.connect() as watcher:
        await locker.execute(text("LOCK TABLE ticket_event IN ACCESS EXCLUSIVE MODE"))
        update_id = harness.emulator.send_text(user, "قطعی حین خرابی دیتابیس")
        pid, query = await _lock_waiter(watcher)
        assert query.startswith("INSERT INTO ticket_event")  # the ticket row is already inserted
        await watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await watcher.commit()
        await harness.tracker.wait(update_id, 10)
        await locker.rollback()
    calls = [c for c in harness.emulator.calls()[before:] if c.method != "getUpdates"]

    [reply] = sent_texts(calls)
    assert reply.startswith("پایگاه داده موقتاً در دسترس نیست؛ چیزی ثبت نشد.")
    assert "<code>" in reply  # the error id
    assert await _tickets(db) == []
    assert await _count(db, TicketEvent) == 0
    assert await _count(db, AuditLog, AuditLog.entity == "ticket") == 0
    # The update is recorded as failed, with the error, and not as handled.
    assert (
        await _count(db, UpdateInbox, UpdateInbox.update_id == update_id, UpdateInbox.status == "failed") == 1
    )

    # The step survived (its prompt still has the cancel button): sending again works.
    assert prompt.callback_data
    await harness.text(user, "قطعی حین خرابی دیتابیس")
    [row] = await _tickets(db)
    assert row.subject == "قطعی حین خرابی دیتابیس"
    assert await _count(db, TicketEvent) == 1


async def test_429_on_an_edit_is_retried_and_applied_once(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id, rep = await _setup(harness, db)
    ticket, view = await _ticket_view(harness, db, user, rep, agent_id)
    harness.emulator.inject_fault("editMessageText", kind="429", retry_after=1, times=1)
    calls = await harness.press(
        user, view, TicketAction(action="move", ticket_id=ticket.id, status="waiting_rep").pack()
    )
    edits = [c for c in calls if c.method == "editMessageText"]
    assert [c.response_status for c in edits] == [429, 200]
    assert "منتظر نماینده" in (harness.last(user).text or "")
    assert await _count(db, TicketEvent, TicketEvent.kind == "status_change") == 1
