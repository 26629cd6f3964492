"""Persian wording for the offline briefing: numbers, dates and the phrase tables.

Spoken, polite Persian as CRT agents actually talk on the phone. Empathy phrases come in the «شما»
register and a familiar one, chosen by how the representative writes to us. Every phrase names the
concrete thing (a Jalali date, a ticket subject, an amount); none is a generic pleasantry.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Final

from ai.text.calendar import format_date, relative, to_tehran
from ai.text.persian import to_persian_digits

QUOTE_CHARS: Final = 90

WEEKDAYS: Final = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")
CHANNELS: Final = {
    "call": "تماس تلفنی",
    "telegram": "پیام تلگرام",
    "voice_note": "پیام صوتی",
    "email": "ایمیل",
    "in_person": "دیدار حضوری",
}
OUTCOMES: Final = {
    "reached": "صحبت شد",
    "no_answer": "پاسخ نداد",
    "resolved": "مشکل حل شد",
    "follow_up": "نیاز به پیگیری",
    "escalated": "ارجاع شد",
    "promised_payment": "قول پرداخت داد",
    "upsell_interest": "به ارتقا علاقه نشان داد",
    "complaint": "شکایت کرد",
}
TICKET_STATUS: Final = {"open": "باز", "in_progress": "در حال رسیدگی", "waiting_rep": "منتظر نماینده"}
EMOTIONS: Final = {
    "satisfaction": "رضایت",
    "gratitude": "قدردانی",
    "frustration": "کلافگی",
    "anger": "عصبانیت",
    "anxiety": "نگرانی",
    "confusion": "سردرگمی",
    "urgency": "عجله",
    "disappointment": "ناامیدی",
}
GRIEVANCE_NAMES: Final = {
    "outage": "قطعی و افت کیفیت اتصال",
    "billing": "مشکل پرداخت و صورتحساب",
    "delay": "معطل‌ماندن برای پاسخ",
    "panel": "مشکل پنل",
    "config": "دردسر تنظیم کانفیگ‌ها",
    "price": "نگرانی از قیمت",
}
GRIEVANCE_ABOUT: Final = {
    "billing": "پرداخت و صورتحساب",
    "delay": "جواب‌گرفتن",
    "outage": "اتصال",
    "panel": "پنل",
    "config": "کانفیگ‌ها",
    "price": "قیمت",
}
# Empathy openers: (formal «شما», familiar). {date} is a Jalali date, {about} a ticket subject in «» or,
# without a ticket, the plain words of GRIEVANCE_ABOUT.
EMPATHY: Final[dict[str, tuple[str, str]]] = {
    "outage": (
        (
            "قبل از هر چیز، بابت قطعیِ {date} که کاربرهاتون رو اذیت کرد عذرخواهی می‌کنم؛ می‌دونم جلوی "
            "مشتری‌هاتون چقدر براتون سخت بود."
        ),
        (
            "قبل از هر چیز، بابت قطعیِ {date} که کاربرهات رو اذیت کرد شرمنده‌ام؛ می‌دونم جلوی مشتری‌هات "
            "چقدر برات سخت بود."
        ),
    ),
    "billing": (
        "می‌دونم ماجرای {about} در {date} اذیتتون کرد؛ خودم پیگیرش هستم تا تکرار نشه.",
        "می‌دونم ماجرای {about} در {date} اذیتت کرد؛ خودم پیگیرش هستم تا تکرار نشه.",
    ),
    "delay": (
        "حق دارید از اینکه برای {about} ({date}) معطل موندید دلخور باشید؛ باید زودتر جواب می‌گرفتید.",
        "حق داری از اینکه برای {about} ({date}) معطل موندی دلخور باشی؛ باید زودتر جواب می‌گرفتی.",
    ),
    "panel": (
        "مشکل پنل در {date} کار روزمره‌تون رو سخت کرد؛ ممنون که صبوری کردید.",
        "مشکل پنل در {date} کار روزمره‌ت رو سخت کرد؛ مرسی که صبوری کردی.",
    ),
    "config": (
        "می‌دونم تنظیم کانفیگ‌ها در {date} وقت زیادی ازتون گرفت؛ ممنون که همراهی کردید.",
        "می‌دونم تنظیم کانفیگ‌ها در {date} وقت زیادی ازت گرفت؛ مرسی که همراهی کردی.",
    ),
    "price": (
        (
            "نگرانی‌تون درباره‌ی قیمت رو که {date} گفتید یادمه؛ می‌خوام با هم ببینیم پلن فعلی واقعاً به "
            "کارتون میاد یا نه."
        ),
        (
            "نگرانیت درباره‌ی قیمت رو که {date} گفتی یادمه؛ می‌خوام با هم ببینیم پلن فعلی واقعاً به "
            "کارت میاد یا نه."
        ),
    ),
}
TRIGGER_NAMES: Final = {
    "ticket:connectivity": "مشکلات اتصال",
    "ticket:billing": "مسائل صورتحساب",
    "ticket:panel": "مشکلات پنل",
    "ticket:setup": "راه‌اندازی و کانفیگ",
    "ticket:sales": "بحث فروش",
    "ticket:other": "تیکت‌های متفرقه",
    "outage": "قطعی‌ها",
    "payment": "پرداخت‌ها",
    "payment:paid": "پرداخت‌ها",
    "topic:outage": "قطعی و کندی",
    "topic:billing": "پرداخت و صورتحساب",
    "topic:delay": "دیر جواب‌گرفتن",
    "topic:panel": "پنل",
    "topic:config": "کانفیگ‌ها",
    "topic:price": "قیمت",
    "topic:churn": "بحث رفتن یا رقیب",
    "outage:slow_connection": "کندی اتصال",
    "topic:price_complaint": "قیمت",
    "topic:payment_issue": "مشکل پرداخت",
    "topic:refund_request": "بازپرداخت",
    "topic:panel_issue": "پنل",
    "topic:config_issue": "کانفیگ‌ها",
    "topic:support_delay": "دیر جواب‌گرفتن",
}
OCCASIONS: Final = {
    "nowruz_holiday": "تعطیلات نوروز: اول سال نو را تبریک بگویید و تماس را کوتاه و غیرفروشی نگه دارید.",
    "nowruz_season": "ایام نوروز: خیلی‌ها در سفرند؛ اگر جواب ندادند، پیگیری را به بعد از ۱۳ فروردین بگذارید.",
    "pre_nowruz": (
        "روزهای آخر سال: شلوغ‌ترین روزهای کسب‌وکار است؛ کوتاه و کاربردی صحبت کنید و سال نو را پیشاپیش "
        "تبریک بگویید."
    ),
    "sizdah": "سیزده‌به‌در: تعطیل است؛ فقط در صورت ضرورت تماس بگیرید.",
    "yalda": "شب یلدا: یک تبریک کوتاه مناسب است.",
    "ramadan": (
        "ماه رمضان (حدوداً): ساعت کاری بسیاری از کسب‌وکارها کوتاه‌تر است و حوالی افطار زمان مناسبی برای "
        "تماس نیست."
    ),
    "tasua_ashura": (
        "تاسوعا/عاشورا (حدوداً؛ با تقویم رسمی تطبیق دهید): ایام سوگواری و تعطیل رسمی؛ هیچ پیشنهاد فروش "
        "یا ارتقایی مطرح نکنید و فقط کارهای ضروری را پیگیری کنید."
    ),
    "friday": "امروز جمعه و آخر هفته است؛ تماس کاری فقط اگر خودشان خواسته‌اند یا کار فوری است.",
    "thursday_afternoon": "پنجشنبه بعدازظهر است؛ خیلی از کسب‌وکارها نیمه‌تعطیل‌اند، کوتاه صحبت کنید.",
}


def num(value: int | float | Decimal) -> str:
    text = f"{value:,.0f}" if isinstance(value, Decimal | int) else f"{value:,.1f}".removesuffix(".0")
    return to_persian_digits(text.replace(",", "٬").replace(".", "٫"))


def signed_pct(value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{num(abs(value))}٪"


def toman(amount: Decimal) -> str:
    return f"{num(amount)} تومان"


def date(moment: dt.datetime) -> str:
    return format_date(moment, "fa")


def day_month(moment: dt.datetime) -> str:
    """«۱۲ مرداد» without the year, for phrases said aloud about recent days."""
    return date(moment).rsplit(" ", 1)[0]


def when(moment: dt.datetime, now: dt.datetime) -> str:
    return f"{date(moment)} ({relative(moment, now, 'fa')})"


def tenure(start: dt.datetime, now: dt.datetime) -> str:
    months = max(0, (now.year - start.year) * 12 + now.month - start.month - (now.day < start.day))
    years, rest = divmod(months, 12)
    if years and rest:
        return f"{num(years)} سال و {num(rest)} ماه"
    if years:
        return f"{num(years)} سال"
    if months:
        return f"{num(months)} ماه"
    return f"{num(max(0, (now - start).days))} روز"


def hour_range(start: int, hours: int) -> str:
    return f"{num(start)} تا {num((start + hours) % 24)}"


def quote(text: str | None, limit: int = QUOTE_CHARS) -> str:
    cleaned = " ".join((text or "").split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


CHURN_CUES: Final = (
    "تمدید نمی", "تمدید نکن", "پنل دیگ", "سرویس دیگ", "جای دیگ", "رقیب", "ارزون", "قطع همکاری", "میرم", "برم",
)  # fmt: skip
CHURN_HINT_CUES: Final = ("میرن", "نمیمون", "از دست", "ضرر", "پس بد", "برگردون", "تمدید نکرد")
INTEREST_CUES: Final = ("ارتقا", "پلن", "کاربر", "بیشتر", "تمدید", "بزرگ")
_SENTENCE = re.compile(r"[^.!?؟؛\n]+[.!?؟؛]?")


def quote_around(text: str | None, cues: tuple[str, ...], limit: int = QUOTE_CHARS) -> str:
    """The first sentence that carries one of ``cues`` (else the opening), shortened to ``limit``."""
    sentences = [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]
    hit = next((s for s in sentences if any(cue in s for cue in cues)), None)
    return quote(hit if hit is not None else text, limit)


def weekday(moment: dt.datetime) -> str:
    return WEEKDAYS[to_tehran(moment).weekday()]


def mood(score: float) -> str:
    if score >= 0.35:
        return "راضی و مثبت"
    if score >= 0.1:
        return "نسبتاً مثبت"
    if score > -0.1:
        return "خنثی"
    if score > -0.35:
        return "کمی دلخور"
    return "ناراضی و دلخور"


TREND: Final = {
    "improving": "رو به بهبود",
    "declining": "رو به افت",
    "stable": "پایدار",
    "unknown": "نامشخص (دادهٔ کم)",
}
