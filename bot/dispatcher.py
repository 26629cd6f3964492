"""build_dispatcher(): middlewares and one router per feature, in the order they must match."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.identity import IdentityMiddleware
from bot.middlewares.throttle import ThrottleMiddleware
from bot.middlewares.unit_of_work import UnitOfWorkMiddleware
from bot.routers import (
    admin,
    agents,
    arc,
    call_prep,
    campaigns,
    errors,
    fallback,
    feedback,
    find,
    interactions,
    knowledge,
    knowledge_draft,
    linking,
    representative,
    start,
    tickets,
    voice,
)


def build_dispatcher(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    throttle_per_minute: int = 60,
    storage: BaseStorage | None = None,
    **services: object,
) -> Dispatcher:
    """``services`` (e.g. ``gateway=LLMGateway(...)``) become workflow data: a handler receives one by
    naming it as a parameter. They are built once by the composition root and closed by it."""
    dp = Dispatcher(storage=storage or MemoryStorage())
    dp.workflow_data.update(services)
    dp.update.outer_middleware(ThrottleMiddleware(throttle_per_minute))
    dp.update.outer_middleware(UnitOfWorkMiddleware(session_factory))
    dp.update.outer_middleware(IdentityMiddleware())
    dp.include_routers(
        errors.router,
        linking.router,  # deep-link /start must win over the role-specific /start handlers
        representative.router,
        start.router,
        find.router,
        interactions.router,
        tickets.router,
        campaigns.router,
        arc.router,
        agents.router,
        admin.router,
        voice.router,  # the pipeline arrives as workflow data "voice" (chronos.voice_runtime)
        call_prep.router,
        knowledge.router,  # /ask /fix /faq; the hub arrives as workflow data "knowledge"
        knowledge_draft.router,  # /draft
        feedback.router,
        fallback.router,  # last: strangers, unknown commands, stale buttons
    )
    return dp
