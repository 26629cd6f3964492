"""`chronos demo seed`: fill an empty CRM with a deterministic synthetic MarFanet."""

from __future__ import annotations

import datetime as dt
import time

import typer
from rich.table import Table

from chronos.cli.common import console, error, json_option, print_json, run
from chronos.runtime import open_runtime
from crm import demo
from crm.schemas.types import Actor

app = typer.Typer(help="Demo data.", no_args_is_help=True)

DEFAULT_SEED = 1403


@app.command("seed")
def seed_command(
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="same seed, same data (history ends now)"),
    as_json: bool = json_option("machine-readable summary"),
) -> None:
    """Seed 200 representatives, 10 agents, 3 tiers and a year of history, only into an empty database."""

    async def _go() -> demo.SeedSummary | None:
        async with open_runtime() as rt, rt.uow() as uow:
            if not await demo.is_empty(uow):
                return None
            return await demo.seed(uow, seed=seed, now=dt.datetime.now(dt.UTC), actor=Actor.cli())

    started = time.perf_counter()
    summary = run(_go)
    if summary is None:
        error(
            "the database already holds CRM data; the demo only seeds an empty database",
            label="refusing to seed",
        )
        raise typer.Exit(1)
    if as_json:
        print_json(summary)
        return
    table = Table("table", "rows", title=f"demo seed {summary.seed} ({time.perf_counter() - started:.1f} s)")
    for name, value in summary.model_dump(exclude={"seed", "now"}).items():
        table.add_row(name, str(value))
    console.print(table)
