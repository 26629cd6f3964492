"""Sections computed from the data by both engines: at a glance, summary, cultural notes, best time.

These are facts and statistics, so no model writes them; the LLM engine adds its narrative sections
around them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from ai.call_prep import analysis as an
from ai.call_prep import phrases as ph
from ai.call_prep.inputs import PrepInput
from ai.call_prep.occasions import occasions
from ai.call_prep.schema import BriefingItem, ref

LAST_CONTACTS: Final = 3


def item(text: str, evidence: tuple[str, ...] | list[str] = (), **extra: str | None) -> BriefingItem:
    return BriefingItem(text=text, evidence=[ref(t) for t in evidence], **extra)


def at_a_glance(inp: PrepInput) -> list[BriefingItem]:
    rep, now = inp.rep, inp.now
    out: list[BriefingItem] = []
    if rep.tier_name:
        limit = f"، سقف {ph.num(rep.tier_user_limit)} کاربر" if rep.tier_user_limit else ""
        price = f"، {ph.toman(rep.tier_monthly_price)} در ماه" if rep.tier_monthly_price else ""
        out.append(item(f"پلن: {rep.tier_name}{limit}{price}"))
    else:
        out.append(item("پلن: ثبت نشده"))
    start = rep.joined_at or rep.created_at
    if start is not None:
        out.append(item(f"سابقه: از {ph.date(start)} ({ph.tenure(start, now)})"))
    status = {"active": "فعال", "paused": "متوقف", "churned": "جداشده"}.get(rep.status, rep.status)
    agent = rep.assigned_agent_name or "تعیین نشده"
    out.append(item(f"وضعیت: {status} · کارشناس مسئول: {agent}"))
    if inp.interactions:
        last = inp.interactions[0]
        channel = ph.CHANNELS.get(last.channel, last.channel)
        out.append(item(f"آخرین ارتباط: {ph.when(last.occurred_at, now)}، {channel}", [last.token]))
    else:
        out.append(item("آخرین ارتباط: هنوز هیچ ارتباطی ثبت نشده"))
    paid = an.payments(inp)
    if paid.count:
        text = f"پرداخت‌های ۹۰ روز اخیر: {ph.toman(paid.total)} در {ph.num(paid.count)} نوبت"
        out.append(item(text, paid.evidence))
    elif inp.payments:
        last_payment = inp.payments[0]
        text = f"پرداخت‌های ۹۰ روز اخیر: هیچ؛ آخرین پرداخت {ph.when(last_payment.paid_at, now)}"
        out.append(item(text, [last_payment.token]))
    else:
        out.append(item("پرداخت‌های ۹۰ روز اخیر: هیچ پرداختی ثبت نشده"))
    trend = an.usage_trend(inp)
    if trend.latest is not None:
        text = f"کاربران فعال: {ph.num(trend.latest.active_users)} از {ph.num(trend.latest.total_users)}"
        if trend.change_pct is not None:
            text += f" ({ph.signed_pct(trend.change_pct)} در {ph.num(trend.weeks)} هفته)"
        out.append(item(text, trend.evidence))
    else:
        out.append(item("مصرف: داده‌ای از پنل نرسیده"))
    tickets = an.open_tickets(inp)
    if tickets:
        breached = [t for t in tickets if t.breached(now)]
        text = f"تیکت‌های باز: {ph.num(len(tickets))}"
        if breached:
            text += f"، {ph.num(len(breached))} مورد گذشته از مهلت"
        first = tickets[0]
        state = "مهلتش گذشته" if first.breached(now) else f"مهلت تا {ph.when(first.sla_due_at, now)}"
        text += (
            f" — «{ph.quote(first.subject, 60)}» ({ph.TICKET_STATUS.get(first.status, first.status)}، "
            f"{state})"
        )
        out.append(item(text, an.tokens(tickets)))
    else:
        out.append(item("تیکت باز: ندارد"))
    overdue = [v for v in inp.invoices if v.unpaid_past_due(now)]
    if overdue:
        total = sum((v.amount_toman for v in overdue), Decimal(0))
        text = f"فاکتور معوق: {ph.num(len(overdue))} فاکتور، جمعاً {ph.toman(total)}"
        out.append(item(text, an.tokens(overdue)))
    return out


def summary(inp: PrepInput) -> list[BriefingItem]:
    rep, now = inp.rep, inp.now
    if not inp.has_history:
        where = f" در {rep.city}" if rep.city else ""
        return [
            item(
                f"{rep.full_name}{where} نمایندهٔ تازه است و هنوز سابقه‌ای با ما ندارد؛ "
                "این تماس شروع رابطه است."
            )
        ]
    start = an.since(now, 90)
    recent = [i for i in inp.interactions if i.occurred_at >= start]
    tickets = [t for t in inp.tickets if t.opened_at >= start]
    paid = an.payments(inp)
    parts = [rep.full_name]
    if rep.tier_name:
        parts.append(f"نمایندهٔ پلن {rep.tier_name}")
    if rep.city:
        parts.append(f"در {rep.city}")
    head = "، ".join(parts)
    joined = rep.joined_at or rep.created_at
    since_text = f"، از {ph.date(joined)} با ماست" if joined else ""
    total = (
        f" (از {ph.num(inp.interaction_total)} تعامل در کل)" if inp.interaction_total > len(recent) else ""
    )
    text = (
        f"{head}{since_text}. در ۹۰ روز گذشته {ph.num(len(recent))} تعامل{total}، "
        f"{ph.num(len(tickets))} تیکت و {ph.num(paid.count)} پرداخت ثبت شده."
    )
    out = [item(text, an.tokens([*recent[:2], *tickets[:2], *inp.payments[:2]]))]
    for last in inp.interactions[:LAST_CONTACTS]:
        channel = ph.CHANNELS.get(last.channel, last.channel)
        direction = "از طرف نماینده" if last.direction == "inbound" else "از طرف ما"
        outcome = f" — {ph.OUTCOMES[last.outcome]}" if last.outcome in ph.OUTCOMES else ""
        what = ph.quote(last.text) or "بدون یادداشت"
        text = f"{ph.when(last.occurred_at, now)}، {channel} {direction}: {what}{outcome}"
        out.append(item(text, [last.token]))
    return out


def cultural_notes(inp: PrepInput, register: an.RegisterFinding | None = None) -> list[BriefingItem]:
    out: list[BriefingItem] = []
    rep = inp.rep
    if rep.profiling_opt_out:
        out.append(item("خطاب: «شما» (سبک گفتار این نماینده به خواست خودش تحلیل نمی‌شود)."))
    else:
        found = register or an.register(inp)
        first = rep.full_name.split()[0] if rep.full_name.split() else rep.full_name
        sample = f"{ph.num(found.formal + found.informal)} پیام"
        if found.preferred == "informal":
            text = (
                f"خطاب: در پیام‌هایش خودمانی می‌نویسد ({ph.num(found.informal)} از {sample})؛ "
                f"صدا زدن با اسم کوچک («{first} جان») راحتش می‌کند، ولی شروع با «شما» همیشه امن است."
            )
        elif found.preferred == "formal":
            text = (
                f"خطاب: رسمی و با «شما» ({ph.num(found.formal)} از {sample} رسمی بوده)؛ با نام خانوادگی "
                "و «جناب/سرکار» صدا بزنید."
            )
        else:
            text = "خطاب: «شما» (سبک گفتارش از پیام‌هایش روشن نیست)."
        out.append(item(text, found.evidence))
    for occasion in occasions(inp.now):
        text = ph.OCCASIONS[occasion.key]
        if occasion.days_away:
            text = f"{ph.num(occasion.days_away)} روز دیگر — {text}"
        out.append(item(text))
    trouble = an.operator_trouble(inp)
    if trouble is not None:
        where = f"در {rep.city}" if rep.city else "در منطقه‌اش"
        text = (
            f"منطقه: گزارش‌های اتصالِ کاربرانش {where} بیشتر روی {trouble.operator} بوده "
            f"({ph.num(trouble.count)} مورد)."
        )
        out.append(item(text, trouble.evidence))
    return out


def best_time(inp: PrepInput) -> list[BriefingItem]:
    found = an.best_time(inp)
    if not found.enough or found.slot_start is None:
        text = (
            "بهترین زمان تماس: دادهٔ کافی نیست "
            f"({ph.num(found.successes)} تماس موفق ثبت شده؛ دست‌کم "
            f"{ph.num(an.BEST_TIME_MIN_SUCCESSES)} لازم است)."
        )
        return [item(text, found.evidence)]
    day = f"{ph.WEEKDAYS[found.weekday]}\u200cها، " if found.weekday is not None else ""
    hours = ph.hour_range(found.slot_start, an.SLOT_HOURS)
    text = (
        f"بهترین زمان تماس: {day}ساعت {hours} به وقت تهران — "
        f"{ph.num(found.slot_successes)} ارتباط موفق از {ph.num(found.slot_attempts)} تلاش در این بازه "
        f"(نمونه: {ph.num(found.attempts)} ارتباط ثبت‌شده)."
    )
    return [item(text, found.evidence)]
