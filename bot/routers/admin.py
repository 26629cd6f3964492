"""Admin-only views: /aistatus shows the AI gateway's engine, breaker and today's usage."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from ai.llm import OFFLINE_ENGINE, LLMGateway
from bot.filters import IsAgent
from bot.render import esc
from bot.texts import Texts
from crm.enums import AgentRole

router = Router(name=__name__)
router.message.filter(IsAgent(AgentRole.ADMIN))


@router.message(Command("aistatus"))
async def ai_status(message: Message, gateway: LLMGateway, texts: Texts) -> None:
    report = await gateway.status()
    statuses = "، ".join(
        f"{esc(status)} {texts.num(count)}" for status, count in sorted(report.calls_by_status.items())
    )
    engine = texts.t("engine.offline") if report.engine == OFFLINE_ENGINE else esc(report.engine)
    text = texts.t(
        "ai.status",
        engine=engine,
        model=esc(report.model),
        breaker=texts.t(f"ai.breaker.{report.breaker_state}"),
        calls=report.calls_today,
        statuses=f" ({statuses})" if statuses else "",
        tokens_in=report.tokens_in_today,
        tokens_out=report.tokens_out_today,
        cost=texts.decimal(f"{report.cost_today_usd:.4f}"),
        cap=texts.decimal(f"{report.daily_cost_cap_usd:.2f}"),
        hit_rate=round(100 * report.cache_hit_rate),
    )
    await message.answer(text)
