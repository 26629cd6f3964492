"""Commands imported only when they run: ``chronos reps list`` never imports aiogram, torch or Chroma,
and ``chronos --help`` imports no command at all (its list comes from each entry's summary)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click  # the click that typer vendors, whose types TyperGroup declares
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command, get_group


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """``module:attribute`` is a ``typer.Typer`` (a command group) or a command function."""

    name: str
    target: str
    summary: str  # the line in `chronos --help`; the command's own help is in `chronos NAME --help`
    panel: str

    def load(self) -> _click.Command:
        module, _, attribute = self.target.partition(":")
        obj: Any = getattr(importlib.import_module(module), attribute)
        if isinstance(obj, typer.Typer):
            command: _click.Command = get_group(obj)
        else:
            single = typer.Typer(add_completion=False)
            single.command(self.name)(obj)
            command = get_command(single)
        command.name = self.name
        command.short_help = self.summary
        return command

    def placeholder(self) -> _click.Command:
        """Enough of a command for help listings and shell completion of command names."""
        return TyperCommand(self.name, short_help=self.summary, rich_help_panel=self.panel)


class LazyGroup(TyperGroup):
    """A root group over :attr:`entries`; a command is imported when it is resolved to run (or to
    show its own help), and listed from its summary otherwise."""

    entries: ClassVar[tuple[LazyCommand, ...]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._lazy = {entry.name: (entry, entry.placeholder()) for entry in self.entries}
        for name, (_, placeholder) in self._lazy.items():
            self.add_command(placeholder, name)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        entry, placeholder = self._lazy.get(name or "", (None, None))
        if entry is not None and command is placeholder:
            command = self.commands[entry.name] = entry.load()
        return name, command, rest
