"""`chronos ai status`: engine, model, breaker, today's calls, tokens, cost and cache hit rate."""

from __future__ import annotations

import typer
from rich.table import Table

from ai.llm import HealthReport
from chronos.cli.common import console, json_option, print_json, run
from chronos.runtime import open_runtime

app = typer.Typer(help="The AI gateway.", no_args_is_help=True)


@app.command()
def status(as_json: bool = json_option()) -> None:
    """Show the gateway's state and today's usage (from the llm_call ledger)."""

    async def _go() -> HealthReport:
        async with open_runtime() as runtime:
            return await runtime.gateway.status()

    report = run(_go)
    if as_json:
        print_json(report)
        return
    table = Table("", "", show_header=False)
    for label, value in report.as_rows():
        table.add_row(label, value)
    console.print(table)
