"""`chronos campaigns …`: create, submit for approval, inspect, cancel nudge campaigns; engagement scores.

Approval is deliberately not here: only a supervisor approves, with the buttons on the bot's card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from ai.text.calendar import format_date, parse_jalali
from chronos.cli.common import console, json_option, print_json, run
from chronos.runtime import open_runtime
from crm.schemas.nudges import (
    AudienceRules,
    CampaignCard,
    CampaignCreate,
    CampaignDTO,
    CampaignStats,
    EngagementDTO,
)
from crm.schemas.types import Actor
from crm.services import nudge_audience, nudge_results, nudges

if TYPE_CHECKING:
    from bot.campaign_card import Announcement

app = typer.Typer(help="Nudge campaigns.", no_args_is_help=True)


@app.command("list")
def list_campaigns(
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="how many, newest first"),
    as_json: bool = json_option(),
) -> None:
    """Campaigns with their results: sent, delivered, failed, replied, opted out, reply sentiment."""

    async def _go() -> list[CampaignStats]:
        async with open_runtime() as rt, rt.uow() as uow:
            return await nudge_results.stats(uow, limit=limit)

    rows = run(_go)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "status", "total", "sent", "delivered", "unconfirmed", "failed", "skipped",
                  "replied", "opted out", "reply sentiment")  # fmt: skip
    for s in rows:
        sentiment = ", ".join(f"{label} {count}" for label, count in sorted(s.reply_sentiment.items()))
        table.add_row(
            str(s.campaign_id), s.name, s.status, str(s.total), str(s.sent), str(s.delivered),
            str(s.unconfirmed), str(s.failed), str(s.skipped), str(s.replied), str(s.opted_out), sentiment,
        )  # fmt: skip
    console.print(table)


@app.command()
def show(
    campaign_id: int = typer.Argument(..., help="the campaign's id (chronos campaigns list)"),
    as_json: bool = json_option(),
) -> None:
    """The approval card's content: purpose, audience, exclusions, samples and timing."""
    from chronos.nudge_runtime import nudge_policy  # imports aiogram (~2 s): only where needed

    async def _go() -> CampaignCard:
        async with open_runtime() as rt, rt.uow() as uow:
            return await nudge_results.card(uow, campaign_id, nudge_policy(rt.settings))

    card = run(_go)
    if as_json:
        print_json(card)
        return
    c = card.campaign
    console.rule(f"#{c.id} {c.name} — {c.status} (revision {c.revision}, {c.engine or 'not drafted'})")
    console.print(f"purpose: {c.purpose}")
    console.print(f"audience: {card.audience}; excluded: {card.excluded}")
    if card.first_send_at and card.estimated_finish_at:
        start, end = (
            format_date(card.first_send_at, "en", with_time=True),
            format_date(card.estimated_finish_at, "en", with_time=True),
        )
        console.print(f"sending: {start} → about {end} (Tehran)")
    console.print(f"{card.distinct_total} different text(s); {{name}} is each representative's name:")
    for shown in card.texts:
        console.print(f"— to {shown.count} (e.g. {', '.join(shown.example_names)}):\n{shown.text}")


@app.command()
def create(
    name: str = typer.Option(..., "--name", help="the campaign's name, for staff"),
    purpose: str = typer.Option(..., "--purpose", help="why the campaign is sent (on the approval card)"),
    template_file: Path | None = typer.Option(
        None, "--template-file", exists=True, dir_okay=False, help="message template; default: built in"
    ),
    max_score: int | None = typer.Option(
        None, "--max-score", min=0, max=100, help="only representatives with this engagement or less"
    ),
    tier: list[str] = typer.Option([], "--tier", help="tier code (repeatable)"),
    province: list[str] = typer.Option([], "--province", help="province (repeatable)"),
    agent: list[int] = typer.Option([], "--agent", help="assigned agent id (repeatable)"),
    outage_days: int | None = typer.Option(
        None, "--outage-days", min=1, max=365, help="only representatives with an outage in the last N days"
    ),
    at: str | None = typer.Option(None, "--at", help="Jalali start, Tehran time: 1405/01/20 10:00"),
    as_json: bool = json_option(),
) -> None:
    """A draft campaign (the template is checked against the guardrails now)."""
    from ai.nudges.templates import DEFAULT_TEMPLATE

    template = template_file.read_text(encoding="utf-8") if template_file else DEFAULT_TEMPLATE
    rules = AudienceRules(
        max_score=max_score,
        tier_codes=tier,
        provinces=province,
        agent_ids=agent,
        outage_within_days=outage_days,
    )
    scheduled_for = parse_jalali(at) if at else None
    data = CampaignCreate(
        name=name, purpose=purpose, template=template, rules=rules, scheduled_for=scheduled_for
    )

    async def _go() -> CampaignDTO:
        async with open_runtime() as rt, rt.uow() as uow:
            return await nudges.create(uow, data, Actor.cli())

    campaign = run(_go)
    print_json(campaign) if as_json else console.print(f"draft campaign #{campaign.id} created")


@app.command()
def submit(
    campaign_id: int = typer.Argument(..., help="a draft campaign's id"), as_json: bool = json_option()
) -> None:
    """Select the audience and draft the messages; the approval card goes to the supervisors."""
    from chronos.nudge_runtime import campaign_drafter, card_announcer, nudge_policy  # aiogram: ~2 s

    async def _go() -> tuple[CampaignDTO, Announcement | None]:
        async with open_runtime() as rt:
            with campaign_drafter(rt.settings, rt.gateway) as drafter:
                async with rt.uow() as uow:
                    campaign = await nudges.submit(
                        uow,
                        campaign_id,
                        Actor.cli(),
                        policy=nudge_policy(rt.settings),
                        drafter_factory=drafter,
                    )
            async with card_announcer(rt.settings, rt.session_factory) as announce:
                return campaign, (await announce(campaign.id) if announce else None)

    campaign, announced = run(_go)
    if as_json:
        print_json({**campaign.model_dump(), "announcement": announced and asdict(announced)})
        return
    stats = campaign.audience_stats
    excluded = stats.get("excluded") or {}
    left_out = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in excluded.items() if count)
    console.print(
        f"campaign #{campaign.id} awaits approval: {stats.get('audience')} messages drafted "
        f"({campaign.engine}); left out: {left_out or 'nobody'}"
    )
    if announced is None:
        console.print("BOT_TOKEN is not set: supervisors open the approval card with /campaigns")
    else:
        console.print(
            f"approval card sent to {announced.notified} supervisor(s)"
            + (
                f"; {announced.unreachable} unreachable (they can use /campaigns)"
                if announced.unreachable
                else ""
            )
        )


@app.command()
def cancel(
    campaign_id: int = typer.Argument(..., help="the campaign's id"),
    reason: str = typer.Option("", "--reason", help="recorded in the audit log"),
) -> None:
    """Stop a campaign; messages not sent yet are skipped."""

    async def _go() -> CampaignDTO:
        async with open_runtime() as rt, rt.uow() as uow:
            return await nudges.cancel(uow, campaign_id, Actor.cli(), reason)

    console.print(f"campaign #{run(_go).id} cancelled")


@app.command()
def scores(
    limit: int = typer.Option(20, "--limit", min=1, max=100_000, help="how many, least engaged first"),
    as_json: bool = json_option(),
) -> None:
    """Engagement scores, least engaged first, with the reasons."""

    async def _go() -> list[EngagementDTO]:
        async with open_runtime() as rt, rt.uow() as uow:
            return await nudge_audience.engagement(uow, dt.datetime.now(dt.UTC), limit=limit)

    rows = run(_go)
    if as_json:
        print_json(rows)
        return
    table = Table("code", "name", "score", "reasons")
    for row in rows:
        reasons = ", ".join(f"{r.code} −{r.points}" for r in row.reasons)
        table.add_row(row.code, row.full_name, str(row.score), reasons)
    console.print(table)
