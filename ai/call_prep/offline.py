"""The offline engine: a deterministic briefing in natural Persian, worded from the findings.

Same input, same briefing. Every sentence names the records it comes from; a section with nothing
to say stays empty rather than being padded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep import facts
from ai.call_prep import phrases as ph
from ai.call_prep.facts import item
from ai.call_prep.inputs import InteractionFact, PrepInput, TicketFact
from ai.call_prep.occasions import no_sales_today, occasions
from ai.call_prep.schema import NOTICE_NO_SALES_TODAY, NOTICE_ONBOARDING, Briefing, BriefingItem, Notice
from ai.call_prep.sections_feel import avoid, emotional_state, empathy_prompts, pleased

ENGINE: Final = "offline"
MAX_TALKING_POINTS: Final = 5
MIN_TALKING_POINTS: Final = 3
LEAD_GRIEVANCE_DAYS: Final = 30  # a grievance this recent is acknowledged before any business
MAX_QUESTIONS: Final = 5


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
            interest=[
                i
                for i in an.with_signals(inp, an.INTEREST_SIGNALS, an.INTEREST_DAYS)
                + an.with_outcome(inp, ("upsell_interest",), an.INTEREST_DAYS)
                if an.wholehearted(i)
            ],
            promises=an.with_outcome(inp, ("promised_payment", "follow_up"), 30),
            no_answer=an.no_answer_streak(inp),
            no_sales=no_sales_today(occasions(inp.now)),
        )


def risks(inp: PrepInput, f: Findings) -> list[BriefingItem]:
    now, out = inp.now, []
    for said in f.churn_talk[:2]:
        words = ph.quote_around(said.words, ph.CHURN_CUES)
        text = f"در {ph.when(said.occurred_at, now)} از رفتن یا سرویس دیگر حرف زد: «{words}»"
        out.append(item(text, [said.token]))
    for said in f.churn_hints[: max(0, 2 - len(f.churn_talk))]:
        words = ph.quote_around(said.words, ph.CHURN_HINT_CUES)
        text = f"در {ph.when(said.occurred_at, now)} نشانهٔ ریزش در حرفش بود: «{words}»"
        out.append(item(text, [said.token]))
    if f.trend.change_pct is not None and f.trend.change_pct <= an.USAGE_DROP_PCT and f.trend.first:
        assert f.trend.latest is not None
        text = (
            f"کاربران فعال در {ph.num(f.trend.weeks)} هفته از {ph.num(f.trend.first.active_users)} "
            f"به {ph.num(f.trend.latest.active_users)} رسیده ({ph.signed_pct(f.trend.change_pct)})؛ "
            "نشانهٔ ریزش است."
        )
        out.append(item(text, f.trend.evidence))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(now)]
    for invoice in overdue[:2]:
        text = (
            f"فاکتور {invoice.number} ({ph.toman(invoice.amount_toman)}) از "
            f"{ph.when(invoice.due_at, now)} سررسید گذشته."
        )
        out.append(item(text, [invoice.token]))
    if f.gap_days is not None and f.paid.usual_gap_days is not None and inp.payments:
        text = (
            f"{ph.num(f.gap_days)} روز است پرداختی نکرده، در حالی که معمولاً هر "
            f"{ph.num(round(f.paid.usual_gap_days))} روز پرداخت می‌کرد."
        )
        out.append(item(text, an.tokens(inp.payments[:3])))
    breached = [t for t in f.open_tickets if t.breached(now)]
    if breached:
        subjects = "، ".join(f"«{ph.quote(t.subject, 50)}»" for t in breached[:2])
        text = (
            f"{ph.num(len(breached))} تیکت باز از مهلت گذشته ({subjects})؛ هر روز تأخیر اعتماد را کم می‌کند."
        )
        out.append(item(text, an.tokens(breached)))
    if f.no_answer:
        text = (
            f"{ph.num(len(f.no_answer))} تماس آخر ما بی‌پاسخ مانده (آخرین: "
            f"{ph.when(f.no_answer[0].occurred_at, now)})."
        )
        out.append(item(text, an.tokens(f.no_answer)))
    complaints = an.with_outcome(inp, ("complaint",), 60)
    if len(complaints) >= 2:
        text = f"در ۶۰ روز گذشته {ph.num(len(complaints))} بار شکایت ثبت شده."
        out.append(item(text, an.tokens(complaints)))
    arc = inp.arc
    if arc is not None and arc.trend_direction == "declining" and (arc.current or 0) < -0.1:
        text = f"حال‌وهوای پیام‌هایش در ۹۰ روز رو به افت بوده (اکنون {ph.mood(arc.current or 0)})."
        out.append(item(text, arc.trend_evidence))
    return out


def opportunities(inp: PrepInput, f: Findings) -> list[BriefingItem]:
    out: list[BriefingItem] = []
    hold = (
        "امروز زمان پیشنهاد فروش نیست؛ فقط یادداشت کنید و بعداً مطرح کنید."
        if f.no_sales
        else "اول مشکل باز را حل کنید؛ پیشنهاد وقتی شنیده می‌شود که اعتماد برگشته باشد."
        if any(t.breached(inp.now) for t in f.open_tickets) or f.churn_talk or inp.rep.status != "active"
        else None
    )
    trend, limit = f.trend, inp.rep.tier_user_limit
    if trend.latest and trend.limit_share is not None and limit and trend.limit_share >= an.NEAR_LIMIT_SHARE:
        text = (
            f"{ph.num(trend.latest.total_users)} کاربر از سقف {ph.num(limit)} کاربرِ پلن فعلی "
            f"({ph.num(round(trend.limit_share * 100))}٪) پر شده."
        )
        pitch = hold or (
            "اگر رشدشان ادامه دارد، پلن بالاتر را با قیمت و سقف واقعی‌اش معرفی کنید؛ "
            "اگر فعلاً نیازی نمی‌بینند، اصرار نکنید."
        )
        out.append(item(text, trend.evidence, pitch=pitch))
    for said in f.interest[:2]:
        words = ph.quote_around(said.words, ph.INTEREST_CUES)
        text = f"در {ph.when(said.occurred_at, inp.now)} علاقه نشان داد: «{words}»"
        pitch = hold or "همان چیزی را که خودش خواسته دقیق پیشنهاد دهید، با هزینهٔ واقعی و بدون عجله‌انداختن."
        out.append(item(text, [said.token], pitch=pitch))
    if trend.change_pct is not None and trend.change_pct >= an.USAGE_GROWTH_PCT and trend.first:
        text = f"کاربران فعال در {ph.num(trend.weeks)} هفته {ph.signed_pct(trend.change_pct)} رشد کرده."
        pitch = hold or (
            "رشدشان را تبریک بگویید و بپرسید برای ادامه‌اش به چه نیاز دارند؛ پیشنهاد فقط اگر به کارشان بیاید."
        )
        out.append(item(text, trend.evidence, pitch=pitch))
    return out


def talking_points(inp: PrepInput, f: Findings) -> list[BriefingItem]:
    now, out = inp.now, []
    if inp.rep.status != "active":
        state = {"paused": "متوقف", "churned": "جداشده"}.get(inp.rep.status, inp.rep.status)
        text = f"در CRM «{state}» ثبت شده: هدف این تماس بازگرداندن اعتماد است، نه فروش."
        out.append(item(text, purpose="بازگرداندن رابطه"))
    lead = [g for g in f.grievances if g.latest >= an.since(now, LEAD_GRIEVANCE_DAYS)]
    if lead and not inp.rep.profiling_opt_out:
        g = lead[0]
        text = (
            f"اول {ph.GRIEVANCE_NAMES[g.kind]} ({ph.day_month(g.latest)}) را به رسمیت بشناسید، بعد سراغ "
            "کار بروید."
        )
        out.append(item(text, g.evidence, purpose="همدلی و ترمیم اعتماد"))
    for ticket in f.open_tickets[:2]:
        state = "مهلتش گذشته" if ticket.breached(now) else f"مهلت تا {ph.date(ticket.sla_due_at)}"
        text = f"وضعیت تیکت «{ph.quote(ticket.subject, 60)}» ({state}) و قدم بعدی را روشن بگویید."
        out.append(item(text, [ticket.token], purpose="پیگیری تعهد باز"))
    for promise in f.promises[:1]:
        outcome = ph.OUTCOMES.get(promise.outcome or "", "")
        text = (
            f"پیگیری ارتباط {ph.when(promise.occurred_at, now)} ({outcome}): «{ph.quote(promise.text, 70)}»"
        )
        out.append(item(text, [promise.token], purpose="بستن کار نیمه‌تمام"))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(now)]
    if overdue:
        text = (
            f"یادآوری محترمانهٔ فاکتور {overdue[0].number} ({ph.toman(overdue[0].amount_toman)}) و "
            "پرسیدن زمان مناسب تسویه."
        )
        out.append(item(text, an.tokens(overdue), purpose="تسویه بدون فشار"))
    if f.trend.change_pct is not None and f.trend.change_pct <= an.USAGE_DROP_PCT:
        text = f"علت کاهش کاربران فعال ({ph.signed_pct(f.trend.change_pct)}) را بپرسید."
        out.append(item(text, f.trend.evidence, purpose="شناخت ریسک ریزش"))
    if (
        not f.no_sales
        and (offers := opportunities(inp, f))
        and offers[0].pitch
        and "اول مشکل" not in offers[0].pitch
    ):
        out.append(
            item(f"فرصت: {offers[0].text}", [e.token for e in offers[0].evidence], purpose="رشد هر دو طرف")
        )
    if len(out) < MIN_TALKING_POINTS:
        out += _fillers(inp, len(out))
    return out[:MAX_TALKING_POINTS]


def _fillers(inp: PrepInput, have: int) -> list[BriefingItem]:
    """Points that always make sense for this representative, grounded where data exists."""
    if not inp.has_history:
        return [
            item(
                "خودتان را به‌عنوان کارشناس مسئول معرفی کنید و راه‌های ارتباط با پشتیبانی را بگویید.",
                purpose="شروع رابطه",
            ),
            item(
                "بپرسید پنل و اولین کانفیگ‌ها درست راه افتاده یا کمک لازم دارند.", purpose="راه‌اندازی بی‌دردسر"
            ),
            item("کانال و ساعت ترجیحی‌شان برای تماس را بپرسید و ثبت کنید.", purpose="ارتباط در زمان مناسب"),
        ][: MIN_TALKING_POINTS - have]
    out: list[BriefingItem] = []
    last = inp.interactions[0] if inp.interactions else None
    if last is not None:
        text = f"از نتیجهٔ ارتباط قبلی ({ph.day_month(last.occurred_at)}: «{ph.quote(last.text, 60)}») بپرسید."
        out.append(item(text, [last.token], purpose="پیوستگی"))
    if inp.usage:
        latest = inp.usage[-1]
        text = f"بپرسید {ph.num(latest.active_users)} کاربر فعالشان این روزها از کیفیت اتصال راضی‌اند یا نه."
        out.append(item(text, [latest.token], purpose="سنجش رضایت کاربران"))
    if inp.payments:
        text = f"از روال پرداخت (آخرین: {ph.date(inp.payments[0].paid_at)}) بپرسید که راحت است یا مشکلی دارد."
        out.append(item(text, [inp.payments[0].token], purpose="روان‌کردن کار مالی"))
    out.append(
        item("بپرسید برای ماه آینده چه برنامه‌ای دارند و ما چه کمکی می‌توانیم بکنیم.", purpose="شناخت نیاز")
    )
    return out[: MIN_TALKING_POINTS - have]


def questions(inp: PrepInput, f: Findings) -> list[BriefingItem]:
    out: list[BriefingItem] = []
    outage = next((g for g in f.grievances if g.kind == "outage"), None)
    if outage is not None:
        trouble = an.operator_trouble(inp)
        on = f" روی {trouble.operator}" if trouble else ""
        out.append(
            item(
                f"الان اتصال کاربرانتان{on} چطور است؟ از {ph.day_month(outage.latest)} به بعد بهتر شده؟",
                outage.evidence,
            )
        )
    if f.trend.change_pct is not None and f.trend.change_pct <= an.USAGE_DROP_PCT:
        out.append(item("کاهش کاربرانتان از کجاست؛ فصلی است، مشکل کیفیت است یا رقیب؟", f.trend.evidence))
    if f.trend.limit_share is not None and f.trend.limit_share >= an.NEAR_LIMIT_SHARE:
        out.append(item("برای ماه آینده چند کاربر تازه پیش‌بینی می‌کنید؟", f.trend.evidence))
    waiting = [t for t in f.open_tickets if t.status == "waiting_rep"]
    if waiting:
        text = f"اطلاعاتی که برای تیکت «{ph.quote(waiting[0].subject, 50)}» لازم داریم آماده است؟"
        out.append(item(text, [waiting[0].token]))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(inp.now)]
    if overdue:
        out.append(
            item(f"برای تسویهٔ فاکتور {overdue[0].number} چه زمانی برایتان مناسب است؟", [overdue[0].token])
        )
    if f.churn_talk:
        out.append(item("چه چیزی باید عوض شود تا با خیال راحت با ما بمانید؟", [f.churn_talk[0].token]))
    if not inp.has_history:
        out.append(item("چند کاربر دارید و بیشتر روی کدام اپراتورها هستند؟"))
        out.append(item("از چه کانالی و چه ساعتی راحت‌تر جواب می‌دهید؟"))
    if len(out) < 2 and inp.interactions:
        last = inp.interactions[0]
        out.append(item("از آخرین باری که صحبت کردیم، چیزی هست که اذیتتان کرده باشد؟", [last.token]))
    return out[:MAX_QUESTIONS]


def brief(inp: PrepInput) -> Briefing:
    """The whole briefing from the data alone."""
    f = Findings.of(inp)
    feel = not inp.rep.profiling_opt_out
    register = an.register(inp) if feel else None
    notices: list[Notice] = []
    if not inp.has_history:
        notices.append(NOTICE_ONBOARDING)
    if f.no_sales:
        notices.append(NOTICE_NO_SALES_TODAY)
    return Briefing(
        at_a_glance=facts.at_a_glance(inp),
        summary=facts.summary(inp),
        emotional_state=emotional_state(inp) if feel else [],
        avoid=avoid(inp) if feel else [],
        pleased=pleased(inp) if feel else [],
        talking_points=talking_points(inp, f),
        empathy_prompts=empathy_prompts(inp, f.grievances, register.preferred) if register else [],
        risks=risks(inp, f),
        opportunities=opportunities(inp, f),
        cultural_notes=facts.cultural_notes(inp, register),
        best_time=facts.best_time(inp),
        questions=questions(inp, f),
        notices=notices,
    )
