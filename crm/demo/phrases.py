"""Building blocks of interaction texts shared by every topic: openers, greetings, closings, moods.

Two registers: an agent's note about a call or a meeting (third person, as CRT agents write them),
and the representative's own words in a Telegram message, a voice-note transcript or an e-mail.
Slots in braces are filled by :mod:`crm.demo.talk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from crm.enums import Channel, Direction, Outcome


class Case(NamedTuple):
    """One thing that happened, told three ways so the summary always matches the body."""

    summary: str
    note: str
    """The agent's account, third person."""
    voice: str
    """The representative speaking, first person."""


@dataclass(frozen=True)
class Topic:
    key: str
    cases: tuple[Case, ...]
    actions: tuple[str, ...]
    """What the agent did or agreed as the next step."""
    outcomes: tuple[tuple[Outcome, int], ...]


NOTE_OPENERS: dict[tuple[Channel, Direction], tuple[str, ...]] = {
    (Channel.CALL, Direction.OUTBOUND): (
        "با {rep} تماس گرفتم.",
        "زنگ زدم برای پیگیری.",
        "تماس خروجی با {rep}؛",
        "امروز باهاش تماس گرفتم.",
    ),
    (Channel.CALL, Direction.INBOUND): (
        "{rep} خودش زنگ زد.",
        "تماس ورودی از {rep}؛",
        "خودش زنگ زد پیگیری.",
        "از خط پشتیبانی وصل شد به من؛",
    ),
    (Channel.IN_PERSON, Direction.INBOUND): (
        "{rep} حضوری اومده بود دفتر.",
        "جلسه حضوری داشتیم.",
    ),
    (Channel.IN_PERSON, Direction.OUTBOUND): (
        "رفتم {city} و حضوری دیدمش.",
        "سرکشی حضوری به دفترش داشتم.",
    ),
    (Channel.TELEGRAM, Direction.OUTBOUND): (
        "توی تلگرام بهش پیام دادم.",
        "تو تلگرام پیگیری کردم.",
    ),
    (Channel.EMAIL, Direction.OUTBOUND): (
        "براش ایمیل فرستادم.",
        "ایمیل پیگیری ارسال شد.",
    ),
    (Channel.VOICE_NOTE, Direction.OUTBOUND): (
        "براش ویس فرستادم و توضیح دادم.",
        "با ویس تلگرام جواب دادم.",
    ),
}

GREETINGS: dict[Channel, tuple[str, ...]] = {
    Channel.TELEGRAM: ("سلام وقت بخیر،", "سلام خسته نباشید،", "سلام {agent}،", "درود،", "سلام،"),
    Channel.VOICE_NOTE: (
        "سلام {agent}، خسته نباشید. ببینید،",
        "سلام، ببخشید مزاحم میشم. راستش",
        "الو سلام، من {rep_first} هستم از {city}. ببینید",
        "سلام، وقتتون بخیر. یه موضوعی بود،",
    ),
    Channel.EMAIL: ("با سلام و احترام،", "سلام و وقت بخیر،", "با عرض سلام،"),
}

CLOSINGS: dict[Channel, tuple[str, ...]] = {
    Channel.TELEGRAM: ("ممنون میشم بررسی کنید.", "منتظرم.", "مرسی 🙏", "خبرم کنید لطفاً.", "ممنون."),
    Channel.VOICE_NOTE: (
        "ممنون میشم زودتر خبر بدید.",
        "دیگه عرضی نیست، مرسی.",
        "لطفاً پیگیری کنید، ممنون.",
        "هر وقت تونستید زنگ بزنید.",
    ),
    Channel.EMAIL: ("با تشکر.", "پیشاپیش از پیگیری شما سپاسگزارم.", "با احترام."),
}

# The representative's mood, added to the text as a churn slide progresses.
ANNOYED_NOTES = (
    "یه کم کلافه بود.",
    "لحنش نسبت به دفعه قبل سردتر بود.",
    "معلوم بود حوصله‌اش سر رفته.",
    "گفت این چندمین باره که این مشکل پیش میاد.",
)
ANGRY_NOTES = (
    "خیلی عصبانی بود و چند بار گفت این وضع قابل قبول نیست.",
    "گفت دیگه حوصله پیگیری نداره و داره به قطع همکاری فکر می‌کنه.",
    "با ناراحتی گفت مشتری‌هاش دارن یکی یکی میرن.",
    "تهدید کرد اگه درست نشه تمدید نمی‌کنه.",
)
ANNOYED_VOICE = (
    "راستش یه کم خسته شدم از این وضع.",
    "این چندمین باره که این مشکل پیش میاد.",
    "مشتری‌هام دارن غر می‌زنن.",
)
ANGRY_VOICE = (
    "دیگه واقعاً کلافه شدم، این چه وضعشه؟",
    "این بار آخره که پیگیری می‌کنم، اگه درست نشه میرم.",
    "من دارم مشتری از دست میدم و کسی جواب نمیده.",
    "واقعاً ناامید شدم از سرویس‌تون.",
)
# Warmth that upsell candidates show more and more.
WARM_NOTES = (
    "خیلی خوش‌برخورد بود و از همکاری راضیه.",
    "گفت از وقتی با ما کار می‌کنه مشتری‌هاش کمتر شکایت دارن.",
    "در کل خیلی راضی بود.",
)
WARM_VOICE = (
    "در کل از سرویس‌تون خیلی راضی‌ام.",
    "دستتون درد نکنه، همکاری باهاتون خیلی خوبه.",
    "مشتری‌هام از سرعت خیلی راضی‌ان.",
)

NO_ANSWER_SUMMARIES = ("تماس بی‌پاسخ", "جواب نداد", "عدم پاسخ به تماس پیگیری")
NO_ANSWER_NOTES = (
    "دو بار زنگ زدم جواب نداد، پیامک گذاشتم که تماس بگیره.",
    "گوشیش خاموش بود.",
    "رد تماس داد، توی تلگرام پیام دادم.",
    "بوق خورد ولی جواب نداد. فردا دوباره تماس می‌گیرم.",
    "در دسترس نبود؛ به شماره دومش هم زنگ زدم جواب نداد.",
)
