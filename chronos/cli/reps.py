"""`chronos reps list|show`: the rep card data from the terminal."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table
from sqlalchemy import select

from ai.text.calendar import format_date, relative
from chronos.cli.common import console, json_option, print_json, run
from chronos.runtime import open_runtime
from crm.models import Representative
from crm.schemas.card import RepCard
from crm.schemas.people import RepresentativeDTO
from crm.services import rep_card, representatives

app = typer.Typer(help="Representatives.", no_args_is_help=True)


@app.command("list")
def list_reps(
    limit: int = typer.Option(20, "--limit", min=1, max=10_000, help="how many to list"),
    as_json: bool = json_option(),
) -> None:
    """List representatives by code."""

    async def _go() -> list[RepresentativeDTO]:
        async with open_runtime() as rt, rt.uow() as uow:
            rows = await uow.session.scalars(
                select(Representative).order_by(Representative.code).limit(limit)
            )
            return [RepresentativeDTO.model_validate(r) for r in rows]

    reps = run(_go)
    if as_json:
        print_json(reps)
        return
    table = Table("code", "name", "status", "city", "phone")
    for rep in reps:
        table.add_row(rep.code, rep.full_name, rep.status, rep.city or "", rep.phone or "")
    console.print(table)


@app.command()
def show(
    code: str = typer.Argument(..., help="the representative's code, e.g. REP-0001"),
    as_json: bool = json_option(),
) -> None:
    """Show one representative's card: profile, last interactions, open tickets, payments, usage."""

    async def _go() -> RepCard:
        async with open_runtime() as rt, rt.uow() as uow:
            rep = await representatives.get_by_code(uow, code)
            return await rep_card.load(uow, rep.id)

    card = run(_go)
    if as_json:
        print_json(card)
        return
    _render(card)


def _render(card: RepCard) -> None:
    rep, now = card.representative, dt.datetime.now(dt.UTC)
    console.rule(f"{rep.code} — {rep.full_name}")
    last = (
        f"{format_date(card.last_contact_at, 'en')} ({relative(card.last_contact_at, now, 'en')})"
        if card.last_contact_at
        else "never"
    )
    console.print(
        f"status: {rep.status}   tier: {card.tier.name if card.tier else '-'}   "
        f"agent: {card.assigned_agent.full_name if card.assigned_agent else '-'}   last contact: {last}"
    )
    usage = card.usage
    if usage.latest:
        change = (
            f"{usage.active_users_change_pct:+.1f}%" if usage.active_users_change_pct is not None else "n/a"
        )
        console.print(
            f"usage: {usage.latest.active_users}/{usage.latest.total_users} active users, trend {change}"
        )
    table = Table("when", "channel", "outcome", "sentiment", "summary", title="last interactions")
    for item in card.interactions:
        table.add_row(
            format_date(item.occurred_at, "en"), item.channel, item.outcome or "", item.sentiment_label or "",
            (item.summary or item.body or "")[:60],
        )  # fmt: skip
    console.print(table)
    tickets = Table("id", "status", "priority", "SLA due", "subject", title="open tickets")
    for t in card.open_tickets:
        tickets.add_row(
            str(t.id), t.status, t.priority, format_date(t.sla_due_at, "en", with_time=True), t.subject
        )
    console.print(tickets)
    payments = Table("paid", "amount (Toman)", "method", "reference", title="last payments")
    for p in card.payments:
        payments.add_row(format_date(p.paid_at, "en"), f"{p.amount_toman:,.0f}", p.method, p.reference)
    console.print(payments)
