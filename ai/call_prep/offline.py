"""The offline engine: a deterministic briefing worded from the findings, in Persian or English.

Same input and language, same briefing. The findings decide what is said and which records each item
cites; the phrase bank of the requested language (:mod:`ai.call_prep.phrases`) only words it, so the
Persian and the English briefing of one representative cite the same records. Every sentence names the
records it comes from; a section with nothing to say stays empty rather than being padded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ai.call_prep import analysis as an
from ai.call_prep import facts
from ai.call_prep.facts import item
from ai.call_prep.inputs import InteractionFact, PrepInput, TicketFact
from ai.call_prep.occasions import no_sales_today, occasions
from ai.call_prep.phrases import (
    CHURN_CUES,
    CHURN_HINT_CUES,
    INTEREST_CUES,
    Language,
    Phrases,
    bank,
    quote,
    quote_around,
)
from ai.call_prep.schema import NOTICE_NO_SALES_TODAY, NOTICE_ONBOARDING, Briefing, BriefingItem, Notice
from ai.call_prep.sections_feel import avoid, emotional_state, empathy_prompts, pleased

ENGINE: Final = "offline"
MAX_TALKING_POINTS: Final = 5
MIN_TALKING_POINTS: Final = 3
LEAD_GRIEVANCE_DAYS: Final = 30  # a grievance this recent is acknowledged before any business
MAX_QUESTIONS: Final = 5
COMPLAINT_DAYS: Final = 60
REPEATED_COMPLAINTS: Final = 2
PROMISE_DAYS: Final = 30
Hold = Literal["no_sales", "fix_first"]


@dataclass(frozen=True, slots=True)
class Findings:
    grievances: list[an.Grievance]
    trend: an.UsageTrend
    paid: an.Payments
    gap_days: float | None
    open_tickets: list[TicketFact]
    churn_talk: list[InteractionFact]
    """They talked about leaving or a competitor."""
    churn_hints: list[InteractionFact]
    """Words pointing at churn without talk of leaving (customers leaving, losses, money back)."""
    interest: list[InteractionFact]
    promises: list[InteractionFact]
    no_answer: list[InteractionFact]
    no_sales: bool

    @classmethod
    def of(cls, inp: PrepInput) -> Findings:
        paid = an.payments(inp)
        return cls(
            grievances=an.grievances(inp),
            trend=an.usage_trend(inp),
            paid=paid,
            gap_days=an.payment_gap(inp, paid),
            open_tickets=an.open_tickets(inp),
            churn_talk=an.with_signals(inp, an.LEAVING_SIGNALS, an.SIGNAL_DAYS),
            churn_hints=an.churn_hints(inp),
            interest=list(
                {
                    i.token: i
                    for i in an.with_signals(inp, an.INTEREST_SIGNALS, an.INTEREST_DAYS)
                    + an.with_outcome(inp, ("upsell_interest",), an.INTEREST_DAYS)
                    if an.wholehearted(i)
                }.values()
            ),
            promises=an.with_outcome(inp, ("promised_payment", "follow_up"), PROMISE_DAYS),
            no_answer=an.no_answer_streak(inp),
            no_sales=no_sales_today(occasions(inp.now)),
        )


def risks(inp: PrepInput, f: Findings, ph: Phrases) -> list[BriefingItem]:
    now, out = inp.now, []
    for said in f.churn_talk[:2]:
        words = quote_around(said.words, CHURN_CUES)
        out.append(
            item(ph.risk_churn_talk.format(when=ph.when(said.occurred_at, now), words=words), [said.token])
        )
    for said in f.churn_hints[: max(0, 2 - len(f.churn_talk))]:
        words = quote_around(said.words, CHURN_HINT_CUES)
        out.append(
            item(ph.risk_churn_hint.format(when=ph.when(said.occurred_at, now), words=words), [said.token])
        )
    if f.trend.change_pct is not None and f.trend.change_pct <= an.USAGE_DROP_PCT and f.trend.first:
        assert f.trend.latest is not None
        text = ph.risk_usage_drop.format(
            weeks=ph.count(f.trend.weeks, "week"),
            first=ph.num(f.trend.first.active_users),
            latest=ph.num(f.trend.latest.active_users),
            change=ph.signed_pct(f.trend.change_pct),
        )
        out.append(item(text, f.trend.evidence))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(now)]
    for invoice in overdue[:2]:
        text = ph.risk_overdue.format(
            number=invoice.number, amount=ph.toman(invoice.amount_toman), when=ph.when(invoice.due_at, now)
        )
        out.append(item(text, [invoice.token]))
    if f.gap_days is not None and f.paid.usual_gap_days is not None and inp.payments:
        text = ph.risk_payment_gap.format(
            days=ph.count(round(f.gap_days), "day"), usual=ph.count(round(f.paid.usual_gap_days), "day")
        )
        out.append(item(text, an.tokens(inp.payments[:3])))
    breached = [t for t in f.open_tickets if t.breached(now)]
    if breached:
        subjects = ph.join([f"«{quote(t.subject, 50)}»" for t in breached[:2]])
        text = ph.risk_breached.format(count=ph.count(len(breached), "open_ticket"), subjects=subjects)
        out.append(item(text, an.tokens(breached)))
    if f.no_answer:
        text = ph.risk_no_answer.format(
            count=ph.count(len(f.no_answer), "call"), when=ph.when(f.no_answer[0].occurred_at, now)
        )
        out.append(item(text, an.tokens(f.no_answer)))
    complaints = an.with_outcome(inp, ("complaint",), COMPLAINT_DAYS)
    if len(complaints) >= REPEATED_COMPLAINTS:
        text = ph.risk_complaints.format(
            days=ph.num(COMPLAINT_DAYS), count=ph.count(len(complaints), "complaint")
        )
        out.append(item(text, an.tokens(complaints)))
    arc = inp.arc
    if arc is not None and arc.trend_direction == "declining" and (arc.current or 0) < -0.1:
        out.append(item(ph.risk_mood.format(mood=ph.mood(arc.current or 0)), arc.trend_evidence))
    return out


def _hold(inp: PrepInput, f: Findings) -> Hold | None:
    """Why no pitch should be made today, if there is a reason."""
    if f.no_sales:
        return "no_sales"
    if any(t.breached(inp.now) for t in f.open_tickets) or f.churn_talk or inp.rep.status != "active":
        return "fix_first"
    return None


def opportunities(inp: PrepInput, f: Findings, ph: Phrases) -> list[BriefingItem]:
    out: list[BriefingItem] = []
    hold = {"no_sales": ph.hold_no_sales, "fix_first": ph.hold_fix_first, None: None}[_hold(inp, f)]
    trend, limit = f.trend, inp.rep.tier_user_limit
    if trend.latest and trend.limit_share is not None and limit and trend.limit_share >= an.NEAR_LIMIT_SHARE:
        text = ph.offer_near_limit.format(
            used=ph.num(trend.latest.total_users),
            limit=ph.num(limit),
            share=ph.pct(round(trend.limit_share * 100)),
        )
        out.append(item(text, trend.evidence, pitch=hold or ph.pitch_near_limit))
    for said in f.interest[:2]:
        words = quote_around(said.words, INTEREST_CUES)
        text = ph.offer_interest.format(when=ph.when(said.occurred_at, inp.now), words=words)
        out.append(item(text, [said.token], pitch=hold or ph.pitch_interest))
    if trend.change_pct is not None and trend.change_pct >= an.USAGE_GROWTH_PCT and trend.first:
        text = ph.offer_growth.format(
            weeks=ph.count(trend.weeks, "week"), change=ph.signed_pct(trend.change_pct)
        )
        out.append(item(text, trend.evidence, pitch=hold or ph.pitch_growth))
    return out


def talking_points(inp: PrepInput, f: Findings, ph: Phrases) -> list[BriefingItem]:
    now, out = inp.now, []
    if inp.rep.status != "active":
        state = ph.rep_statuses.get(inp.rep.status, inp.rep.status)
        out.append(item(ph.point_status.format(state=state), purpose=ph.purpose_status))
    lead = [g for g in f.grievances if g.latest >= an.since(now, LEAD_GRIEVANCE_DAYS)]
    if lead and not inp.rep.profiling_opt_out:
        g = lead[0]
        text = ph.point_grievance.format(grievance=ph.grievance_names[g.kind], date=ph.day_month(g.latest))
        out.append(item(text, g.evidence, purpose=ph.purpose_grievance))
    for ticket in f.open_tickets[:2]:
        state = (
            ph.sla_breached if ticket.breached(now) else ph.sla_due.format(when=ph.date(ticket.sla_due_at))
        )
        text = ph.point_ticket.format(subject=quote(ticket.subject, 60), state=state)
        out.append(item(text, [ticket.token], purpose=ph.purpose_ticket))
    for promise in f.promises[:1]:
        text = ph.point_promise.format(
            when=ph.when(promise.occurred_at, now),
            outcome=ph.outcomes.get(promise.outcome or "", ""),
            note=quote(promise.text, 70),
        )
        out.append(item(text, [promise.token], purpose=ph.purpose_promise))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(now)]
    if overdue:
        text = ph.point_invoice.format(number=overdue[0].number, amount=ph.toman(overdue[0].amount_toman))
        out.append(item(text, an.tokens(overdue), purpose=ph.purpose_invoice))
    if f.trend.change_pct is not None and f.trend.change_pct <= an.USAGE_DROP_PCT:
        text = ph.point_usage_drop.format(change=ph.signed_pct(f.trend.change_pct))
        out.append(item(text, f.trend.evidence, purpose=ph.purpose_usage_drop))
    if _hold(inp, f) is None and (offers := opportunities(inp, f, ph)):
        evidence = [e.token for e in offers[0].evidence]
        out.append(item(ph.point_offer.format(offer=offers[0].text), evidence, purpose=ph.purpose_offer))
    if len(out) < MIN_TALKING_POINTS:
        out += _fillers(inp, len(out), ph)
    return out[:MAX_TALKING_POINTS]


def _fillers(inp: PrepInput, have: int, ph: Phrases) -> list[BriefingItem]:
    """Points that always make sense for this representative, grounded where data exists."""
    if not inp.has_history:
        return [item(text, purpose=purpose) for text, purpose in ph.onboarding_points][
            : MIN_TALKING_POINTS - have
        ]
    out: list[BriefingItem] = []
    last = inp.interactions[0] if inp.interactions else None
    if last is not None:
        text = ph.point_last_contact.format(date=ph.day_month(last.occurred_at), note=quote(last.text, 60))
        out.append(item(text, [last.token], purpose=ph.purpose_last_contact))
    if inp.usage:
        latest = inp.usage[-1]
        text = ph.point_usage.format(active=ph.num(latest.active_users))
        out.append(item(text, [latest.token], purpose=ph.purpose_usage))
    if inp.payments:
        text = ph.point_payment.format(date=ph.date(inp.payments[0].paid_at))
        out.append(item(text, [inp.payments[0].token], purpose=ph.purpose_payment))
    out.append(item(ph.point_plans, purpose=ph.purpose_plans))
    return out[: MIN_TALKING_POINTS - have]


def questions(inp: PrepInput, f: Findings, ph: Phrases) -> list[BriefingItem]:
    out: list[BriefingItem] = []
    outage = next((g for g in f.grievances if g.kind == "outage"), None)
    if outage is not None:
        trouble = an.operator_trouble(inp)
        on = (
            ph.ask_outage_on.format(operator=ph.operators.get(trouble.operator, trouble.operator))
            if trouble
            else ""
        )
        out.append(item(ph.ask_outage.format(on=on, date=ph.day_month(outage.latest)), outage.evidence))
    if f.trend.change_pct is not None and f.trend.change_pct <= an.USAGE_DROP_PCT:
        out.append(item(ph.ask_usage_drop, f.trend.evidence))
    if f.trend.limit_share is not None and f.trend.limit_share >= an.NEAR_LIMIT_SHARE:
        out.append(item(ph.ask_growth_plans, f.trend.evidence))
    waiting = [t for t in f.open_tickets if t.status == "waiting_rep"]
    if waiting:
        out.append(item(ph.ask_ticket_info.format(subject=quote(waiting[0].subject, 50)), [waiting[0].token]))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(inp.now)]
    if overdue:
        out.append(item(ph.ask_invoice.format(number=overdue[0].number), [overdue[0].token]))
    if f.churn_talk:
        out.append(item(ph.ask_stay, [f.churn_talk[0].token]))
    if not inp.has_history:
        out.append(item(ph.ask_new_users))
        out.append(item(ph.ask_new_channel))
    if len(out) < 2 and inp.interactions:
        out.append(item(ph.ask_anything_wrong, [inp.interactions[0].token]))
    return out[:MAX_QUESTIONS]


def brief(inp: PrepInput, language: Language = "fa") -> Briefing:
    """The whole briefing from the data alone, worded in ``language``."""
    ph = bank(language)
    f = Findings.of(inp)
    feel = not inp.rep.profiling_opt_out
    register = an.register(inp) if feel else None
    notices: list[Notice] = []
    if not inp.has_history:
        notices.append(NOTICE_ONBOARDING)
    if f.no_sales:
        notices.append(NOTICE_NO_SALES_TODAY)
    return Briefing(
        at_a_glance=facts.at_a_glance(inp, ph),
        summary=facts.summary(inp, ph),
        emotional_state=emotional_state(inp, ph) if feel else [],
        avoid=avoid(inp, ph) if feel else [],
        pleased=pleased(inp, ph) if feel else [],
        talking_points=talking_points(inp, f, ph),
        empathy_prompts=empathy_prompts(f.grievances, register.preferred, ph) if register else [],
        risks=risks(inp, f, ph),
        opportunities=opportunities(inp, f, ph),
        cultural_notes=facts.cultural_notes(inp, ph, register),
        best_time=facts.best_time(inp, ph),
        questions=questions(inp, f, ph),
        notices=notices,
    )
