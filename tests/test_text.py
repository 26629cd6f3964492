from __future__ import annotations

import datetime as dt

import pytest

from ai.text.calendar import format_date, format_numeric, parse_jalali, relative
from ai.text.persian import compact, fold, normalize, to_persian_digits
from ai.text.phone import InvalidPhoneError, normalize_phone
from chronos.settings import SettingsError, load_settings


def test_normalize_letters_digits_and_zwnj() -> None:
    assert normalize("علي  كريمي ۱۲۳ ٤٥") == "علی کریمی 123 45"
    assert normalize("می\u200c\u200cخواهم") == "می\u200cخواهم"
    assert normalize("\u200cسلام \u200cدنیا\u200c") == "سلام دنیا"
    assert normalize("كِتابِ") == "کتاب"


def test_fold_merges_typing_variants() -> None:
    assert fold("رضائي") == fold("رضایی")
    assert compact("محمد\u200cحسین") == compact("محمد حسین") == compact("محمدحسین")
    assert fold("Reality روی iPhone") == "reality روی iphone"


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "+989121234567",
        "989121234567",
        "00989121234567",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "٠٩١٢-١٢٣-٤٥٦٧",
        "9121234567",
    ],
)
def test_phone_forms(raw: str) -> None:
    assert normalize_phone(raw) == "+989121234567"


@pytest.mark.parametrize("raw", ["12345", "+4915112345678", "0912123456", "phone"])
def test_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        normalize_phone(raw)


def test_jalali_round_trip_in_tehran_time() -> None:
    moment = parse_jalali("۱۴۰۳/۰۵/۱۲ ۱۴:۰۵")
    assert moment == dt.datetime(2024, 8, 2, 10, 35, tzinfo=dt.UTC)
    assert format_date(moment, "fa", with_time=True) == "۱۲ مرداد ۱۴۰۳، ۱۴:۰۵"
    # English readers get the Gregorian calendar, still in Tehran time.
    assert format_date(moment, "en", with_time=True) == "2 Aug 2024, 14:05"
    assert format_numeric(moment, "fa") == "۱۴۰۳/۰۵/۱۲"
    assert format_numeric(moment, "en") == "2024-08-02"
    # 22:00 UTC is already the next day in Tehran.
    late = dt.datetime(2024, 8, 2, 22, 0, tzinfo=dt.UTC)
    assert format_date(late, "en") == "3 Aug 2024"
    assert format_date(late, "fa") == "۱۳ مرداد ۱۴۰۳"
    assert relative(moment, moment + dt.timedelta(days=3)) == to_persian_digits("3 روز پیش")


def test_settings_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_TIMEOUT_S", "-1")
    with pytest.raises(SettingsError, match="LLM_TIMEOUT_S"):
        load_settings()
    monkeypatch.delenv("LLM_TIMEOUT_S")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "11, 22")
    assert load_settings().admin_telegram_ids == [11, 22]
