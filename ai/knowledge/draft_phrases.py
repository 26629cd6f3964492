"""The offline drafting engine's Persian phrase bank: per kind, tone and intent.

Placeholders: ``{name}`` (the representative), ``{agent}`` (the agent), ``{goal}`` (the agent's goal).
Phrases make no factual promises (no dates, prices or deadlines): those belong to the agent's goal.
"""

from __future__ import annotations

from typing import Final

TONES: Final = ("formal", "friendly", "warm")
KINDS: Final = ("telegram", "support_reply", "email")
INTENTS: Final = ("payment", "outage", "renewal", "setup", "checkin", "general")

# Folded keywords (see ai.text.persian.fold) that reveal the goal's intent, checked in this order.
INTENT_KEYWORDS: Final[dict[str, tuple[str, ...]]] = {
    "outage": ("قطع", "اختلال", "وصل نمی", "کندی", "کند شده", "سرعت", "outage", "disconnect", "down"),
    "payment": ("فاکتور", "پرداخت", "بدهی", "تسویه", "کیف پول", "شارژ", "invoice", "payment", "debt"),
    "renewal": ("تمدید", "ارتقا", "پلن", "renew", "upgrade", "plan"),
    "setup": ("نصب", "راه اندازی", "راهنما", "اموزش", "کانفیگ", "setup", "install", "config"),
    "checkin": ("احوال", "رضایت", "بازخورد", "پیگیری", "نظرسنجی", "feedback", "check in", "follow up"),
}

GREETING: Final[dict[str, dict[str, str]]] = {
    "telegram": {
        "formal": "سلام {name} گرامی، وقت بخیر.",
        "friendly": "سلام {name} عزیز 🌿",
        "warm": "سلام {name} عزیز، امیدوارم حالتان خوب باشد. 🌱",
    },
    "support_reply": {
        "formal": "{name} گرامی، با سلام و احترام.",
        "friendly": "سلام {name} عزیز،",
        "warm": "سلام {name} عزیز، امیدوارم روزتان خوب پیش برود.",
    },
    "email": {
        "formal": "{name} گرامی،\nبا سلام و احترام،",
        "friendly": "سلام {name} عزیز،",
        "warm": "سلام {name} عزیز،\nامیدوارم روزهای خوبی را پشت سر بگذارید.",
    },
}
GREETING_NO_NAME: Final[dict[str, str]] = {
    "formal": "با سلام و احترام،",
    "friendly": "سلام، وقت بخیر 🌿",
    "warm": "سلام و درود، امیدوارم حالتان خوب باشد.",
}

ACKNOWLEDGE: Final[dict[str, str]] = {
    "formal": "پیام شما دریافت و موضوع بررسی شد.",
    "friendly": "پیامتان به دستم رسید، ممنون که خبر دادید.",
    "warm": "ممنون که با حوصله موضوع را برایمان نوشتید؛ کاملاً درک می‌کنیم که این وضعیت آزاردهنده است.",
}

GOAL_LEAD: Final[dict[str, str]] = {
    "formal": "در خصوص {goal} خدمتتان پیام می‌دهم.",
    "friendly": "درباره‌ی {goal} خواستم پیام بدهم.",
    "warm": "خواستم درباره‌ی {goal} با شما صحبت کنم.",
}

BODY: Final[dict[str, dict[str, str]]] = {
    "payment": {
        "formal": (
            "به استحضار می‌رساند فاکتور دورهٔ جاری نمایندگی شما هنوز تسویه نشده است. خواهشمند است "
            "در اولین فرصت نسبت به پرداخت یا شارژ کیف پول اقدام فرمایید."
        ),
        "friendly": (
            "فاکتور این دوره هنوز پرداخت نشده؛ هر وقت فرصت کردید از بخش کیف پول پنل شارژ کنید تا "
            "همه‌چیز مرتب بماند."
        ),
        "warm": (
            "می‌دانم این روزها سرتان شلوغ است؛ اگر برای پرداخت به زمان یا راه دیگری نیاز دارید، "
            "بگویید تا با هم راهی پیدا کنیم."
        ),
    },
    "outage": {
        "formal": "از بروز اختلال در اتصال کاربران شما پوزش می‌خواهیم. تیم فنی موضوع را در دست بررسی دارد.",
        "friendly": "در جریان مشکل اتصال کاربرانتان هستیم و همکاران فنی دارند رویش کار می‌کنند.",
        "warm": (
            "واقعاً متأسفیم که کاربرانتان با این مشکل روبه‌رو شدند؛ می‌دانیم برای شما و "
            "مشتری‌هایتان چقدر آزاردهنده است. تیم فنی با اولویت پیگیر موضوع است."
        ),
    },
    "renewal": {
        "formal": "در خصوص تمدید یا ارتقای پلن نمایندگی، آماده‌ایم گزینه‌های مناسب را با شما بررسی کنیم.",
        "friendly": "بیایید ببینیم کدام گزینهٔ تمدید یا ارتقای پلن برای کارتان به‌صرفه‌تر است.",
        "warm": (
            "از همراهی‌تان با مارفانت خیلی خوشحالیم و دوست داریم کمکتان کنیم بهترین پلن را برای "
            "کسب‌وکارتان انتخاب کنید."
        ),
    },
    "setup": {
        "formal": (
            "راهنمای راه‌اندازی و اتصال برای کاربران شما آماده است و در صورت نیاز مراحل را "
            "گام‌به‌گام همراهی می‌کنیم."
        ),
        "friendly": "برای راه‌اندازی و اتصال کاربرانتان، مراحل را قدم‌به‌قدم با هم جلو می‌بریم.",
        "warm": (
            "شروع کار همیشه کمی سؤال دارد و کاملاً طبیعی است؛ با کمال میل کنارتان هستیم تا "
            "راه‌اندازی بی‌دردسر انجام شود."
        ),
    },
    "checkin": {
        "formal": "در راستای بهبود خدمات، مایلیم از میزان رضایت شما و کاربرانتان از سرویس مطلع شویم.",
        "friendly": "راستی، اوضاع سرویس و کاربرانتان چطور است؟",
        "warm": "مدتی است از شما بی‌خبریم و خواستیم حالتان را بپرسیم؛ نظر شما برایمان ارزشمند است.",
    },
    "general": {"formal": "", "friendly": "", "warm": ""},
}

NEXT_STEP: Final[dict[str, dict[str, str]]] = {
    "payment": {
        "formal": "در صورتی که پرداخت انجام شده است، از همراهی شما سپاسگزاریم.",
        "friendly": "اگر پرداخت کرده‌اید، ممنونم و این پیام را فقط یک یادآوری بدانید.",
        "warm": "اگر پرداخت کرده‌اید، از همراهی همیشگی‌تان ممنونیم.",
    },
    "outage": {
        "formal": (
            "به محض رفع مشکل به شما اطلاع داده خواهد شد. در این فاصله به‌روزرسانی اشتراک در "
            "برنامهٔ کاربران توصیه می‌شود."
        ),
        "friendly": "به محض حل شدن خبرتان می‌کنم. فعلاً به کاربرها بگویید اشتراک را در برنامه به‌روز کنند.",
        "warm": (
            "به محض حل شدن خودم خبرتان می‌کنم. تا آن موقع، به‌روزرسانی اشتراک در برنامهٔ کاربران "
            "معمولاً کمک می‌کند."
        ),
    },
    "renewal": {
        "formal": "در صورت تمایل، زمانی برای یک تماس کوتاه هماهنگ خواهیم کرد.",
        "friendly": "اگر موافقید، یک تماس کوتاه هماهنگ کنیم.",
        "warm": "هر وقت راحت بودید، یک تماس کوتاه با هم داشته باشیم.",
    },
    "setup": {
        "formal": "لطفاً نام برنامه و نوع دستگاه کاربر را اعلام فرمایید تا راهنمای مناسب ارسال شود.",
        "friendly": "کافی است نام برنامه و نوع گوشی کاربر را بفرستید تا راهنمای مناسب را برایتان بفرستم.",
        "warm": "کافی است بگویید کاربر چه گوشی و برنامه‌ای دارد تا راهنمای مناسب را برایتان بفرستم.",
    },
    "checkin": {
        "formal": "خواهشمند است نظرات و پیشنهادهای خود را با ما در میان بگذارید.",
        "friendly": "اگر نکته یا پیشنهادی دارید، خوشحال می‌شوم بشنوم.",
        "warm": "هر نکته یا پیشنهادی دارید، با کمال میل می‌شنویم.",
    },
    "general": {"formal": "", "friendly": "", "warm": ""},
}

CLOSING: Final[dict[str, dict[str, str]]] = {
    "telegram": {
        "formal": "در صورت نیاز به توضیح بیشتر در خدمت هستم.",
        "friendly": "اگر سؤالی بود همین‌جا پیام بدهید 🙏",
        "warm": "هر زمان کمکی لازم بود، کنارتان هستیم. 🌱",
    },
    "support_reply": {
        "formal": "در صورت هرگونه پرسش، در خدمت هستیم.",
        "friendly": "اگر باز هم سؤالی بود، همین‌جا بپرسید.",
        "warm": "هر وقت کمکی لازم بود، روی ما حساب کنید.",
    },
    "email": {
        "formal": "با احترام،",
        "friendly": "با آرزوی موفقیت،",
        "warm": "با سپاس و آرزوی روزهای خوب،",
    },
}

SIGNATURE: Final[dict[str, str]] = {
    "telegram": "— {agent}، مارفانت",
    "support_reply": "{agent} — پشتیبانی نمایندگان مارفانت",
    "email": "{agent}\nتیم ارتباط با نمایندگان مارفانت",
}

SUBJECT: Final[dict[str, str]] = {
    "payment": "یادآوری پرداخت فاکتور",
    "outage": "پیگیری مشکل اتصال",
    "renewal": "تمدید و ارتقای پلن نمایندگی",
    "setup": "راهنمای راه‌اندازی",
    "checkin": "پیگیری و دریافت بازخورد",
}
SUBJECT_LINE: Final = "موضوع: {subject}"

# Revision instructions for the LLM engine, by the button pressed.
REVISIONS: Final[dict[str, str]] = {
    "shorter": "Make it noticeably shorter: keep the greeting, the core message and the signature.",
    "formal": "Make it more formal and respectful (رسمی), without becoming stiff.",
    "warmer": "Make it warmer and more empathetic (گرم و صمیمی), without pressure or flattery.",
}
