"""The `chronos` command line. Each feature has its own module; register it here (import + one line)."""

from __future__ import annotations

import typer

from chronos.cli import (
    ai,
    campaigns,
    db,
    demo,
    importing,
    kb,
    prep,
    reps,
    run,
    scheduler,
    sentiment,
    transcribe,
)
from chronos.cli.common import configure
from chronos.terminal import Bidi

app = typer.Typer(
    name="chronos",
    help="Chronos: MarFanet CRT assistant — CRM, Telegram bot and AI tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("up")(run.up)
app.command("bot")(run.bot)
app.command("console")(run.console_command)
app.add_typer(db.app, name="db")
app.add_typer(reps.app, name="reps")
app.add_typer(demo.app, name="demo")
app.command("import")(importing.import_command)
app.add_typer(ai.app, name="ai")
app.add_typer(campaigns.app, name="campaigns")
app.command("scheduler")(scheduler.scheduler)
app.command("prep")(prep.prep)
app.command("transcribe")(transcribe.transcribe_command)
app.add_typer(sentiment.app, name="sentiment")
app.add_typer(kb.app, name="kb")

SERVICES = frozenset({"up", "bot", "console", "scheduler"})
"""Long-running commands: their log is their output, so they log at INFO unless told otherwise."""


@app.callback()
def global_options(
    ctx: typer.Context,
    bidi: Bidi | None = typer.Option(
        None,
        "--bidi",
        help="Persian for terminals that cannot show it: on = joined letters in visual order, off = "
        "logical Unicode (bidi-aware terminals, copying, pipes), auto = on only for a terminal "
        "(default: CHRONOS_BIDI, else auto)",
        show_default=False,
    ),
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        metavar="",
        help="show INFO logs (-vv: DEBUG); by default only warnings and errors",
        show_default=False,
    ),
) -> None:
    configure(bidi=bidi, verbose=verbose, service=ctx.invoked_subcommand in SERVICES)


def main() -> None:
    app()
