"""The `chronos` command line. Each feature has its own module, imported only when its command runs;
register it in :data:`COMMANDS` (module, summary, help panel)."""

from __future__ import annotations

import typer

from chronos.cli.common import configure
from chronos.cli.lazy import LazyCommand, LazyGroup
from chronos.terminal import Bidi

RUN, DATA, AI = "Run", "CRM data", "AI"

COMMANDS = (
    LazyCommand(
        "up",
        "chronos.cli.run:up",
        "What `make run` does: database, migrations, demo data if empty, then the bot and the "
        "scheduler, or the offline console.",
        RUN,
    ),
    LazyCommand("bot", "chronos.cli.run:bot", "Run the Telegram bot: long polling, or --webhook.", RUN),
    LazyCommand(
        "console",
        "chronos.cli.run:console_command",
        "Chat with the real bot offline, through the loopback Bot API emulator.",
        RUN,
    ),
    LazyCommand(
        "scheduler",
        "chronos.cli.scheduler:scheduler",
        "Run scheduled jobs and send approved nudges (one active instance; others stand by).",
        RUN,
    ),
    LazyCommand("db", "chronos.cli.db:app", "Database migrations: upgrade, downgrade, current.", DATA),
    LazyCommand(
        "import",
        "chronos.cli.importing:import_command",
        "Import a CSV file of representatives, interactions, tickets, payments or usage snapshots.",
        DATA,
    ),
    LazyCommand("demo", "chronos.cli.demo:app", "Fill an empty database with a synthetic MarFanet.", DATA),
    LazyCommand("reps", "chronos.cli.reps:app", "Representatives: list them, show one's card.", DATA),
    LazyCommand(
        "campaigns",
        "chronos.cli.campaigns:app",
        "Nudge campaigns: create, submit for approval, show, cancel; engagement scores.",
        DATA,
    ),
    LazyCommand("prep", "chronos.cli.prep:prep", "Prepare for a call: a briefing with evidence.", AI),
    LazyCommand(
        "transcribe",
        "chronos.cli.transcribe:transcribe_command",
        "Transcribe an audio or video file offline (no database, no network).",
        AI,
    ),
    LazyCommand(
        "sentiment",
        "chronos.cli.sentiment:app",
        "Sentiment and emotions of a Persian text or a JSON Lines file; backfill stored interactions.",
        AI,
    ),
    LazyCommand("kb", "chronos.cli.kb:app", "The knowledge hub: ingest, search, ask, status, eval.", AI),
    LazyCommand("ai", "chronos.cli.ai:app", "The AI gateway: engine, breaker, today's usage and cost.", AI),
)

SERVICES = frozenset({"up", "bot", "console", "scheduler"})
"""Long-running commands: their log is their output, so they log at INFO unless told otherwise."""


class _Chronos(LazyGroup):
    entries = COMMANDS


app = typer.Typer(
    name="chronos",
    cls=_Chronos,
    help="Chronos: MarFanet CRT assistant — CRM, Telegram bot and AI tools.\n\n"
    "Global options go before the command: chronos -v --bidi off reps show REP-0001",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
    app(prog_name="chronos")
