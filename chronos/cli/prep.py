"""`chronos prep <rep> [--engine auto|offline|llm] [--locale fa|en] [--json]`: the call prep briefing.

``<rep>`` is a code, a phone number or a name; an unknown one exits 1 and an ambiguous one lists the
matches and exits 1. ``--json`` prints every section as a list of ``{"text", "evidence"}`` items,
each evidence entry a ``{"type", "id"}`` pair, plus the engine and why it fell back, if it did.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from ai.call_prep.schema import SECTIONS
from chronos.cli.common import console, err_console, error, json_option, print_json, run
from chronos.runtime import open_runtime
from crm.enums import Locale
from crm.schemas.call_prep import CallPrepDTO
from crm.services import call_prep
from crm.services.call_prep import AmbiguousRepresentative

Engine = Literal["auto", "offline", "llm"]


def as_json(dto: CallPrepDTO) -> dict[str, Any]:
    briefing = dto.briefing.model_dump(mode="json", exclude_none=True)
    return {
        "representative": dto.representative.model_dump(mode="json"),
        "suggestion_id": dto.suggestion_id,
        "locale": dto.locale.value,
        "engine": dto.engine,
        "fallback_reason": dto.fallback_reason,
        "prompt": {"id": dto.prompt_id, "version": dto.prompt_version},
        "cached": dto.cached,
        "created_at": dto.created_at.isoformat(),
        "notices": briefing["notices"],
        "dropped_evidence": list(dto.dropped_evidence),
        "sections": {name: briefing[name] for name in SECTIONS},
    }


def prep(
    rep: str = typer.Argument(..., help="representative code, phone or name"),
    engine: str = typer.Option("auto", "--engine", help="auto | offline | llm"),
    locale: str = typer.Option("fa", "--locale", help="fa | en: the briefing's language"),
    json_output: bool = json_option(),
) -> None:
    """Prepare for a call: a grounded briefing with evidence for every item."""
    if engine not in ("auto", "offline", "llm"):
        error(f"--engine must be auto, offline or llm, not {engine!r}")
        raise typer.Exit(2)
    mode: Engine = engine  # type: ignore[assignment]  # checked just above
    if locale not in {item.value for item in Locale}:
        error(f"--locale must be fa or en, not {locale!r}")
        raise typer.Exit(2)

    async def _go() -> CallPrepDTO | AmbiguousRepresentative:
        async with open_runtime() as rt, rt.uow() as uow:
            try:
                found = await call_prep.find_rep(uow, rep)
            except AmbiguousRepresentative as many:
                return many
            return await call_prep.prepare(
                uow, found.id, None, engine=mode, gateway=rt.gateway, locale=Locale(locale)
            )

    result = run(_go)
    if isinstance(result, AmbiguousRepresentative):
        err_console.print(
            f"[yellow]{len(result.choices)} representatives match {rep!r}; pick one by code:[/yellow]"
        )
        for hit in result.choices:
            err_console.print(f"  {hit.representative.code}  {hit.representative.full_name}")
        raise typer.Exit(1)
    if json_output:
        print_json(as_json(result))
        return
    _render(result)


def _render(dto: CallPrepDTO) -> None:
    rep = dto.representative
    console.rule(f"{rep.code} — {rep.full_name}")
    engine = dto.engine + (f" (fallback: {dto.fallback_reason})" if dto.fallback_reason else "")
    age = dt.datetime.now(dt.UTC) - dto.created_at
    console.print(f"engine: {engine}   cached: {dto.cached} ({int(age.total_seconds())} s old)")
    for notice in dto.briefing.notices:
        console.print(f"[yellow]notice:[/yellow] {escape(notice)}")
    for name in SECTIONS:
        items = dto.briefing.section(name)
        if not items:
            continue
        table = Table("text", "evidence", title=name, show_lines=False, title_justify="left")
        for item in items:
            text = item.text
            if item.purpose:
                text += f" — {item.purpose}"
            if item.pitch:
                text += f" → {item.pitch}"
            table.add_row(text, " ".join(e.token for e in item.evidence))
        console.print(table)
