"""Turning DTOs into HTML message text via the catalog. User content is always escaped here."""

from __future__ import annotations

import datetime as dt
import html

from ai.text.calendar import format_date, relative
from ai.text.persian import BIDI_CONTROLS
from bot.texts import Texts
from crm.schemas.activity import InteractionDTO, TicketDTO
from crm.schemas.card import RepCard

TELEGRAM_TEXT_LIMIT = 4096


def esc(value: object) -> str:
    """Someone's text, safe to put in a message: HTML-escaped, without bidi controls (which could make
    it read differently on screen from what it says)."""
    return html.escape(BIDI_CONTROLS.sub("", str(value)), quote=False)


def when(texts: Texts, moment: dt.datetime, *, with_time: bool = False) -> str:
    return format_date(moment, texts.locale, with_time=with_time)


def rep_card(card: RepCard, texts: Texts, now: dt.datetime) -> str:
    rep = card.representative
    lines = [texts.t("card.title", name=esc(rep.full_name), code=esc(rep.code))]
    details = [texts.t("card.status", status=texts.t(f"status.{rep.status.value}"))]
    if card.tier is not None:
        details.append(texts.t("card.tier", tier=esc(card.tier.name)))
    if card.assigned_agent is not None:
        details.append(texts.t("card.agent", agent=esc(card.assigned_agent.full_name)))
    lines.append(" | ".join(details))
    if card.last_contact_at is not None:
        lines.append(
            texts.t(
                "card.last_contact",
                when=when(texts, card.last_contact_at),
                relative=relative(card.last_contact_at, now, texts.locale),
            )
        )
    else:
        lines.append(texts.t("card.never_contacted"))
    lines.append(texts.t("card.open_tickets", count=len(card.open_tickets)))
    breached = sum(1 for ticket in card.open_tickets if ticket.sla_breached(now))
    if breached:
        lines.append(texts.t("card.sla_breached", count=breached))
    if card.payments:
        last = card.payments[0]
        lines.append(texts.t("card.last_payment", amount=last.amount_toman, when=when(texts, last.paid_at)))
    else:
        lines.append(texts.t("card.no_payment"))
    usage = card.usage
    if usage.latest is not None:
        change = usage.active_users_change_pct
        trend = (
            texts.t("card.trend_na")
            if change is None
            else texts.t("card.trend", pct=texts.signed(change, decimals=1))
        )
        lines.append(
            texts.t(
                "card.usage", active=usage.latest.active_users, total=usage.latest.total_users, trend=trend
            )
        )
    else:
        lines.append(texts.t("card.usage_none"))
    if rep.profiling_opt_out:
        lines.append(texts.t("card.profiling_opt_out"))
    if rep.nudges_opt_out_at is not None:
        lines.append(texts.t("card.nudges_opt_out"))
    return "\n".join(lines)


def interaction_line(item: InteractionDTO, texts: Texts) -> str:
    outcome = f" ({texts.t(f'outcome.{item.outcome.value}')})" if item.outcome else ""
    text = (item.summary or item.body or "—").replace("\n", " ")
    if len(text) > 120:
        text = text[:119] + "…"
    return texts.t(
        "history.item",
        when=when(texts, item.occurred_at),
        channel=texts.t(f"channel.{item.channel.value}"),
        outcome=outcome,
        text=esc(text),
    )


def ticket_view(ticket: TicketDTO, texts: Texts, now: dt.datetime) -> str:
    text = texts.t(
        "ticket.view",
        id=ticket.id,
        subject=esc(ticket.subject),
        category=texts.t(f"category.{ticket.category.value}"),
        priority=texts.t(f"priority.{ticket.priority.value}"),
        status=texts.t(f"tstatus.{ticket.status.value}"),
        due=when(texts, ticket.sla_due_at, with_time=True),
        breach=texts.t("ticket.breach") if ticket.sla_breached(now) else "",
    )
    if ticket.resolution:
        text += texts.t("ticket.resolution", resolution=esc(ticket.resolution))
    return text


def _safe_cut(text: str, cut: int) -> int:
    """Move a hard cut back so it does not split an HTML entity (``&lt;``) or a tag (``<b>``)."""
    for opener, closer in (("&", ";"), ("<", ">")):
        start = text.rfind(opener, 0, cut)
        if start > 0 and text.find(closer, start, cut) == -1:
            cut = start
    return cut


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at line breaks (then spaces) so no part exceeds Telegram's limit or cuts a word; a text
    with neither is cut hard, but never inside an HTML entity or tag."""
    parts: list[str] = []
    remaining = text
    while len(remaining) > limit:
        cut = remaining.rfind("\n", 0, limit)
        if cut <= 0:
            cut = remaining.rfind(" ", 0, limit)
        if cut <= 0:
            cut = _safe_cut(remaining, limit)
        parts.append(remaining[:cut].rstrip())
        remaining = remaining[cut:].lstrip("\n ")
    if remaining:
        parts.append(remaining)
    return parts
