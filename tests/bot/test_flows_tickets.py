"""Tickets from the rep card, end to end: open, list, view, move, comment, resolve; stale transitions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, select

from ai.text.calendar import format_date, to_jalali
from ai.text.persian import to_persian_digits
from bot.callbacks import Cancel, Choice, RepAction, TicketAction
from bot.texts import Texts
from bot.texts.fa import FA
from chronos.emulators import EmulatedUser
from crm.db import UnitOfWork
from crm.enums import TicketCategory, TicketPriority
from crm.models import AuditLog, Ticket, TicketEvent
from crm.schemas.activity import TicketDTO, TicketOpen
from crm.schemas.people import RepresentativeDTO
from crm.schemas.types import Actor
from crm.services import tickets
from tests.bot.harness import BotHarness, alerts, sent_texts
from tests.bot.test_flows_interactions import open_card
from tests.factories import make_agent, make_rep


def choice(field: str, value: str) -> str:
    return Choice(field=field, value=value).pack()


def action(name: str, ticket_id: int, status: str = "") -> str:
    return TicketAction(action=name, ticket_id=ticket_id, status=status).pack()


async def _setup(harness: BotHarness, db: UnitOfWork) -> tuple[EmulatedUser, int, RepresentativeDTO]:
    async with db:
        agent = await make_agent(db)
        rep = await make_rep(db, name="مهدی نوری")
    return harness.emulator.user(agent.telegram_user_id, "Agent"), agent.id, rep


async def _ticket_rows(db: UnitOfWork) -> list[Row[Any]]:
    async with db:
        return list(await db.session.execute(select(Ticket.__table__).order_by(Ticket.id)))


async def _events(db: UnitOfWork, ticket_id: int) -> list[tuple[Any, ...]]:
    async with db:
        rows = await db.session.execute(
            select(TicketEvent.kind, TicketEvent.to_status, TicketEvent.body)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
        return [tuple(row) for row in rows]


async def _open_via_service(db: UnitOfWork, rep_id: int, agent_id: int) -> TicketDTO:
    async with db:
        return await tickets.open_ticket(
            db,
            TicketOpen(
                representative_id=rep_id,
                category=TicketCategory.PANEL,
                priority=TicketPriority.HIGH,
                subject="پنل مرزبان بالا نمی‌آید",
            ),
            Actor.agent(agent_id),
        )


async def test_open_ticket_happy_path(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id, rep = await _setup(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tnew", rep_id=rep.id).pack())
    prompt = harness.last(user)
    assert prompt.text == FA["ticket.ask_category"]
    await harness.press(user, prompt, choice("category", "connectivity"))
    assert harness.last(user).text == FA["ticket.ask_priority"]
    await harness.press(user, prompt, choice("priority", "urgent"))
    assert "۳٬۰۰۰" in (harness.last(user).text or "")

    calls = await harness.text(
        user, "قطعی روی ایرانسل\nاز دیروز عصر کاربران V2Ray وصل نمی‌شوند.\nکانفیگ Reality تست شد."
    )
    [row] = await _ticket_rows(db)
    assert row.subject == "قطعی روی ایرانسل"
    assert row.description == "از دیروز عصر کاربران V2Ray وصل نمی‌شوند.\nکانفیگ Reality تست شد."
    assert (row.category, row.priority, row.status) == ("connectivity", "urgent", "open")
    assert (row.representative_id, row.opened_by_agent_id) == (rep.id, agent_id)
    assert row.sla_due_at - row.opened_at == dt.timedelta(hours=4)
    assert await _events(db, row.id) == [("created", None, None)]

    [confirmation] = sent_texts(calls)
    due = format_date(row.sla_due_at, "fa", with_time=True)  # Jalali, Tehran time, Persian digits
    assert due.startswith(to_persian_digits(str(to_jalali(row.sla_due_at).day)))
    assert confirmation == Texts("fa").t("ticket.created", id=row.id, due=due)
    assert [c.params["message_id"] for c in calls if c.method == "editMessageReplyMarkup"] == [
        prompt.message_id
    ]
    # The confirmation carries the ticket's actions.
    assert action("resolve", row.id) in harness.last(user).callback_data


async def test_cancel_while_choosing_priority_writes_nothing(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _setup(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tnew", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("category", "billing"))
    assert sent_texts(await harness.press(user, prompt, Cancel().pack())) == [FA["cancelled"]]
    assert alerts(await harness.press(user, prompt, choice("priority", "low"), check=False)) == [
        FA["error.stale"]
    ]
    assert sent_texts(await harness.text(user, "شرح بعد از انصراف")) == [FA["error.unknown_command"]]
    assert await _ticket_rows(db) == []


async def test_cancel_at_description_step_writes_nothing(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _setup(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tnew", rep_id=rep.id).pack())
    prompt = harness.last(user)
    await harness.press(user, prompt, choice("category", "billing"))
    await harness.press(user, prompt, choice("priority", "low"))
    assert sent_texts(await harness.text(user, "/cancel")) == [FA["cancelled"]]
    assert sent_texts(await harness.text(user, "شرح")) == [FA["error.unknown_command"]]
    assert await _ticket_rows(db) == []


async def test_list_view_move_comment_resolve(harness: BotHarness, db: UnitOfWork) -> None:
    user, agent_id, rep = await _setup(harness, db)
    ticket = await _open_via_service(db, rep.id, agent_id)
    card = await open_card(harness, user, rep)

    await harness.press(user, card, RepAction(action="tlist", rep_id=rep.id).pack())
    listing = harness.last(user)
    assert listing.text == "📂 تیکت‌های مهدی نوری:"
    await harness.press(user, listing, action("view", ticket.id))
    view = harness.last(user)
    assert "پنل مرزبان بالا نمی‌آید" in (view.text or "")
    assert "وضعیت: باز" in (view.text or "")
    assert set(view.callback_data) >= {
        action("comment", ticket.id),
        action("move", ticket.id, "in_progress"),
        action("move", ticket.id, "waiting_rep"),
        action("resolve", ticket.id),
    }
    assert action("move", ticket.id, "resolved") not in view.callback_data  # Resolve asks for text

    calls = await harness.press(user, view, action("move", ticket.id, "in_progress"))
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert "وضعیت: در حال رسیدگی" in (harness.last(user).text or "")
    assert action("move", ticket.id, "open") in harness.last(user).callback_data

    await harness.press(user, view, action("comment", ticket.id))
    assert harness.last(user).text == FA["ticket.ask_comment"]
    assert sent_texts(await harness.text(user, "با نماینده تماس گرفتم")) == [FA["ticket.commented"]]

    await harness.press(user, view, action("resolve", ticket.id))
    assert harness.last(user).text == FA["ticket.ask_resolution"]
    [resolved_view] = sent_texts(await harness.text(user, "سرویس مرزبان ری‌استارت شد"))
    assert "حل‌شده" in resolved_view
    assert "سرویس مرزبان ری‌استارت شد" in resolved_view

    [row] = await _ticket_rows(db)
    assert (row.status, row.resolution) == ("resolved", "سرویس مرزبان ری‌استارت شد")
    assert row.resolved_at is not None
    assert await _events(db, ticket.id) == [
        ("created", None, None),
        ("status_change", "in_progress", None),
        ("comment", None, "با نماینده تماس گرفتم"),
        ("status_change", "resolved", "سرویس مرزبان ری‌استارت شد"),
    ]
    async with db:
        actors = set(
            await db.session.scalars(
                select(AuditLog.actor_id).where(AuditLog.entity == "ticket", AuditLog.action != "ticket.open")
            )
        )
    assert actors == {agent_id}


async def test_transition_no_longer_allowed_is_explained_and_changes_nothing(
    harness: BotHarness, db: UnitOfWork
) -> None:
    user, agent_id, rep = await _setup(harness, db)
    ticket = await _open_via_service(db, rep.id, agent_id)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tlist", rep_id=rep.id).pack())
    await harness.press(user, harness.last(user), action("view", ticket.id))
    view = harness.last(user)
    # Someone else resolves the ticket meanwhile; the agent's view still offers the old buttons.
    async with db:
        await tickets.resolve(db, ticket.id, "از سمت سرور حل شد", Actor.cli())
    before = await _events(db, ticket.id)

    calls = await harness.press(user, view, action("move", ticket.id, "waiting_rep"))
    assert alerts(calls) == ["این تغییر وضعیت مجاز نیست (از «حل‌شده» به «منتظر نماینده»)."]
    calls = await harness.press(user, view, action("resolve", ticket.id))
    assert alerts(calls) == ["این تغییر وضعیت مجاز نیست (از «حل‌شده» به «حل‌شده»)."]
    # No resolution prompt was opened: a text now is not taken as a resolution.
    assert sent_texts(await harness.text(user, "راه‌حل دیگر")) == [FA["error.unknown_command"]]

    assert await _events(db, ticket.id) == before
    [row] = await _ticket_rows(db)
    assert (row.status, row.resolution) == ("resolved", "از سمت سرور حل شد")


async def test_empty_ticket_list(harness: BotHarness, db: UnitOfWork) -> None:
    user, _, rep = await _setup(harness, db)
    card = await open_card(harness, user, rep)
    await harness.press(user, card, RepAction(action="tlist", rep_id=rep.id).pack())
    listing = harness.last(user)
    assert listing.text == FA["ticket.list_empty"]
    assert RepAction(action="card", rep_id=rep.id).pack() in listing.callback_data
