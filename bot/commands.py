"""What each role can do, in one place: the bot's command menu per chat (``setMyCommands`` with a
scope) and the /help text are both built from it, in the person's language."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.render import esc
from bot.texts import CATALOGS, DEFAULT_LOCALE, Texts
from crm.enums import AgentRole
from crm.schemas.people import AgentDTO

log = logging.getLogger(__name__)

AGENT: tuple[str, ...] = ("find", "prep", "ask", "fix", "draft", "lang", "help", "cancel")
SUPERVISOR: tuple[str, ...] = (*AGENT, "campaigns", "faq", "agents")
ADMIN: tuple[str, ...] = (*SUPERVISOR, "aistatus")
REPRESENTATIVE: tuple[str, ...] = ("help", "stop", "start")
BY_ROLE = {AgentRole.AGENT: AGENT, AgentRole.SUPERVISOR: SUPERVISOR, AgentRole.ADMIN: ADMIN}


def menu(commands: Iterable[str], texts: Texts) -> list[BotCommand]:
    return [BotCommand(command=name, description=texts.t(f"cmd.{name}")) for name in commands]


def help_text(commands: Iterable[str], texts: Texts, *, title: str, tips: str) -> str:
    lines = [title, ""]
    lines += [f"/{name} — {texts.t(f'cmd.{name}')}" for name in commands]
    return "\n".join([*lines, "", tips])


def agent_help(agent: AgentDTO, texts: Texts) -> str:
    return help_text(
        BY_ROLE[agent.role],
        texts,
        title=texts.t(
            "help.agent_title", name=esc(agent.full_name), role=texts.t(f"role.{agent.role.value}")
        ),
        tips=texts.t("help.agent_tips"),
    )


async def publish_default(bot: Bot) -> None:
    """The menu of everyone without a menu of their own (representatives, strangers), per language."""
    for locale in CATALOGS:
        language = None if locale == DEFAULT_LOCALE else locale
        commands = menu(REPRESENTATIVE, Texts(locale))
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=language)


async def publish_for(bot: Bot, agent: AgentDTO) -> None:
    """An agent's own menu (their role's commands, in their language); none once deactivated. A chat
    Telegram does not know yet (the agent never opened the bot) is skipped until the next start."""
    scope = BotCommandScopeChat(chat_id=agent.telegram_user_id)
    try:
        if agent.active:
            await bot.set_my_commands(menu(BY_ROLE[agent.role], Texts(agent.locale.value)), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as exc:
        log.info("command menu of agent %s not set: %s", agent.id, exc)


async def publish_all(bot: Bot, team: Iterable[AgentDTO]) -> None:
    await publish_default(bot)
    for agent in team:
        await publish_for(bot, agent)


def representative_help(texts: Texts) -> str:
    return help_text(REPRESENTATIVE, texts, title=texts.t("help.rep_title"), tips=texts.t("help.rep_tips"))
