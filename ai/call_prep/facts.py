"""Sections computed from the data by both engines: at a glance, summary, cultural notes, best time.

These are facts and statistics, so no model writes them; the LLM engine adds its narrative sections
around them. Each is worded by the phrase bank it is given (:mod:`ai.call_prep.phrases`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep.inputs import PrepInput
from ai.call_prep.occasions import occasions
from ai.call_prep.phrases import Phrases, quote
from ai.call_prep.schema import BriefingItem, ref

LAST_CONTACTS: Final = 3
SUMMARY_DAYS: Final = 90


def item(text: str, evidence: tuple[str, ...] | list[str] = (), **extra: str | None) -> BriefingItem:
    return BriefingItem(text=text, evidence=[ref(t) for t in evidence], **extra)


def at_a_glance(inp: PrepInput, ph: Phrases) -> list[BriefingItem]:
    rep, now = inp.rep, inp.now
    out: list[BriefingItem] = []
    if rep.tier_name:
        limit = (
            ph.glance_plan_limit.format(users=ph.count(rep.tier_user_limit, "user"))
            if rep.tier_user_limit
            else ""
        )
        price = (
            ph.glance_plan_price.format(price=ph.toman(rep.tier_monthly_price))
            if rep.tier_monthly_price
            else ""
        )
        out.append(item(ph.glance_plan.format(tier=rep.tier_name, limit=limit, price=price)))
    else:
        out.append(item(ph.glance_no_plan))
    start = rep.joined_at or rep.created_at
    if start is not None:
        out.append(item(ph.glance_tenure.format(date=ph.date(start), tenure=ph.tenure(start, now))))
    status = ph.rep_statuses.get(rep.status, rep.status)
    out.append(item(ph.glance_status.format(status=status, agent=rep.assigned_agent_name or ph.no_agent)))
    if inp.interactions:
        last = inp.interactions[0]
        channel = ph.channels.get(last.channel, last.channel)
        text = ph.glance_last_contact.format(when=ph.when(last.occurred_at, now), channel=channel)
        out.append(item(text, [last.token]))
    else:
        out.append(item(ph.glance_no_contact))
    paid = an.payments(inp)
    days = ph.num(an.PAYMENT_WINDOW_DAYS)
    if paid.count:
        text = ph.glance_payments.format(
            days=days, total=ph.toman(paid.total), count=ph.count(paid.count, "payment_occasion")
        )
        out.append(item(text, paid.evidence))
    elif inp.payments:
        last_payment = inp.payments[0]
        text = ph.glance_payments_none_recent.format(days=days, when=ph.when(last_payment.paid_at, now))
        out.append(item(text, [last_payment.token]))
    else:
        out.append(item(ph.glance_payments_never.format(days=days)))
    trend = an.usage_trend(inp)
    if trend.latest is not None:
        text = ph.glance_usage.format(
            active=ph.num(trend.latest.active_users), total=ph.num(trend.latest.total_users)
        )
        if trend.change_pct is not None:
            text += ph.glance_usage_change.format(
                change=ph.signed_pct(trend.change_pct), weeks=ph.count(trend.weeks, "week")
            )
        out.append(item(text, trend.evidence))
    else:
        out.append(item(ph.glance_no_usage))
    tickets = an.open_tickets(inp)
    if tickets:
        breached = [t for t in tickets if t.breached(now)]
        text = ph.glance_tickets.format(count=ph.num(len(tickets)))
        if breached:
            text += ph.glance_tickets_breached.format(count=ph.num(len(breached)))
        first = tickets[0]
        state = (
            ph.sla_breached if first.breached(now) else ph.sla_due.format(when=ph.when(first.sla_due_at, now))
        )
        text += ph.glance_ticket_first.format(
            subject=quote(first.subject, 60),
            status=ph.ticket_statuses.get(first.status, first.status),
            state=state,
        )
        out.append(item(text, an.tokens(tickets)))
    else:
        out.append(item(ph.glance_no_tickets))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(now)]
    if overdue:
        total = sum((v.amount_toman for v in overdue), Decimal(0))
        text = ph.glance_overdue.format(count=ph.count(len(overdue), "invoice"), total=ph.toman(total))
        out.append(item(text, an.tokens(overdue)))
    return out


def summary(inp: PrepInput, ph: Phrases) -> list[BriefingItem]:
    rep, now = inp.rep, inp.now
    if not inp.has_history:
        where = " " + ph.in_city.format(city=rep.city) if rep.city else ""
        return [item(ph.summary_new.format(name=rep.full_name, where=where))]
    start = an.since(now, SUMMARY_DAYS)
    recent = [i for i in inp.interactions if i.occurred_at >= start]
    tickets = [t for t in inp.tickets if t.opened_at >= start]
    paid = an.payments(inp)
    parts = [rep.full_name]
    if rep.tier_name:
        parts.append(ph.summary_plan.format(tier=rep.tier_name))
    if rep.city:
        parts.append(ph.in_city.format(city=rep.city))
    joined = rep.joined_at or rep.created_at
    total = (
        ph.summary_total.format(total=ph.count(inp.interaction_total, "interaction"))
        if inp.interaction_total > len(recent)
        else ""
    )
    text = ph.summary_line.format(
        head=ph.join(parts),
        since=ph.summary_since.format(date=ph.date(joined)) if joined else "",
        days=ph.num(SUMMARY_DAYS),
        interactions=ph.count(len(recent), "interaction"),
        total=total,
        tickets=ph.count(len(tickets), "ticket"),
        payments=ph.count(paid.count, "payment"),
    )
    out = [item(text, an.tokens([*recent[:2], *tickets[:2], *inp.payments[:2]]))]
    for last in inp.interactions[:LAST_CONTACTS]:
        note = quote(last.text)
        outcome = ph.outcomes.get(last.outcome or "")
        text = ph.summary_contact.format(
            when=ph.when(last.occurred_at, now),
            channel=ph.channels.get(last.channel, last.channel),
            direction=ph.from_rep if last.direction == "inbound" else ph.from_us,
            note=ph.contact_note.format(text=note) if note else ph.no_note,
            outcome=f" — {outcome}" if outcome else "",
        )
        out.append(item(text, [last.token]))
    return out


def cultural_notes(
    inp: PrepInput, ph: Phrases, register: an.RegisterFinding | None = None
) -> list[BriefingItem]:
    out: list[BriefingItem] = []
    rep = inp.rep
    if rep.profiling_opt_out:
        out.append(item(ph.register_opt_out))
    else:
        found = register or an.register(inp)
        first = rep.full_name.split()[0] if rep.full_name.split() else rep.full_name
        sample = ph.count(found.formal + found.informal, "message")
        if found.preferred == "informal":
            text = ph.register_informal.format(informal=ph.num(found.informal), sample=sample, first=first)
        elif found.preferred == "formal":
            text = ph.register_formal.format(formal=ph.num(found.formal), sample=sample)
        else:
            text = ph.register_unknown
        out.append(item(text, found.evidence))
    for occasion in occasions(inp.now):
        text = ph.occasions[occasion.key]
        if occasion.days_away:
            text = ph.occasion_ahead.format(days=ph.count(occasion.days_away, "day"), text=text)
        out.append(item(text))
    trouble = an.operator_trouble(inp)
    if trouble is not None:
        text = ph.operator_note.format(
            where=ph.in_city.format(city=rep.city) if rep.city else ph.in_their_area,
            operator=ph.operators.get(trouble.operator, trouble.operator),
            count=ph.count(trouble.count, "report"),
        )
        out.append(item(text, trouble.evidence))
    return out


def best_time(inp: PrepInput, ph: Phrases) -> list[BriefingItem]:
    found = an.best_time(inp)
    if not found.enough or found.slot_start is None:
        text = ph.best_time_unknown.format(
            successes=ph.count(found.successes, "successful_contact"),
            needed=ph.num(an.BEST_TIME_MIN_SUCCESSES),
        )
        return [item(text, found.evidence)]
    text = ph.best_time.format(
        day=ph.best_time_day.format(weekday=ph.weekdays[found.weekday]) if found.weekday is not None else "",
        hours=ph.hour_range(found.slot_start, an.SLOT_HOURS),
        hits=ph.num(found.slot_successes),
        attempts=ph.count(found.slot_attempts, "attempt"),
        sample=ph.count(found.attempts, "logged_contact"),
    )
    return [item(text, found.evidence)]
