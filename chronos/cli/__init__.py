"""The `chronos` command line. Each feature registers its own sub-app module here."""

from __future__ import annotations

import typer

from chronos.cli import db, reps, run

app = typer.Typer(
    name="chronos",
    help="Chronos: MarFanet CRT assistant — CRM, Telegram bot and AI tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(reps.app, name="reps")
app.command("up")(run.up)
app.command("bot")(run.bot)
app.command("console")(run.console_command)
from chronos.cli import demo  # noqa: E402  (appended so sub-app registrations never conflict)
app.add_typer(demo.app, name="demo")


def main() -> None:
    app()
