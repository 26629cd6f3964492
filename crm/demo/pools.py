"""Who and where: Persian names, cities, operators, VPN vocabulary and the plans MarFanet sells."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MALE_FIRST_NAMES = (
    "محمد", "علی", "حسین", "رضا", "مهدی", "امیر", "حسن", "سعید", "مجید", "حمید",
    "مصطفی", "جواد", "احمد", "محسن", "وحید", "امیرحسین", "محمدرضا", "علیرضا", "سجاد", "میلاد",
    "پویا", "آرش", "بهزاد", "کیوان", "فرهاد", "نیما", "پیمان", "یاسر", "مرتضی", "ابوالفضل",
    "هادی", "داوود", "بابک", "سینا", "کامران", "رامین", "شهرام", "ایمان", "حامد", "مهرداد",
)  # fmt: skip

FEMALE_FIRST_NAMES = (
    "فاطمه", "زهرا", "مریم", "سارا", "نرگس", "الهام", "سمیرا", "نازنین", "مهسا", "لیلا",
    "شیما", "پریسا", "نگار", "سپیده", "مینا", "آزاده", "فرناز", "هانیه", "ریحانه", "یگانه",
)  # fmt: skip

LAST_NAMES = (
    "محمدی", "حسینی", "احمدی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "هاشمی",
    "قاسمی", "نوری", "عباسی", "کاظمی", "مرادی", "اکبری", "حیدری", "طاهری", "یوسفی", "ابراهیمی",
    "شریفی", "نجفی", "زارعی", "سلطانی", "خسروی", "بهرامی", "فرهادی", "امیری", "تهرانی", "قربانی",
    "میرزایی", "دهقان", "نظری", "رستمی", "صفری", "باقری", "فتحی", "سبحانی", "پورمحمدی", "علیزاده",
    "حسن‌زاده", "ملکی", "توکلی", "جهانگیری", "منصوری", "شجاعی", "کرمانی", "شیرازی", "اصفهانی", "تبریزی",
)  # fmt: skip


@dataclass(frozen=True)
class City:
    name: str
    province: str
    slug: str
    weight: int


CITIES = (
    City("تهران", "تهران", "tehran", 40),
    City("مشهد", "خراسان رضوی", "mashhad", 14),
    City("اصفهان", "اصفهان", "isfahan", 12),
    City("کرج", "البرز", "karaj", 10),
    City("شیراز", "فارس", "shiraz", 10),
    City("تبریز", "آذربایجان شرقی", "tabriz", 9),
    City("اهواز", "خوزستان", "ahvaz", 7),
    City("رشت", "گیلان", "rasht", 6),
    City("قم", "قم", "qom", 5),
    City("کرمانشاه", "کرمانشاه", "kermanshah", 5),
    City("ارومیه", "آذربایجان غربی", "urmia", 4),
    City("یزد", "یزد", "yazd", 4),
    City("کرمان", "کرمان", "kerman", 4),
    City("ساری", "مازندران", "sari", 4),
    City("همدان", "همدان", "hamedan", 3),
    City("بندرعباس", "هرمزگان", "bandarabbas", 3),
    City("اراک", "مرکزی", "arak", 3),
    City("قزوین", "قزوین", "qazvin", 3),
    City("گرگان", "گلستان", "gorgan", 3),
    City("سنندج", "کردستان", "sanandaj", 2),
    City("زاهدان", "سیستان و بلوچستان", "zahedan", 2),
)

# Mobile prefixes after +98: Hamrah-e Aval (91x, 990), Irancell (93x, 90x), Rightel (92x).
MOBILE_PREFIXES = ("912", "913", "915", "919", "990", "935", "936", "937", "938", "901", "902", "903", "921")

OPERATORS = ("ایرانسل", "همراه اول", "مخابرات", "شاتل", "رایتل", "آسیاتک")
OPERATOR_WEIGHTS = (30, 30, 16, 12, 6, 6)

PROTOCOLS = ("VLESS Reality", "VLESS روی WS", "VMess", "Trojan", "VLESS gRPC", "Reality")
APPS = ("v2rayNG", "Hiddify", "Streisand", "V2Box", "NekoBox", "FoXray")
NODES = ("آلمان", "هلند", "فنلاند", "ترکیه", "امارات", "فرانسه")


@dataclass(frozen=True)
class TierSpec:
    code: str
    name: str
    monthly_price_toman: Decimal
    price_per_user_toman: Decimal
    user_limit: int
    rank: int


TIERS = (
    TierSpec("BASIC", "پایه", Decimal(1_500_000), Decimal(20_000), 50, 0),
    TierSpec("PRO", "حرفه‌ای", Decimal(3_900_000), Decimal(15_000), 150, 1),
    TierSpec("ENTERPRISE", "سازمانی", Decimal(9_500_000), Decimal(10_000), 500, 2),
)
TIER_WEIGHTS = (55, 35, 10)


def bigger_tier(tier: TierSpec) -> TierSpec | None:
    return TIERS[tier.rank + 1] if tier.rank + 1 < len(TIERS) else None
