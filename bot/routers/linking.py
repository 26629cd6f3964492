"""Representative linking: agents create a one-time deep link; whoever opens it is linked."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.callbacks import RepAction
from bot.filters import IsAgent
from bot.render import esc, when
from bot.texts import Texts
from crm.db import UnitOfWork
from crm.errors import AlreadyExists, PermissionDenied
from crm.services import linking, representatives
from crm.services.access import Identity

router = Router(name=__name__)
LINK_PREFIX = "link-"


@router.callback_query(RepAction.filter(F.action == "link"), IsAgent())
async def create_link(
    callback: CallbackQuery,
    callback_data: RepAction,
    uow: UnitOfWork,
    identity: Identity,
    texts: Texts,
    bot: Bot,
) -> None:
    rep = await representatives.get(uow, callback_data.rep_id)
    try:
        token, expires_at = await linking.create_token(uow, rep.id, identity.actor)
    except linking.AlreadyLinked:
        await callback.answer(texts.t("link.rep_already_linked", name=rep.full_name), show_alert=True)
        return
    me = await bot.me()
    url = f"https://t.me/{me.username}?start={LINK_PREFIX}{token}"
    if isinstance(callback.message, Message):
        await callback.message.answer(
            texts.t(
                "link.created",
                name=esc(rep.full_name),
                expires=when(texts, expires_at, with_time=True),
                url=url,
            )
        )
    await callback.answer()


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(LINK_PREFIX)))
async def redeem_link(message: Message, command: CommandObject, uow: UnitOfWork, texts: Texts) -> None:
    assert message.from_user is not None
    assert command.args is not None
    token = command.args.removeprefix(LINK_PREFIX)
    try:
        rep = await linking.redeem(uow, token, message.from_user.id)
    except (linking.LinkInvalid, linking.AlreadyLinked):
        await message.answer(texts.t("link.invalid"))
        return
    except PermissionDenied:
        await message.answer(texts.t("link.agent_account"))
        return
    except AlreadyExists:
        await message.answer(texts.t("link.already_linked"))
        return
    await message.answer(texts.t("link.done", name=esc(rep.full_name)))
