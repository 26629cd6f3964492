"""The LLM's view of a representative: prompt inputs as packed, prioritised sections.

Every record carries its evidence token (``i_123``, ``t_45`` …) as its context id, so the gateway
reports exactly which records the model saw. Representatives' own words are data, quoted by the
gateway inside nonce delimiters. For a representative who opted out of profiling, sentiment scores,
emotions and the arc are not sent at all.
"""

from __future__ import annotations

from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep import phrases as ph
from ai.call_prep.inputs import InteractionFact, PrepInput
from ai.call_prep.occasions import occasions
from ai.context import ContextRecord, ContextSection
from ai.text.calendar import format_date, format_numeric, to_tehran

BODY_CHARS: Final = 320
WITHHELD: Final = (
    "(withheld: this representative opted out of profiling; write no emotional or personality content)"
)


def _interaction(item: InteractionFact, *, feelings: bool) -> ContextRecord:
    local = to_tehran(item.occurred_at)
    parts = [
        f"{format_numeric(item.occurred_at, 'en')} {ph.WEEKDAYS[local.weekday()]} {local:%H:%M}",
        item.channel,
        "from rep" if item.direction == "inbound" else "from us",
    ]
    if item.outcome:
        parts.append(f"outcome={item.outcome}")
    if feelings and item.score is not None:
        parts.append(f"sentiment={item.score:+.2f}")
    if feelings and item.emotions:
        parts.append("emotions=" + "/".join(item.emotions[:2]))
    if item.signals:
        parts.append("signals=" + "/".join(item.signals[:4]))
    words = ph.quote(item.summary, 160)
    if item.body:
        words = f"{words} — {ph.quote(item.body, BODY_CHARS)}" if words else ph.quote(item.body, BODY_CHARS)
    return ContextRecord(" · ".join(parts) + f": {words or '(no note)'}", id=item.token)


def sections(inp: PrepInput) -> dict[str, ContextSection | str]:
    """Template inputs keyed by the ``call_prep`` template's markers."""
    feelings = not inp.rep.profiling_opt_out
    now = inp.now
    tickets = [
        ContextRecord(
            f"{t.status} · {t.category} · {t.priority} · opened {format_numeric(t.opened_at, 'en')} · "
            f"SLA due {format_numeric(t.sla_due_at, 'en')}{' (BREACHED)' if t.breached(now) else ''}: "
            f"{ph.quote(t.subject, 160)}",
            id=t.token,
        )
        for t in inp.tickets
    ]
    money = [
        ContextRecord(
            f"payment {format_numeric(p.paid_at, 'en')} · {p.amount_toman:,.0f} Toman · {p.method}",
            id=p.token,
        )
        for p in inp.payments
    ] + [
        ContextRecord(
            f"invoice {v.number} · {v.amount_toman:,.0f} Toman · "
            f"issued {format_numeric(v.issued_at, 'en')} · "
            f"due {format_numeric(v.due_at, 'en')} · {v.status}"
            f"{' (PAST DUE)' if v.unpaid_past_due(now) else ''}",
            id=v.token,
        )
        for v in inp.invoices
    ]
    usage = [
        ContextRecord(
            f"{format_numeric(u.taken_at, 'en')}: {u.active_users} active of {u.total_users} users",
            id=u.token,
        )
        for u in reversed(inp.usage)
    ]
    return {
        "profile": _profile(inp),
        "findings": ContextSection("findings", 0, _findings(inp)),
        "interactions": ContextSection(
            "interactions", 1, [_interaction(i, feelings=feelings) for i in inp.interactions]
        ),
        "tickets": ContextSection("tickets", 1, tickets),
        "money": ContextSection("money", 2, money),
        "usage": ContextSection("usage", 3, usage),
        "emotions": ContextSection("emotions", 2, _emotions(inp)) if feelings else WITHHELD,
    }


def _profile(inp: PrepInput) -> str:
    rep, now = inp.rep, inp.now
    local = to_tehran(now)
    lines = [
        f"name: {rep.full_name}; status: {rep.status}",
        f"city: {rep.city or '-'}; province: {rep.province or '-'}",
        f"plan: {rep.tier_name or '-'} (user limit {rep.tier_user_limit or '-'})",
        f"with us since: {format_date(rep.joined_at, 'en') if rep.joined_at else 'unknown'}",
        f"assigned agent: {rep.assigned_agent_name or 'none'}",
        f"today in Tehran: {format_date(now, 'en')} ({ph.WEEKDAYS[local.weekday()]}, {local:%H:%M})",
        f"interactions on record: {inp.interaction_total} (the newest are below)",
        f"profiling opt-out: {'yes' if rep.profiling_opt_out else 'no'}",
    ]
    found = occasions(now)
    if found:
        lines.append("calendar: " + ", ".join(f"{o.key} in {o.days_away} day(s)" for o in found))
        if any(o.no_sales and o.days_away == 0 for o in found):
            lines.append("NO sales or upgrade pitch today (mourning day).")
    if not rep.profiling_opt_out:
        register = an.register(inp)
        lines.append(
            f"how they write to us: {register.preferred} register ({register.formal} formal, "
            f"{register.informal} familiar messages)"
        )
    return "\n".join(lines)


def _findings(inp: PrepInput) -> list[ContextRecord]:
    """Computed facts the model should build on; the records they cite are in the other sections."""
    out: list[ContextRecord] = []
    trend = an.usage_trend(inp)
    if trend.change_pct is not None and trend.latest is not None:
        limit = f", {round(trend.limit_share * 100)}% of the plan's user limit" if trend.limit_share else ""
        out.append(
            ContextRecord(
                f"active users changed {trend.change_pct:+.1f}% over {trend.weeks} weeks to "
                f"{trend.latest.active_users}{limit} (see {', '.join(trend.evidence)})"
            )
        )
    for g in an.grievances(inp)[:4]:
        out.append(
            ContextRecord(
                f"grievance {g.kind}: {g.count} record(s), latest {format_date(g.latest, 'en')} "
                f"(see {', '.join(g.evidence)})"
            )
        )
    paid = an.payments(inp)
    gap = an.payment_gap(inp, paid)
    if gap is not None:
        out.append(ContextRecord(f"no payment for {gap} days; usually every {paid.usual_gap_days:.0f} days"))
    for said in an.with_signals(inp, an.LEAVING_SIGNALS, an.SIGNAL_DAYS)[:3]:
        out.append(ContextRecord(f"talked about leaving or a competitor (see {said.token})"))
    for said in an.churn_hints(inp)[:3]:
        out.append(ContextRecord(f"words pointing at churn, no talk of leaving (see {said.token})"))
    for said in an.with_signals(inp, an.INTEREST_SIGNALS, an.INTEREST_DAYS)[:3]:
        out.append(ContextRecord(f"expressed interest in more or renewing (see {said.token})"))
    return out


def _emotions(inp: PrepInput) -> list[ContextRecord]:
    arc = inp.arc
    if arc is None or arc.current is None:
        return [ContextRecord("no analysed messages: say nothing about their mood")]
    out = [
        ContextRecord(
            f"smoothed mood now {arc.current:+.2f}; 90-day trend {arc.trend_direction} "
            f"({arc.trend_slope:+.2f}/30 days over {arc.trend_n} messages)",
            id=arc.trend_evidence[-1] if arc.trend_evidence else None,
        )
    ]
    for trigger in arc.triggers[:3]:
        out.append(
            ContextRecord(
                f"before {trigger.count} mood drop(s): {trigger.key} (lift {trigger.lift:.1f})",
                id=trigger.shifts[-1] if trigger.shifts else None,
            )
        )
    out += [ContextRecord("satisfied moment", id=token) for token in arc.satisfaction[-3:]]
    out += [ContextRecord(f"turning point: {turn.kind}", id=turn.token) for turn in arc.turning_points[-2:]]
    return out
