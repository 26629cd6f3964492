"""Hand-built call prep inputs for the pure tests (no database). Holds no tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from ai.call_prep.inputs import (
    ArcSummary,
    ContactFact,
    InteractionFact,
    InvoiceFact,
    PaymentFact,
    PrepInput,
    RepProfile,
    TicketFact,
    UsageFact,
)
from ai.coaching import ArcEvent, compute_arc

NOW = dt.datetime(2026, 5, 10, 7, 30, tzinfo=dt.UTC)  # a Sunday morning in Tehran, 20 Ordibehesht 1405


def events(
    interactions: list[InteractionFact], tickets: list[TicketFact], payments: list[PaymentFact]
) -> list[ArcEvent]:
    """Arc events with tokens for ids, as the arc service's references become in call prep."""
    out = [
        ArcEvent(
            i.token,
            i.occurred_at,
            "interaction",
            score=i.score,
            direction="inbound" if i.direction == "inbound" else "outbound",
        )
        for i in interactions
    ]
    out += [ArcEvent(t.token, t.opened_at, "ticket", ticket_category=t.category) for t in tickets]
    out += [ArcEvent(p.token, p.paid_at, "payment") for p in payments]
    return out


def days_ago(days: float, hour_utc: int = 7) -> dt.datetime:
    return (NOW - dt.timedelta(days=days)).replace(hour=hour_utc, minute=0)


def profile(**changes: object) -> RepProfile:
    base = RepProfile(
        id=1,
        code="REP-0100",
        full_name="علی رضایی",
        status="active",
        city="مشهد",
        joined_at=dt.datetime(2024, 9, 1, tzinfo=dt.UTC),
        tier_name="حرفه‌ای",
        tier_user_limit=100,
        tier_monthly_price=Decimal(3_900_000),
        assigned_agent_name="سارا",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def troubled_rep(**changes: object) -> PrepInput:
    """A representative with an outage, a late ticket, an overdue invoice, falling usage and talk of leaving."""
    interactions = [
        InteractionFact(110, days_ago(2), "telegram", "inbound", "complaint", "قطعی دوباره روی ایرانسل",
                        "از دیشب کاربرهام روی ایرانسل وصل نمی‌شن، اگه درست نشه میرم سراغ یه پنل دیگه",
                        -0.8, ("outage_report", "threat_to_leave"), ("anger", "frustration"), True),
        InteractionFact(109, days_ago(9), "call", "outbound", "no_answer", "پاسخ نداد", None),
        InteractionFact(108, days_ago(12), "call", "outbound", "promised_payment", "یادآوری فاکتور فروردین",
                        "گفت تا آخر هفته پرداخت می‌کنه", 0.1, (), (), None),
        InteractionFact(107, days_ago(20), "telegram", "inbound", "complaint", "کندی شبانه روی ایرانسل",
                        "سرعت شب‌ها روی ایرانسل خیلی افتضاحه، شما هم که جواب نمیدید", -0.7,
                        ("slow_connection", "support_delay"), ("frustration",), True),
        InteractionFact(106, days_ago(40), "telegram", "inbound", "resolved", "تشکر بابت پیگیری",
                        "خیلی ممنون از پیگیری سریعتون، مشکل حل شد", 0.8, ("praise_agent",), ("gratitude",), True),
        InteractionFact(105, days_ago(70), "call", "inbound", "upsell_interest", "سوال درباره پلن سازمانی",
                        "شما پلن بزرگ‌تری هم دارید؟ مشتری‌هام دارن زیاد میشن", 0.5, ("upsell_signal",),
                        ("satisfaction",), True),
    ]  # fmt: skip
    tickets = [
        TicketFact(45, "connectivity", "high", "in_progress", "قطعی کانفیگ‌ها روی ایرانسل", days_ago(3),
                   days_ago(3) + dt.timedelta(hours=12)),
        TicketFact(44, "billing", "normal", "resolved", "کسر دوباره از کیف پول", days_ago(50),
                   days_ago(48), days_ago(49)),
    ]  # fmt: skip
    payments = [
        PaymentFact(9, Decimal(3_900_000), days_ago(75), "card"),
        PaymentFact(8, Decimal(3_900_000), days_ago(105), "card"),
        PaymentFact(7, Decimal(3_900_000), days_ago(135), "card"),
    ]
    invoices = [InvoiceFact(3, "INV-1405-003", Decimal(3_900_000), days_ago(30), days_ago(16), "overdue")]
    usage = [
        UsageFact(70 + n, days_ago(7 * (7 - n)), active, active + 10)
        for n, active in enumerate([80, 78, 74, 70, 66, 60, 55, 52])
    ]
    contacts = [
        ContactFact(200 + n, days_ago(7 * n + 1, hour_utc=6), "reached", "call", "outbound") for n in range(8)
    ] + [
        ContactFact(300 + n, days_ago(7 * n + 2, hour_utc=13), "no_answer", "call", "outbound")
        for n in range(4)
    ]
    arc = ArcSummary.of(compute_arc(events(interactions, tickets, payments)))
    inp = PrepInput(
        rep=profile(),
        now=NOW,
        interactions=tuple(interactions),
        interaction_total=len(interactions),
        tickets=tuple(tickets),
        payments=tuple(payments),
        invoices=tuple(invoices),
        usage=tuple(usage),
        contacts=tuple(contacts),
        arc=arc,
    )
    return replace(inp, **changes)  # type: ignore[arg-type]


def new_rep() -> PrepInput:
    return PrepInput(rep=profile(code="REP-0200", full_name="مریم احمدی", joined_at=NOW), now=NOW)
