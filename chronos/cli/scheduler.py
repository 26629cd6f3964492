"""`chronos scheduler`: the single active scheduler process (APScheduler job store + nudge dispatcher)."""

from __future__ import annotations

import asyncio
import signal

import typer

from chronos.cli.common import error, run
from chronos.runtime import open_runtime
from chronos.scheduler import LockLost, run_scheduler


def scheduler(
    wait: bool = typer.Option(True, "--wait/--no-wait", help="stand by while another scheduler is active"),
) -> None:
    """Run scheduled jobs and send approved nudges (one active instance; others stand by)."""

    async def _go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with open_runtime() as runtime:
            await run_scheduler(runtime, stop, wait_for_lock=wait)

    try:
        run(_go)
    except LockLost as exc:
        error(str(exc), label="scheduler stopped")
        raise typer.Exit(3) from exc
