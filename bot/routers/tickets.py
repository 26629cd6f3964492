"""Tickets from the rep card: open one (category → priority → description), list a rep's tickets, and
act on one (comment, move to an allowed status, resolve with a resolution text).

Refusals go through the central domain error handler (``bot.routers.errors``): a deleted ticket is
NotFound (stale button), a status change no longer allowed is InvalidTransition. Each change is one
service call in one transaction, so a refusal or a crash leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from ai.text.persian import normalize
from bot import keyboards, render
from bot.callbacks import Choice, RepAction, TicketAction
from bot.filters import IsAgent
from bot.keyboards import LivePrompt
from bot.render import esc, when
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.enums import TicketCategory, TicketPriority, TicketStatus, values
from crm.errors import InvalidTransition
from crm.schemas.activity import TicketOpen
from crm.services import representatives, tickets
from crm.services.access import Identity

router = Router(name=__name__)
router.message.filter(IsAgent())
router.callback_query.filter(IsAgent())

MAX_SUBJECT_CHARS = 200  # the column's length
MAX_DESCRIPTION_CHARS = 3000
MAX_COMMENT_CHARS = 2000
MAX_RESOLUTION_CHARS = 2000
LISTED = 20
TEXT = F.text & ~F.text.startswith("/")  # a command is never taken as a step's text


class OpenStates(StatesGroup):
    category = State()
    priority = State()
    description = State()


class TicketStates(StatesGroup):
    comment = State()
    resolution = State()


def split_description(text: str) -> tuple[str, str | None]:
    """First line → subject (cut to the column, then the whole text is kept as description)."""
    first, _, rest = text.partition("\n")
    if len(first) > MAX_SUBJECT_CHARS:
        return first[: MAX_SUBJECT_CHARS - 1] + "…", text
    return first, rest.strip() or None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Opening a ticket


@router.callback_query(RepAction.filter(F.action == "tnew"))
async def begin_open(
    callback: CallbackQuery,
    callback_data: RepAction,
    uow: UnitOfWork,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    rep = await representatives.get(uow, callback_data.rep_id)
    await state.set_state(OpenStates.category)
    await state.set_data({"rep_id": rep.id})
    options = [(c.value, texts.t(f"category.{c.value}")) for c in TicketCategory]
    await keyboards.ask(
        bot,
        callback.from_user.id,
        state,
        texts.t("ticket.ask_category"),
        keyboards.choices(texts, "category", options),
    )
    await callback.answer()


@router.callback_query(
    OpenStates.category,
    Choice.filter((F.field == "category") & F.value.in_(values(TicketCategory))),
    LivePrompt(),
)
async def pick_category(
    callback: CallbackQuery, callback_data: Choice, texts: Texts, state: FSMContext
) -> None:
    await state.update_data({"category": callback_data.value})
    await state.set_state(OpenStates.priority)
    options = [(p.value, texts.t(f"priority.{p.value}")) for p in TicketPriority]
    await keyboards.advance(
        callback, texts.t("ticket.ask_priority"), keyboards.choices(texts, "priority", options)
    )


@router.callback_query(
    OpenStates.priority,
    Choice.filter((F.field == "priority") & F.value.in_(values(TicketPriority))),
    LivePrompt(),
)
async def pick_priority(
    callback: CallbackQuery, callback_data: Choice, texts: Texts, state: FSMContext
) -> None:
    await state.update_data({"priority": callback_data.value})
    await state.set_state(OpenStates.description)
    await keyboards.advance(
        callback,
        texts.t("ticket.ask_description", limit=MAX_DESCRIPTION_CHARS),
        keyboards.cancel_only(texts),
    )


@router.message(OpenStates.description, TEXT)
async def describe(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    raw = await keyboards.step_text(message, texts, MAX_DESCRIPTION_CHARS, required=True)
    if raw is None:
        return
    text = normalize(raw)
    subject, description = split_description(text)
    data = await state.get_data()
    async with keyboards.final_step(state):
        ticket = await tickets.open_ticket(
            uow,
            TicketOpen(
                representative_id=data["rep_id"],
                category=TicketCategory(data["category"]),
                priority=TicketPriority(data["priority"]),
                subject=subject,
                description=description,
            ),
            identity.actor,
        )
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    await message.answer(
        texts.t("ticket.created", id=ticket.id, due=when(texts, ticket.sla_due_at, with_time=True)),
        reply_markup=keyboards.ticket_actions(texts, ticket),
    )


# Listing and viewing


@router.callback_query(RepAction.filter(F.action == "tlist"))
async def list_tickets(
    callback: CallbackQuery, callback_data: RepAction, uow: UnitOfWork, texts: Texts
) -> None:
    rep = await representatives.get(uow, callback_data.rep_id)
    items = await tickets.list_for_rep(uow, rep.id, limit=LISTED)
    title = texts.t("ticket.list_title", name=esc(rep.full_name)) if items else texts.t("ticket.list_empty")
    if isinstance(callback.message, Message):
        await callback.message.answer(title, reply_markup=keyboards.ticket_list(texts, rep.id, items))
    await callback.answer()


@router.callback_query(TicketAction.filter(F.action == "view"))
async def view(callback: CallbackQuery, callback_data: TicketAction, uow: UnitOfWork, texts: Texts) -> None:
    ticket = await tickets.get(uow, callback_data.ticket_id)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            render.ticket_view(ticket, texts, _now()), reply_markup=keyboards.ticket_actions(texts, ticket)
        )
    await callback.answer()


# Acting on a ticket


@router.callback_query(
    TicketAction.filter((F.action == "move") & F.status.in_(values(TicketStatus)) & (F.status != "resolved"))
)
async def move(
    callback: CallbackQuery, callback_data: TicketAction, uow: UnitOfWork, identity: Identity, texts: Texts
) -> None:
    ticket = await tickets.transition(
        uow, callback_data.ticket_id, TicketStatus(callback_data.status), identity.actor
    )
    if isinstance(callback.message, Message):
        await callback.message.edit_text(
            render.ticket_view(ticket, texts, _now()), reply_markup=keyboards.ticket_actions(texts, ticket)
        )
    await callback.answer(
        texts.t("ticket.moved", id=ticket.id, status=texts.t(f"tstatus.{ticket.status.value}"))
    )


@router.callback_query(TicketAction.filter(F.action == "comment"))
async def begin_comment(
    callback: CallbackQuery,
    callback_data: TicketAction,
    uow: UnitOfWork,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    ticket = await tickets.get(uow, callback_data.ticket_id)
    await state.set_state(TicketStates.comment)
    await state.set_data({"ticket_id": ticket.id})
    await keyboards.ask(
        bot, callback.from_user.id, state, texts.t("ticket.ask_comment"), keyboards.cancel_only(texts)
    )
    await callback.answer()


@router.message(TicketStates.comment, TEXT)
async def write_comment(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    body = await keyboards.step_text(message, texts, MAX_COMMENT_CHARS, required=True)
    if body is None:
        return
    data = await state.get_data()
    async with keyboards.final_step(state):
        await tickets.comment(uow, data["ticket_id"], body, identity.actor)
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    ticket = await tickets.get(uow, data["ticket_id"])
    await message.answer(texts.t("ticket.commented"), reply_markup=keyboards.ticket_actions(texts, ticket))


@router.callback_query(TicketAction.filter(F.action == "resolve"))
async def begin_resolve(
    callback: CallbackQuery,
    callback_data: TicketAction,
    uow: UnitOfWork,
    texts: Texts,
    state: FSMContext,
    bot: Bot,
) -> None:
    ticket = await tickets.get(uow, callback_data.ticket_id)
    if TicketStatus.RESOLVED not in tickets.allowed_transitions(ticket.status):
        # Refuse before asking for text the agent could not use; the error handler explains.
        raise InvalidTransition(
            "ticket cannot be resolved now",
            entity="ticket",
            ticket_id=ticket.id,
            from_status=ticket.status.value,
            to_status=TicketStatus.RESOLVED.value,
        )
    await state.set_state(TicketStates.resolution)
    await state.set_data({"ticket_id": ticket.id})
    await keyboards.ask(
        bot, callback.from_user.id, state, texts.t("ticket.ask_resolution"), keyboards.cancel_only(texts)
    )
    await callback.answer()


@router.message(TicketStates.resolution, TEXT)
async def write_resolution(
    message: Message, uow: UnitOfWork, identity: Identity, texts: Texts, state: FSMContext, bot: Bot
) -> None:
    text = await keyboards.step_text(message, texts, MAX_RESOLUTION_CHARS, required=True)
    if text is None:
        return
    data = await state.get_data()
    async with keyboards.final_step(state):
        ticket = await tickets.resolve(uow, data["ticket_id"], text, identity.actor)
    await keyboards.retire(bot, message.chat.id, data.get(keyboards.PROMPT))
    await message.answer(
        render.ticket_view(ticket, texts, _now()), reply_markup=keyboards.ticket_actions(texts, ticket)
    )
