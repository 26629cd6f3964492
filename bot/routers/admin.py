"""Admin-only views: /aistatus shows the AI gateway's engine, breaker and today's usage."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from ai.llm import LLMGateway
from bot.filters import IsAgent
from bot.render import esc
from bot.texts import Texts
from crm.enums import AgentRole

router = Router(name=__name__)
router.message.filter(IsAgent(AgentRole.ADMIN))


@router.message(Command("aistatus"))
async def ai_status(message: Message, gateway: LLMGateway, texts: Texts) -> None:
    report = await gateway.status()
    lines = [texts.t("ai.status_title")]
    lines += [f"• {esc(label)}: <code>{esc(value)}</code>" for label, value in report.as_rows()]
    await message.answer("\n".join(lines))
