"""Issue 14, PII: the forms the detector missed, the output guard that shares it, and what it must not
mask. The property tests (any separator, any digit set) are in ``test_pii_properties``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from ai.context import ContextSection
from ai.llm import GuardrailViolation
from ai.llm.guardrails import OutputGuard
from ai.pii import MaskSession, find_pii, mask, unmask
from ai.text.persian import to_ascii_digits
from tests.ai.test_gateway_support import Harness, Summary, generic_template, running_harness


@pytest.mark.parametrize(
    ("written", "kind", "canonical"),
    [
        ("0912/345/6789", "PHONE", "+989123456789"),
        ("0912_888_7766", "PHONE", "+989128887766"),
        ("۰ ۹ ۱ ۲ ۳ ۴ ۵ ۶ ۷ ۸ ۹", "PHONE", "+989123456789"),
        ("021-88776655", "PHONE", "+982188776655"),
        ("(021) 8877 6655", "PHONE", "+982188776655"),
        ("+49 151 23456789", "PHONE", "+4915123456789"),
        ("0049 151 23456789", "PHONE", "+4915123456789"),
        ("+971 50 123 4567", "PHONE", "+971501234567"),
        ("6037.9975.1234.5670", "CARD", "6037997512345670"),
        ("6037/9975/1234/5670", "CARD", "6037997512345670"),
        ("6037_9975_1234_5670", "CARD", "6037997512345670"),
        ("۶۰۳۷.۹۹۷۵.۱۲۳۴.۵۶۷۰", "CARD", "6037997512345670"),
        ("IR82.0540.1026.8002.0817.9090.02", "IBAN", "IR820540102680020817909002"),
        ("820540102680020817909002", "IBAN", "IR820540102680020817909002"),
        ("001/234567/9", "NATIONAL_ID", "0012345679"),
        ("name at gmail dot com", "EMAIL", "name@gmail.com"),
        ("Reza.Ahmadi [at] mail [dot] example [dot] ir", "EMAIL", "reza.ahmadi@mail.example.ir"),
        ("reza(at)gmail(dot)com", "EMAIL", "reza@gmail.com"),
    ],
)
def test_forms_the_detector_missed_are_masked_and_restored(written: str, kind: str, canonical: str) -> None:
    text = f"لطفاً به {written} پیام بدهید."
    session = MaskSession()

    masked = mask(text, session)

    assert masked == f"لطفاً به [{kind}_1] پیام بدهید."
    assert unmask(masked, session) == text
    assert [(match.kind, match.canonical) for match in find_pii(text)] == [(kind, canonical)]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("telegram id: 123456789", "telegram id: [TELEGRAM_ID_1]"),
        ("Telegram user id = 5012345678", "Telegram user id = [TELEGRAM_ID_1]"),
        ("chat_id=123456789", "chat_id=[TELEGRAM_ID_1]"),
        ("آیدی عددی: ۱۲۳۴۵۶۷۸۹", "آیدی عددی: [TELEGRAM_ID_1]"),
        ("آیدی تلگرامش ۱۲۳۴۵۶۷۸۹ است", "آیدی تلگرامش [TELEGRAM_ID_1] است"),
        ("شناسه تلگرام نماینده 123456789", "شناسه تلگرام نماینده [TELEGRAM_ID_1]"),
        ("پروفایل tg://user?id=123456789 را باز کن", "پروفایل [TELEGRAM_ID_1] را باز کن"),
    ],
)
def test_numeric_telegram_ids_next_to_a_cue_are_masked(text: str, masked: str) -> None:
    session = MaskSession()
    assert mask(text, session) == masked
    assert unmask(masked, session) == text


@pytest.mark.parametrize(
    "text",
    [
        "سفارش 123456789 ثبت شد",
        "مصرف این ماه 123456789 بایت",
        "آیدی فاکتور 12345678",
        "user_id=123456789 در لاگ مرزبان",
        "کاربر 5012345678 ثانیه آنلاین بود",
    ],
)
def test_bare_numbers_are_not_taken_for_telegram_ids(text: str) -> None:
    assert not any(match.kind == "TELEGRAM_ID" for match in find_pii(text))


@pytest.mark.parametrize(
    "text",
    [
        "مبلغ 1,500,000 تومان واریز شد",
        "مبلغ ۱٬۵۰۰٬۰۰۰ تومان",
        "۲ ۱۵۰ ۰۰۰ ۰۰۰ ریال",
        "9 120 000 000 ریال",
        "2.150.000.000 ریال",
        "تاریخ 1405/09/16",
        "تاریخ ۱۴۰۵/۰۹/۱۶ ساعت ۱۴:۳۰",
        "از 1405/09/16 1234567 تومان",
        "2026-12-08 10:30",
        "تیکت T-1042 و #58213 و TKT-20261208-0042",
        "Xray 1.8.24 و v2rayNG 1.9.16",
        "inbound 192.168.100.200:2053 و 10.0.0.1",
        "پورت‌های 443, 8080, 2053, 8443",
        "uuid 2f1b6c1e-5a3d-4d2a-9e11-0c8f6a1b2c3d",
        "uuid 12345678-1234-1234-1234-123456789012",
        "vless://2f1b6c1e-5a3d-4d2a-9e11-0c8f6a1b2c3d@edge.example.com:443?security=tls",
        "۳ کاربر جدید و ۱۵۰ گیگ",
        "he works at home dot",
    ],
)
def test_ordinary_numbers_and_identifiers_are_not_masked(text: str) -> None:
    assert find_pii(text) == []


def test_the_output_guard_sees_a_dotted_card_in_a_draft() -> None:
    problems = OutputGuard([]).violations("کارت 6037.9975.1234.5670 را بفرستید", MaskSession(), None)

    assert problems == ["contains unmasked personal data (CARD)"]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    async with running_harness() as running:
        yield running


async def _summarise(harness: Harness, record: str) -> Summary:
    section = ContextSection("records", 1, [record])
    result = await harness.gateway.complete_json(
        generic_template(), {"task": "پیش‌نویس بنویس", "records": section}, Summary
    )
    return result.value


async def test_a_draft_with_a_dotted_card_is_never_offered(harness: Harness) -> None:
    harness.emulator.responder = lambda request: {"summary": "لطفاً به کارت 6037.9975.1234.5670 واریز کنید"}

    with pytest.raises(GuardrailViolation, match=r"unmasked personal data \(CARD\)"):
        await _summarise(harness, "نماینده شماره کارت خواست")


async def test_the_missed_forms_never_reach_the_provider(harness: Harness) -> None:
    record = (
        "شماره 0912/345/6789 و 0912_888_7766 و 021-88776655 و +49 151 23456789، "
        "کارت 6037.9975.1234.5670، ایمیل name at gmail dot com، آیدی عددی 123456789"
    )
    harness.emulator.responder = lambda request: {"summary": "[PHONE_1] [CARD_1] [TELEGRAM_ID_1]"}

    summary = await _summarise(harness, record)

    sent = re.sub(r"\D", "", to_ascii_digits(harness.emulator.requests[0].text))
    for digits in ("09123456789", "09128887766", "02188776655", "4915123456789", "6037997512345670"):
        assert digits not in sent
    assert "123456789" not in harness.emulator.requests[0].text
    assert "gmail" not in harness.emulator.requests[0].text
    assert summary.summary == "0912/345/6789 6037.9975.1234.5670 123456789"
