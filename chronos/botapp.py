"""Wiring of the Telegram side: the Bot (over real HTTP, to Telegram or a local Bot API server) and
its dispatcher, shared by `chronos bot`, the offline console and the tests."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot import commands
from bot.dispatcher import build_dispatcher
from chronos.knowledge_runtime import attach_knowledge
from chronos.nudge_runtime import nudge_policy
from chronos.runtime import Runtime
from chronos.voice_runtime import attach_voice
from crm.services import agents
from jobs.dedupe import prune_periodically


def build_app_dispatcher(runtime: Runtime) -> Dispatcher:
    dp = build_dispatcher(
        runtime.session_factory,
        throttle_per_minute=runtime.settings.bot.throttle_per_minute,
        gateway=runtime.gateway,
        nudge_policy=nudge_policy(runtime.settings),
    )
    attach_voice(dp, runtime)  # Whisper model + worker pool, started and stopped with the dispatcher
    attach_knowledge(dp, runtime.settings)  # chunk store + BM25 now, the embedder in the background
    attach_dedupe_prune(dp, runtime)
    return dp


def attach_dedupe_prune(dp: Dispatcher, runtime: Runtime) -> None:
    """Forget handled update ids older than BOT_DEDUPE_RETENTION_HOURS while the dispatcher runs."""
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        job = prune_periodically(runtime.session_factory, runtime.settings.bot.dedupe_retention_hours)
        tasks.append(asyncio.create_task(job, name="update-dedupe-prune"))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks.clear()

    dp.startup.register(start)
    dp.shutdown.register(stop)


async def ensure_admins_and_commands(runtime: Runtime, bot: Bot) -> None:
    """The first admins, then every agent's own command menu (their role, their language) and the
    default menu of representatives and strangers."""
    async with runtime.uow() as uow:
        await agents.ensure_admins(uow, runtime.settings.admin_telegram_ids)
        team = await agents.list_all(uow)
    await commands.publish_all(bot, team)


async def run_polling(runtime: Runtime, bot: Bot, dp: Dispatcher, *, handle_signals: bool = True) -> None:
    """Long polling with bounded concurrency (aiogram's default is unbounded)."""
    await ensure_admins_and_commands(runtime, bot)
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(
        bot,
        handle_signals=handle_signals,
        tasks_concurrency_limit=runtime.settings.bot.max_concurrent_updates,
        allowed_updates=dp.resolve_used_update_types(),
    )


WEBHOOK_PATH = "/telegram/webhook"


def build_webhook_app(dp: Dispatcher, bot: Bot, secret: str) -> web.Application:
    """aiohttp app for Telegram's webhook; aiogram answers 401 to requests without the right secret."""
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    return app
