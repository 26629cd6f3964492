"""Inline keyboards, and the prompt each flow step is asked by. Every step of a flow carries a cancel
button."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from ai.text.persian import normalize
from bot.callbacks import AgentAdmin, Cancel, Choice, RepAction, TicketAction
from bot.texts import Texts
from crm.enums import TICKET_TRANSITIONS, AgentRole, TicketStatus
from crm.errors import DomainError
from crm.schemas.activity import TicketDTO
from crm.schemas.people import AgentDTO


def cancel_row(texts: Texts) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=texts.t("cancel"), callback_data=Cancel().pack())]


def cancel_only(texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[cancel_row(texts)])


def choices(
    texts: Texts, field: str, options: Iterable[tuple[str, str]], *, columns: int = 2, skip: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value, label in options:
        builder.button(text=label, callback_data=Choice(field=field, value=value))
    builder.adjust(columns)
    if skip:
        builder.row(
            InlineKeyboardButton(text=texts.t("skip"), callback_data=Choice(field=field, value="-").pack())
        )
    builder.row(*cancel_row(texts))
    return builder.as_markup()


def rep_card(texts: Texts, rep_id: int, *, can_link: bool) -> InlineKeyboardMarkup:
    """Built directly rather than with InlineKeyboardBuilder: the card is the hot path, and the
    builder deep-copies every button on export."""

    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=texts.t(label), callback_data=RepAction(action=action, rep_id=rep_id).pack()
        )

    rows = [
        [button("btn.call_prep", "prep")],
        [button("btn.log_interaction", "log"), button("btn.open_ticket", "tnew")],
        [button("btn.tickets", "tlist"), button("btn.history", "hist")],
        [button("btn.arc", "arc")],
    ]
    if can_link:
        rows.append([button("btn.link", "link")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_to_card(texts: Texts, rep_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=texts.t("btn.card"), callback_data=RepAction(action="card", rep_id=rep_id).pack()
    )


def to_card(texts: Texts, rep_id: int) -> InlineKeyboardMarkup:
    """The next step after finishing something about a representative: back to their card."""
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_card(texts, rep_id)]])


def ticket_list(texts: Texts, rep_id: int, items: Sequence[TicketDTO]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for ticket in items:
        subject = ticket.subject if len(ticket.subject) <= 40 else ticket.subject[:39] + "…"
        label = f"#{texts.ident(ticket.id)} · {texts.t(f'tstatus.{ticket.status.value}')} · {subject}"
        builder.button(text=label, callback_data=TicketAction(action="view", ticket_id=ticket.id))
    builder.adjust(1)
    builder.row(back_to_card(texts, rep_id))
    return builder.as_markup()


def ticket_actions(texts: Texts, ticket: TicketDTO) -> InlineKeyboardMarkup:
    """Comment, one button per status the ticket may move to now, and Resolve (which asks for text)."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.t("btn.comment"), callback_data=TicketAction(action="comment", ticket_id=ticket.id)
    )
    allowed = TICKET_TRANSITIONS[ticket.status]
    for status in (s for s in TicketStatus if s in allowed):
        if status == TicketStatus.RESOLVED:
            builder.button(
                text=texts.t("btn.resolve"), callback_data=TicketAction(action="resolve", ticket_id=ticket.id)
            )
        else:
            builder.button(
                text=texts.t("btn.move", status=texts.t(f"tstatus.{status.value}")),
                callback_data=TicketAction(action="move", ticket_id=ticket.id, status=status.value),
            )
    builder.adjust(2)
    builder.row(back_to_card(texts, ticket.representative_id))
    return builder.as_markup()


_NEXT_ROLE = {
    AgentRole.AGENT: AgentRole.SUPERVISOR,
    AgentRole.SUPERVISOR: AgentRole.ADMIN,
    AgentRole.ADMIN: AgentRole.AGENT,
}


def agents_admin(texts: Texts, team: Sequence[AgentDTO]) -> InlineKeyboardMarkup:
    """Per agent: (de)activate and move to the next role (agent → supervisor → admin → agent)."""
    builder = InlineKeyboardBuilder()
    for agent in team:
        if agent.active:
            builder.button(
                text=texts.t("btn.deactivate", name=agent.full_name),
                callback_data=AgentAdmin(action="off", agent_id=agent.id),
            )
        else:
            builder.button(
                text=texts.t("btn.activate", name=agent.full_name),
                callback_data=AgentAdmin(action="on", agent_id=agent.id),
            )
        target = _NEXT_ROLE[agent.role]
        builder.button(
            text=texts.t("btn.role", name=agent.full_name, role=texts.t(f"role.{target.value}")),
            callback_data=AgentAdmin(action="role", agent_id=agent.id, role=target.value),
        )
    builder.adjust(2)
    builder.row(
        InlineKeyboardButton(text=texts.t("btn.add_agent"), callback_data=AgentAdmin(action="add").pack())
    )
    return builder.as_markup()


def mark_vote(
    markup: InlineKeyboardMarkup | None, chosen: str, other: str, labels: tuple[str, str]
) -> InlineKeyboardMarkup | None:
    """The same keyboard with the chosen 👍/👎 button marked (``labels``: chosen's and other's own
    labels); None when the keyboard shows this vote already, so nothing needs editing."""
    if markup is None:
        return None
    chosen_label, other_label = f"✅ {labels[0]}", labels[1]
    rows = []
    changed = False
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            label = {chosen: chosen_label, other: other_label}.get(button.callback_data or "", button.text)
            changed |= label != button.text
            new_row.append(button.model_copy(update={"text": label}))
        rows.append(new_row)
    return InlineKeyboardMarkup(inline_keyboard=rows) if changed else None


async def show_vote(callback: CallbackQuery, chosen: str, other: str, labels: tuple[str, str]) -> None:
    """Mark the vote on the pressed message, so a second press visibly changes nothing."""
    message = callback.message
    if not isinstance(message, Message):
        return
    marked = mark_vote(message.reply_markup, chosen, other, labels)
    if marked is not None:
        with contextlib.suppress(TelegramBadRequest):  # the message is too old to edit: the vote stands
            await message.edit_reply_markup(reply_markup=marked)


# A flow's live prompt. Each step of a flow is asked by one bot message (the prompt); its id is kept in
# the FSM data, and a step button only counts when pressed on that message. Button steps edit the
# prompt in place; text steps retire it (take its buttons off) and ask the next question below.

PROMPT = "prompt"


class LivePrompt(Filter):
    """True when the pressed button sits on the current flow's prompt (not an older or other one)."""

    async def __call__(self, callback: CallbackQuery, state: FSMContext) -> bool:
        message = callback.message
        return isinstance(message, Message) and (await state.get_data()).get(PROMPT) == message.message_id


async def ask(bot: Bot, chat_id: int, state: FSMContext, text: str, markup: InlineKeyboardMarkup) -> None:
    """Send a step's question as a new prompt; from now on only its buttons count."""
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    await state.update_data({PROMPT: sent.message_id})


async def advance(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Turn the pressed prompt into the next question (or the final answer) and close the spinner."""
    await replace_prompt(callback, text, markup)
    await callback.answer()


async def replace_prompt(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Turn the pressed prompt into ``text``, for a handler that answered the button press first
    (Telegram drops an answer that comes after its callback window, e.g. after a model call)."""
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=markup)


async def retire(bot: Bot, chat_id: int, prompt_id: object) -> None:
    """Take the buttons off a prompt whose step is over; a prompt Telegram won't edit any more is fine."""
    if isinstance(prompt_id, int):
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=prompt_id, reply_markup=None)


async def step_text(message: Message, texts: Texts, limit: int, *, required: bool = False) -> str | None:
    """A typed answer to a flow step, or None after telling the user why it cannot be used: longer
    than ``limit`` characters, or (when ``required``) nothing left after normalisation. The step stays,
    so the user simply sends again."""
    text = message.text or ""
    if len(text) > limit:
        await message.answer(texts.t("error.too_long", limit=limit))
        return None
    if required and not normalize(text):
        await message.answer(texts.t("error.expected_text"))
        return None
    return text


@contextlib.asynccontextmanager
async def final_step(state: FSMContext) -> AsyncIterator[None]:
    """Wrap a flow's last service call: success or a domain refusal ends the flow; a crash or a
    database outage keeps the step, so the user can simply send again."""
    try:
        yield
    except DomainError:
        await state.clear()
        raise
    await state.clear()
