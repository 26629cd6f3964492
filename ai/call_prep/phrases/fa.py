"""The Persian phrase bank: spoken, polite Persian as CRT agents actually talk on the phone.

Jalali dates and Persian digits. Empathy phrases come in the «شما» register and a familiar one, chosen
by how the representative writes to us. Every phrase names the concrete thing (a date, a ticket
subject, an amount); none is a generic pleasantry.
"""

from __future__ import annotations

from typing import Final

from ai.call_prep.phrases.base import Phrases
from ai.text.entities import ENTITIES
from ai.text.persian import to_persian_digits

FA: Final = Phrases(
    language="fa",
    digits=to_persian_digits,
    thousands="٬",
    decimal_point="٫",
    percent="٪",
    list_separator="، ",
    toman_format="{amount} تومان",
    hour_range_format="{start} تا {end}",
    tenure_join="{years} و {months}",
    units={
        "day": ("روز", "روز"),
        "week": ("هفته", "هفته"),
        "month": ("ماه", "ماه"),
        "year": ("سال", "سال"),
        "user": ("کاربر", "کاربر"),
        "message": ("پیام", "پیام"),
        "interaction": ("تعامل", "تعامل"),
        "ticket": ("تیکت", "تیکت"),
        "open_ticket": ("تیکت باز", "تیکت باز"),
        "payment": ("پرداخت", "پرداخت"),
        "payment_occasion": ("نوبت", "نوبت"),
        "invoice": ("فاکتور", "فاکتور"),
        "call": ("تماس", "تماس"),
        "complaint": ("بار شکایت", "بار شکایت"),
        "report": ("مورد", "مورد"),
        "successful_contact": ("تماس موفق", "تماس موفق"),
        "attempt": ("تلاش", "تلاش"),
        "logged_contact": ("ارتباط ثبت‌شده", "ارتباط ثبت‌شده"),
    },
    weekdays=("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"),
    moods=("راضی و مثبت", "نسبتاً مثبت", "خنثی", "کمی دلخور", "ناراضی و دلخور"),
    trends={
        "improving": "رو به بهبود",
        "declining": "رو به افت",
        "stable": "پایدار",
        "unknown": "نامشخص (دادهٔ کم)",
    },
    channels={
        "call": "تماس تلفنی",
        "telegram": "پیام تلگرام",
        "voice_note": "پیام صوتی",
        "email": "ایمیل",
        "in_person": "دیدار حضوری",
    },
    outcomes={
        "reached": "صحبت شد",
        "no_answer": "پاسخ نداد",
        "resolved": "مشکل حل شد",
        "follow_up": "نیاز به پیگیری",
        "escalated": "ارجاع شد",
        "promised_payment": "قول پرداخت داد",
        "upsell_interest": "به ارتقا علاقه نشان داد",
        "complaint": "شکایت کرد",
    },
    rep_statuses={"active": "فعال", "paused": "متوقف", "churned": "جداشده"},
    ticket_statuses={"open": "باز", "in_progress": "در حال رسیدگی", "waiting_rep": "منتظر نماینده"},
    emotions={
        "satisfaction": "رضایت",
        "gratitude": "قدردانی",
        "frustration": "کلافگی",
        "anger": "عصبانیت",
        "anxiety": "نگرانی",
        "confusion": "سردرگمی",
        "urgency": "عجله",
        "disappointment": "ناامیدی",
    },
    turning_points={"peak": "اوج", "trough": "افت"},
    grievance_names={
        "outage": "قطعی و افت کیفیت اتصال",
        "billing": "مشکل پرداخت و صورتحساب",
        "delay": "معطل‌ماندن برای پاسخ",
        "panel": "مشکل پنل",
        "config": "دردسر تنظیم کانفیگ‌ها",
        "price": "نگرانی از قیمت",
    },
    grievance_about={
        "billing": "پرداخت و صورتحساب",
        "delay": "جواب‌گرفتن",
        "outage": "اتصال",
        "panel": "پنل",
        "config": "کانفیگ‌ها",
        "price": "قیمت",
    },
    empathy={
        "outage": (
            "قبل از هر چیز، بابت قطعیِ {date} که کاربرهاتون رو اذیت کرد عذرخواهی می‌کنم؛ می‌دونم جلوی "
            "مشتری‌هاتون چقدر براتون سخت بود.",
            "قبل از هر چیز، بابت قطعیِ {date} که کاربرهات رو اذیت کرد شرمنده‌ام؛ می‌دونم جلوی مشتری‌هات "
            "چقدر برات سخت بود.",
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
            "نگرانی‌تون درباره‌ی قیمت رو که {date} گفتید یادمه؛ می‌خوام با هم ببینیم پلن فعلی واقعاً به "
            "کارتون میاد یا نه.",
            "نگرانیت درباره‌ی قیمت رو که {date} گفتی یادمه؛ می‌خوام با هم ببینیم پلن فعلی واقعاً به "
            "کارت میاد یا نه.",
        ),
    },
    triggers={
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
    },
    pleased_reasons={
        "praise": "از پیگیری و پاسخ‌گویی کارشناس تشکر کرد",
        "resolved": "از حل‌شدن مشکلش راضی بود",
        "renewal": "از ادامهٔ همکاری حرف زد",
        "positive": "حال‌وهوای مثبتی داشت",
    },
    occasions={
        "nowruz_holiday": "تعطیلات نوروز: اول سال نو را تبریک بگویید و تماس را کوتاه و غیرفروشی نگه دارید.",
        "nowruz_season": (
            "ایام نوروز: خیلی‌ها در سفرند؛ اگر جواب ندادند، پیگیری را به بعد از ۱۳ فروردین بگذارید."
        ),
        "pre_nowruz": (
            "روزهای آخر سال: شلوغ‌ترین روزهای کسب‌وکار است؛ کوتاه و کاربردی صحبت کنید و سال نو را "
            "پیشاپیش تبریک بگویید."
        ),
        "sizdah": "سیزده‌به‌در: تعطیل است؛ فقط در صورت ضرورت تماس بگیرید.",
        "yalda": "شب یلدا: یک تبریک کوتاه مناسب است.",
        "ramadan": (
            "ماه رمضان (حدوداً): ساعت کاری بسیاری از کسب‌وکارها کوتاه‌تر است و حوالی افطار زمان مناسبی "
            "برای تماس نیست."
        ),
        "tasua_ashura": (
            "تاسوعا/عاشورا (حدوداً؛ با تقویم رسمی تطبیق دهید): ایام سوگواری و تعطیل رسمی؛ هیچ پیشنهاد "
            "فروش یا ارتقایی مطرح نکنید و فقط کارهای ضروری را پیگیری کنید."
        ),
        "friday": "امروز جمعه و آخر هفته است؛ تماس کاری فقط اگر خودشان خواسته‌اند یا کار فوری است.",
        "thursday_afternoon": "پنجشنبه بعدازظهر است؛ خیلی از کسب‌وکارها نیمه‌تعطیل‌اند، کوتاه صحبت کنید.",
    },
    operators={entity.key: entity.name_fa for entity in ENTITIES if entity.kind == "isp"},
    onboarding_points=(
        (
            "خودتان را به‌عنوان کارشناس مسئول معرفی کنید و راه‌های ارتباط با پشتیبانی را بگویید.",
            "شروع رابطه",
        ),
        ("بپرسید پنل و اولین کانفیگ‌ها درست راه افتاده یا کمک لازم دارند.", "راه‌اندازی بی‌دردسر"),
        ("کانال و ساعت ترجیحی‌شان برای تماس را بپرسید و ثبت کنید.", "ارتباط در زمان مناسب"),
    ),
    glance_plan="پلن: {tier}{limit}{price}",
    glance_plan_limit="، سقف {users}",
    glance_plan_price="، {price} در ماه",
    glance_no_plan="پلن: ثبت نشده",
    glance_tenure="سابقه: از {date} ({tenure})",
    glance_status="وضعیت: {status} · کارشناس مسئول: {agent}",
    no_agent="تعیین نشده",
    glance_last_contact="آخرین ارتباط: {when}، {channel}",
    glance_no_contact="آخرین ارتباط: هنوز هیچ ارتباطی ثبت نشده",
    glance_payments="پرداخت‌های {days} روز اخیر: {total} در {count}",
    glance_payments_none_recent="پرداخت‌های {days} روز اخیر: هیچ؛ آخرین پرداخت {when}",
    glance_payments_never="پرداخت‌های {days} روز اخیر: هیچ پرداختی ثبت نشده",
    glance_usage="کاربران فعال: {active} از {total}",
    glance_usage_change=" ({change} در {weeks})",
    glance_no_usage="مصرف: داده‌ای از پنل نرسیده",
    glance_tickets="تیکت‌های باز: {count}",
    glance_tickets_breached="، {count} مورد گذشته از مهلت",
    glance_ticket_first=" — «{subject}» ({status}، {state})",
    sla_breached="مهلتش گذشته",
    sla_due="مهلت تا {when}",
    glance_no_tickets="تیکت باز: ندارد",
    glance_overdue="فاکتور معوق: {count}، جمعاً {total}",
    in_city="در {city}",
    summary_new="{name}{where} نمایندهٔ تازه است و هنوز سابقه‌ای با ما ندارد؛ این تماس شروع رابطه است.",
    summary_plan="نمایندهٔ پلن {tier}",
    summary_since="، از {date} با ماست",
    summary_total=" (از {total} در کل)",
    summary_line="{head}{since}. در {days} روز گذشته {interactions}{total}، {tickets} و {payments} ثبت شده.",
    summary_contact="{when}، {channel} {direction}: {note}{outcome}",
    contact_note="{text}",
    no_note="بدون یادداشت",
    from_rep="از طرف نماینده",
    from_us="از طرف ما",
    register_opt_out="خطاب: «شما» (سبک گفتار این نماینده به خواست خودش تحلیل نمی‌شود).",
    register_informal=(
        "خطاب: در پیام‌هایش خودمانی می‌نویسد ({informal} از {sample})؛ صدا زدن با اسم کوچک («{first} جان») "
        "راحتش می‌کند، ولی شروع با «شما» همیشه امن است."
    ),
    register_formal=(
        "خطاب: رسمی و با «شما» ({formal} از {sample} رسمی بوده)؛ با نام خانوادگی و «جناب/سرکار» صدا بزنید."
    ),
    register_unknown="خطاب: «شما» (سبک گفتارش از پیام‌هایش روشن نیست).",
    occasion_ahead="{days} دیگر — {text}",
    operator_note="منطقه: گزارش‌های اتصالِ کاربرانش {where} بیشتر روی {operator} بوده ({count}).",
    in_their_area="در منطقه‌اش",
    best_time_unknown="بهترین زمان تماس: دادهٔ کافی نیست ({successes} ثبت شده؛ دست‌کم {needed} لازم است).",
    best_time=(
        "بهترین زمان تماس: {day}ساعت {hours} به وقت تهران — {hits} ارتباط موفق از {attempts} در این بازه "
        "(نمونه: {sample})."
    ),
    best_time_day="{weekday}\u200cها، ",
    risk_churn_talk="در {when} از رفتن یا سرویس دیگر حرف زد: «{words}»",
    risk_churn_hint="در {when} نشانهٔ ریزش در حرفش بود: «{words}»",
    risk_usage_drop="کاربران فعال در {weeks} از {first} به {latest} رسیده ({change})؛ نشانهٔ ریزش است.",
    risk_overdue="فاکتور {number} ({amount}) از {when} سررسید گذشته.",
    risk_payment_gap="{days} است پرداختی نکرده، در حالی که معمولاً هر {usual} پرداخت می‌کرد.",
    risk_breached="{count} از مهلت گذشته ({subjects})؛ هر روز تأخیر اعتماد را کم می‌کند.",
    risk_no_answer="{count} آخر ما بی‌پاسخ مانده (آخرین: {when}).",
    risk_complaints="در {days} روز گذشته {count} ثبت شده.",
    risk_mood="حال‌وهوای پیام‌هایش در ۹۰ روز رو به افت بوده (اکنون {mood}).",
    hold_no_sales="امروز زمان پیشنهاد فروش نیست؛ فقط یادداشت کنید و بعداً مطرح کنید.",
    hold_fix_first="اول مشکل باز را حل کنید؛ پیشنهاد وقتی شنیده می‌شود که اعتماد برگشته باشد.",
    offer_near_limit="{used} کاربر از سقف {limit} کاربرِ پلن فعلی ({share}) پر شده.",
    pitch_near_limit=(
        "اگر رشدشان ادامه دارد، پلن بالاتر را با قیمت و سقف واقعی‌اش معرفی کنید؛ "
        "اگر فعلاً نیازی نمی‌بینند، اصرار نکنید."
    ),
    offer_interest="در {when} علاقه نشان داد: «{words}»",
    pitch_interest="همان چیزی را که خودش خواسته دقیق پیشنهاد دهید، با هزینهٔ واقعی و بدون عجله‌انداختن.",
    offer_growth="کاربران فعال در {weeks} {change} رشد کرده.",
    pitch_growth=(
        "رشدشان را تبریک بگویید و بپرسید برای ادامه‌اش به چه نیاز دارند؛ پیشنهاد فقط اگر به کارشان بیاید."
    ),
    point_status="در CRM «{state}» ثبت شده: هدف این تماس بازگرداندن اعتماد است، نه فروش.",
    purpose_status="بازگرداندن رابطه",
    point_grievance="اول {grievance} ({date}) را به رسمیت بشناسید، بعد سراغ کار بروید.",
    purpose_grievance="همدلی و ترمیم اعتماد",
    point_ticket="وضعیت تیکت «{subject}» ({state}) و قدم بعدی را روشن بگویید.",
    purpose_ticket="پیگیری تعهد باز",
    point_promise="پیگیری ارتباط {when} ({outcome}): «{note}»",
    purpose_promise="بستن کار نیمه‌تمام",
    point_invoice="یادآوری محترمانهٔ فاکتور {number} ({amount}) و پرسیدن زمان مناسب تسویه.",
    purpose_invoice="تسویه بدون فشار",
    point_usage_drop="علت کاهش کاربران فعال ({change}) را بپرسید.",
    purpose_usage_drop="شناخت ریسک ریزش",
    point_offer="فرصت: {offer}",
    purpose_offer="رشد هر دو طرف",
    point_last_contact="از نتیجهٔ ارتباط قبلی ({date}: «{note}») بپرسید.",
    purpose_last_contact="پیوستگی",
    point_usage="بپرسید {active} کاربر فعالشان این روزها از کیفیت اتصال راضی‌اند یا نه.",
    purpose_usage="سنجش رضایت کاربران",
    point_payment="از روال پرداخت (آخرین: {date}) بپرسید که راحت است یا مشکلی دارد.",
    purpose_payment="روان‌کردن کار مالی",
    point_plans="بپرسید برای ماه آینده چه برنامه‌ای دارند و ما چه کمکی می‌توانیم بکنیم.",
    purpose_plans="شناخت نیاز",
    ask_outage="الان اتصال کاربرانتان{on} چطور است؟ از {date} به بعد بهتر شده؟",
    ask_outage_on=" روی {operator}",
    ask_usage_drop="کاهش کاربرانتان از کجاست؛ فصلی است، مشکل کیفیت است یا رقیب؟",
    ask_growth_plans="برای ماه آینده چند کاربر تازه پیش‌بینی می‌کنید؟",
    ask_ticket_info="اطلاعاتی که برای تیکت «{subject}» لازم داریم آماده است؟",
    ask_invoice="برای تسویهٔ فاکتور {number} چه زمانی برایتان مناسب است؟",
    ask_stay="چه چیزی باید عوض شود تا با خیال راحت با ما بمانید؟",
    ask_new_users="چند کاربر دارید و بیشتر روی کدام اپراتورها هستند؟",
    ask_new_channel="از چه کانالی و چه ساعتی راحت‌تر جواب می‌دهید؟",
    ask_anything_wrong="از آخرین باری که صحبت کردیم، چیزی هست که اذیتتان کرده باشد؟",
    mood_unknown="حال‌وهوا: پیام تحلیل‌شده‌ای برای سنجش نیست.",
    mood_line="حال‌وهوای فعلی: {mood}؛ روند ۹۰ روز: {trend} (بر پایهٔ {messages})",
    mood_turn="؛ آخرین نقطهٔ عطف: {kind} در {date}",
    mood_emotions="در پیام‌های {days} روز اخیر بیشتر: {names}.",
    avoid_trigger=(
        "{name}: پیش از {count} مورد از افت‌های حال‌وهوایش پیش آمده؛ بی‌مقدمه مطرح نکنید و اگر لازم شد، "
        "همراه راه‌حل بگویید."
    ),
    pleased_moment="{when} {what}: «{words}»",
)
