"""`chronos bot` (long polling or --webhook), `chronos console`, and `chronos up` behind `make run`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sys
import time
from collections.abc import AsyncIterator

import typer
from aiohttp import web

from bot.sender import build_bot
from chronos.botapp import (
    WEBHOOK_PATH,
    build_app_dispatcher,
    build_webhook_app,
    ensure_admins_and_commands,
    run_polling,
)
from chronos.cli.common import console, err_console, run, verbosity_args
from chronos.console import ROLES, run_console
from chronos.polling import STOP_SIGNALS
from chronos.runtime import Runtime, open_runtime
from chronos.starter_knowledge import ingest_starter_if_empty
from crm import demo
from crm.services import sentiment

DEMO_SEED = 1
SCHEDULER_STABLE_S = 60.0  # a scheduler that ran this long restarts after 1 s; quicker exits back off


async def serve_webhook(runtime: Runtime) -> None:
    """aiohttp server behind Telegram's webhook; requests without the secret-token header get 401. An
    update is in the inbox before Telegram gets its 200. SIGTERM/SIGINT stop it gracefully."""
    settings = runtime.settings.bot
    if settings.token is None or settings.webhook_url is None or settings.webhook_secret is None:
        raise typer.BadParameter("webhook mode needs BOT_TOKEN, BOT_WEBHOOK_URL and BOT_WEBHOOK_SECRET")
    bot = build_bot(
        settings.token.get_secret_value(), api_server=settings.api_server, send_retries=settings.send_retries
    )
    dp = build_app_dispatcher(runtime)
    secret = settings.webhook_secret.get_secret_value()
    app = build_webhook_app(
        dp, bot, secret, runtime.session_factory, concurrency=settings.max_concurrent_updates
    )
    await ensure_admins_and_commands(runtime, bot)
    runner = web.AppRunner(app)
    await runner.setup()  # the dispatcher's start-up, and what the last run left unfinished, resumed
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()  # listen before registering: Telegram may deliver right after setWebhook
        await bot.set_webhook(
            settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
        )
        console.print(f"webhook listening on {settings.webhook_host}:{settings.webhook_port}{WEBHOOK_PATH}")
        await stop.wait()
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await runner.cleanup()  # waits for the updates in flight, then the dispatcher's shutdown


async def run_bot(runtime: Runtime, *, webhook: bool) -> None:
    settings = runtime.settings.bot
    if webhook:
        await serve_webhook(runtime)
        return
    if settings.token is None:
        raise typer.BadParameter("BOT_TOKEN is not set; use `chronos console` to run offline")
    bot = build_bot(
        settings.token.get_secret_value(), api_server=settings.api_server, send_retries=settings.send_retries
    )
    await run_polling(runtime, bot, build_app_dispatcher(runtime))


def bot(
    webhook: bool = typer.Option(False, "--webhook", help="serve Telegram's webhook instead of polling"),
) -> None:
    """Run the Telegram bot (needs BOT_TOKEN)."""

    async def _go() -> None:
        async with open_runtime() as runtime:
            await run_bot(runtime, webhook=webhook)

    run(_go)


def console_command(
    as_role: str = typer.Option("agent", "--as", help=f"who you play: {', '.join(ROLES)}"),
) -> None:
    """Chat with the real bot offline, through the loopback Bot API emulator."""
    if as_role not in ROLES:
        raise typer.BadParameter(f"--as must be one of {', '.join(ROLES)}")

    async def _go() -> None:
        async with open_runtime() as runtime:
            await run_console(runtime, as_role)

    run(_go)


def up() -> None:
    """What `make run` does: embedded database, migrate, seed the demo if empty, then the bot with the
    scheduler beside it, or the offline console."""

    async def _go() -> None:
        async with open_runtime() as runtime:
            await seed_demo_if_empty(runtime)
            await ingest_starter_if_empty(runtime, console.out)  # lexical now, embeddings in the warm-up
            if runtime.settings.bot.token is not None:
                async with scheduler_process():
                    await run_bot(runtime, webhook=runtime.settings.bot.webhook_url is not None)
            else:
                err_console.print(
                    "BOT_TOKEN is not set: starting the offline console against the loopback Bot API."
                )
                await run_console(runtime, "agent")

    run(_go)


@contextlib.asynccontextmanager
async def scheduler_process() -> AsyncIterator[None]:
    """`chronos scheduler` beside the bot, as its own process (see docs/nudges.md: a bot restart never
    moves the dispatcher; its advisory lock keeps it the only active one if another is running). It is
    restarted, with a growing pause, whenever it exits (e.g. code 3 after a database restart)."""
    stopping = asyncio.Event()

    async def keep_running() -> None:
        pause = 1.0
        while not stopping.is_set():
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "chronos", *verbosity_args(), "scheduler"
            )
            started = time.monotonic()
            console.print(f"scheduler started (pid {process.pid}): approved nudges are sent from it")
            try:
                code = await process.wait()
            finally:  # stopping (or cancelled): this child goes with us
                await _stop_child(process)
            if stopping.is_set():
                return
            pause = 1.0 if time.monotonic() - started > SCHEDULER_STABLE_S else min(pause * 2, 60.0)
            err_console.print(f"[red]the scheduler exited (code {code}); restarting in {pause:.0f} s[/red]")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), pause)

    supervisor = asyncio.create_task(keep_running())
    try:
        yield
    finally:
        stopping.set()
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor


async def _stop_child(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), 30)
    except TimeoutError:
        pass
    finally:  # also when cancelled again (a second Ctrl+C): never leave the child behind
        if process.returncode is None:
            process.kill()


async def seed_demo_if_empty(runtime: Runtime) -> None:
    async with runtime.uow() as uow:
        if not await demo.is_empty(uow):
            return
        console.print("empty database: seeding the demo MarFanet …")
        summary = await demo.seed(uow, seed=DEMO_SEED, now=dt.datetime.now(dt.UTC))
        counts = summary.model_dump(exclude={"seed", "now"})
        console.print("seeded: " + ", ".join(f"{count:,} {name}" for name, count in counts.items()))
        report = await sentiment.backfill(uow)  # offline engine: the demo reads with sentiment at once
        console.print(f"sentiment: {report.scored:,} interactions scored offline")
