"""The LLM's view of a representative: prompt inputs as packed, prioritised sections.

Every record carries its evidence token (``i_123``, ``t_45`` …) as its context id, so the gateway
reports exactly which records the model saw. Representatives' own words are data, quoted by the
gateway inside nonce delimiters. For a representative who opted out of profiling, sentiment scores,
emotions and the arc are not sent at all.

The output language is an input too (``language``), and the records' dates are in that language's
calendar, the one the model is asked to write: Jalali for Persian (``1405/02/18``, ASCII digits to keep
the prompt short), Gregorian for English (ISO ``2026-05-08``); Tehran time. The profile gives today in
both calendars, so the model can anchor either. Computed findings quote dates already worded as the
briefing words them («۱۸ اردیبهشت ۱۴۰۵» / "8 May 2026").
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep.inputs import InteractionFact, PrepInput
from ai.call_prep.occasions import occasions
from ai.call_prep.phrases import Language, Phrases, bank, quote
from ai.context import ContextRecord, ContextSection
from ai.text.calendar import format_numeric, to_tehran
from ai.text.persian import to_ascii_digits

BODY_CHARS: Final = 320
WITHHELD: Final = (
    "(withheld: this representative opted out of profiling; write no emotional or personality content)"
)
LANGUAGE_NAMES: Final[dict[Language, str]] = {"fa": "fa (Persian)", "en": "en (English)"}


def day(moment: dt.datetime, language: Language) -> str:
    """A record's date in the output language's calendar: ``1405/02/18`` (fa) or ``2026-05-08`` (en)."""
    return to_ascii_digits(format_numeric(moment, "fa")) if language == "fa" else format_numeric(moment, "en")


def _interaction(item: InteractionFact, ph: Phrases, *, feelings: bool) -> ContextRecord:
    local = to_tehran(item.occurred_at)
    parts = [
        f"{day(item.occurred_at, ph.language)} {ph.weekday(item.occurred_at)} {local:%H:%M}",
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
    words = quote(item.summary, 160)
    if item.body:
        words = f"{words} — {quote(item.body, BODY_CHARS)}" if words else quote(item.body, BODY_CHARS)
    return ContextRecord(" · ".join(parts) + f": {words or '(no note)'}", id=item.token)


def sections(inp: PrepInput, language: Language) -> dict[str, ContextSection | str]:
    """Template inputs keyed by the ``call_prep`` template's markers."""
    ph = bank(language)
    feelings = not inp.rep.profiling_opt_out
    now = inp.now
    tickets = [
        ContextRecord(
            f"{t.status} · {t.category} · {t.priority} · opened {day(t.opened_at, language)} · "
            f"SLA due {day(t.sla_due_at, language)}{' (BREACHED)' if t.breached(now) else ''}: "
            f"{quote(t.subject, 160)}",
            id=t.token,
        )
        for t in inp.tickets
    ]
    money = [
        ContextRecord(
            f"payment {day(p.paid_at, language)} · {p.amount_toman:,.0f} Toman · {p.method}",
            id=p.token,
        )
        for p in inp.payments
    ] + [
        ContextRecord(
            f"invoice {v.number} · {v.amount_toman:,.0f} Toman · "
            f"issued {day(v.issued_at, language)} · "
            f"due {day(v.due_at, language)} · {v.status}"
            f"{' (PAST DUE)' if v.unpaid_past_due(now) else ''}",
            id=v.token,
        )
        for v in inp.invoices
    ]
    usage = [
        ContextRecord(
            f"{day(u.taken_at, language)}: {u.active_users} active of {u.total_users} users",
            id=u.token,
        )
        for u in reversed(inp.usage)
    ]
    return {
        "language": LANGUAGE_NAMES[language],
        "profile": _profile(inp, ph),
        "findings": ContextSection("findings", 0, _findings(inp, ph)),
        "interactions": ContextSection(
            "interactions", 1, [_interaction(i, ph, feelings=feelings) for i in inp.interactions]
        ),
        "tickets": ContextSection("tickets", 1, tickets),
        "money": ContextSection("money", 2, money),
        "usage": ContextSection("usage", 3, usage),
        "emotions": ContextSection("emotions", 2, _emotions(inp)) if feelings else WITHHELD,
    }


def _profile(inp: PrepInput, ph: Phrases) -> str:
    rep, now = inp.rep, inp.now
    local = to_tehran(now)
    jalali, gregorian = day(now, "fa"), day(now, "en")
    lines = [
        f"name: {rep.full_name}; status: {rep.status}",
        f"city: {rep.city or '-'}; province: {rep.province or '-'}",
        f"plan: {rep.tier_name or '-'} (user limit {rep.tier_user_limit or '-'})",
        f"with us since: {ph.date(rep.joined_at) if rep.joined_at else 'unknown'}",
        f"assigned agent: {rep.assigned_agent_name or 'none'}",
        f"today in Tehran: {ph.date(now)} ({ph.weekday(now)}, {local:%H:%M}); "
        f"Jalali {jalali}, Gregorian {gregorian}",
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


def _findings(inp: PrepInput, ph: Phrases) -> list[ContextRecord]:
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
                f"grievance {g.kind}: {g.count} record(s), latest {ph.date(g.latest)} "
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
