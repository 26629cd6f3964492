"""Inline keyboards. Every step of a flow carries a cancel button."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import Cancel, Choice, RepAction
from bot.texts import Texts


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
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.t("btn.log_interaction"), callback_data=RepAction(action="log", rep_id=rep_id))
    builder.button(text=texts.t("btn.open_ticket"), callback_data=RepAction(action="tnew", rep_id=rep_id))
    builder.button(text=texts.t("btn.tickets"), callback_data=RepAction(action="tlist", rep_id=rep_id))
    builder.button(text=texts.t("btn.history"), callback_data=RepAction(action="hist", rep_id=rep_id))
    if can_link:
        builder.button(text=texts.t("btn.link"), callback_data=RepAction(action="link", rep_id=rep_id))
    builder.adjust(2)
    return builder.as_markup()


def back_to_card(texts: Texts, rep_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=texts.t("btn.card"), callback_data=RepAction(action="card", rep_id=rep_id).pack()
    )
