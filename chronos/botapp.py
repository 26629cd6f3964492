"""Wiring of the Telegram side: the Bot (over real HTTP, to Telegram or a local Bot API server) and
its dispatcher, shared by `chronos bot`, the offline console and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from aiogram import Bot, Dispatcher
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands
from bot.dispatcher import build_dispatcher
from chronos.intake import UpdateIntake
from chronos.knowledge_runtime import attach_knowledge
from chronos.nudge_runtime import nudge_policy
from chronos.polling import InboxPolling
from chronos.runtime import Runtime
from chronos.voice_runtime import attach_voice
from crm.services import agents, outbox
from jobs.dedupe import prune_periodically

log = logging.getLogger(__name__)


def build_app_dispatcher(runtime: Runtime) -> Dispatcher:
    dp = build_dispatcher(
        runtime.session_factory,
        throttle_per_minute=runtime.settings.bot.throttle_per_minute,
        gateway=runtime.gateway,
        nudge_policy=nudge_policy(runtime.settings),
    )
    attach_voice(dp, runtime)  # Whisper model + worker pool, started and stopped with the dispatcher
    attach_knowledge(dp, runtime.settings)  # chunk store + BM25 now, the embedder in the background
    attach_delivery_upkeep(dp, runtime)
    return dp


def attach_delivery_upkeep(dp: Dispatcher, runtime: Runtime) -> None:
    """On start, before any update is resumed: one-off messages a dead process left mid-send are
    recorded as sent but unconfirmed (never resent). While the dispatcher runs: finished inbox updates
    older than BOT_DEDUPE_RETENTION_HOURS are forgotten."""
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        async with runtime.uow() as uow:
            orphans = await outbox.reconcile_orphans(uow)
        if orphans:
            log.warning(
                "%d message(s) cut off mid-send by the last run: recorded as unconfirmed", len(orphans)
            )
        job = prune_periodically(runtime.session_factory, runtime.settings.bot.dedupe_retention_hours)
        tasks.append(asyncio.create_task(job, name="update-inbox-prune"))

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
    """Long polling through the inbox (chronos.polling), with bounded concurrency."""
    await ensure_admins_and_commands(runtime, bot)
    await bot.delete_webhook(drop_pending_updates=False)
    polling = InboxPolling(
        dp,
        bot,
        runtime.session_factory,
        concurrency=runtime.settings.bot.max_concurrent_updates,
    )
    await polling.run(handle_signals=handle_signals)


WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


def build_webhook_app(
    dp: Dispatcher,
    bot: Bot,
    secret: str,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    concurrency: int,
) -> web.Application:
    """aiohttp app for Telegram's webhook. A request without the right secret gets 401; an update is
    committed to the inbox before the 200 (a database error answers 500, so Telegram sends it again),
    then handled in the background. Start-up runs the dispatcher's hooks and resumes what the last run
    left unfinished; shutdown waits for the updates in flight."""
    intake = UpdateIntake(dp, bot, session_factory, concurrency=concurrency)
    app = web.Application()
    workflow: dict[str, Any] = {"app": app, "dispatcher": dp, "bots": [bot], **dp.workflow_data}

    async def receive(request: web.Request) -> web.Response:
        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(body="Unauthorized", status=401)
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("an update is a JSON object")
            await intake.receive_raw(payload)
        except ValueError:
            return web.Response(body="Bad Request", status=400)
        except Exception:
            log.exception("could not store a webhook update; Telegram will send it again")
            return web.Response(body="Internal Server Error", status=500)
        return web.json_response({})

    async def on_startup(_: web.Application) -> None:
        await dp.emit_startup(bot=bot, **workflow)
        await intake.resume()

    async def on_shutdown(_: web.Application) -> None:
        try:
            await intake.drain()
            await dp.emit_shutdown(bot=bot, **workflow)
        finally:
            await bot.session.close()

    app.router.add_post(WEBHOOK_PATH, receive)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app
