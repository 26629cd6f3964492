"""Property tests: every format of personal data, written with any separator and any digit set, is
masked to one placeholder and unmasked back to exactly what was written; ordinary numbers never are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ai.pii import MaskSession, PiiKind, find_pii, luhn_valid, mask, national_id_valid, sheba_valid, unmask

SEPARATORS = (" ", "-", ".", "/", "_", "\u200c", "")
DIGIT_SETS = ("0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩")
IR_MOBILE_PREFIXES = ("901", "903", "912", "919", "921", "930", "935", "939", "990", "994")
IR_AREA_CODES = ("11", "13", "21", "26", "31", "41", "44", "51", "61", "71", "77", "86")
# (country code, the start of a mobile number, how many digits follow): libphonenumber accepts any.
FOREIGN_MOBILES = (
    ("49", "151", 8), ("44", "7400", 6), ("90", "532", 7), ("971", "50", 7), ("93", "70", 7), ("964", "750", 7),
)  # fmt: skip
BEFORE, AFTER = "پیام نماینده: ", " ممنون"
EXAMPLES = settings(max_examples=150)

digit_runs = st.integers(min_value=0, max_value=9).map(str)


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.lists(digit_runs, min_size=count, max_size=count).map("".join)


def _split(digits: str, layout: Sequence[int]) -> list[str]:
    assert sum(layout) == len(digits)
    parts, cursor = [], 0
    for size in layout:
        parts.append(digits[cursor : cursor + size])
        cursor += size
    return parts


@st.composite
def _written(draw: st.DrawFn, digits: str, layouts: Sequence[Sequence[int]], head: str = "") -> str:
    """``digits`` in one of ``layouts``, one random separator, every digit from a random digit set."""
    layout = draw(st.sampled_from(layouts))
    separator = draw(st.sampled_from(SEPARATORS))
    text = head + separator.join(_split(digits, layout))
    return "".join(draw(st.sampled_from(DIGIT_SETS))[int(char)] if char.isdigit() else char for char in text)


def _assert_round_trip(written: str, kind: PiiKind, canonical: str) -> None:
    text = f"{BEFORE}{written}{AFTER}"
    session = MaskSession()
    masked = mask(text, session)
    assert masked == f"{BEFORE}[{kind}_1]{AFTER}"
    assert unmask(masked, session) == text
    assert [(match.kind, match.canonical) for match in find_pii(text)] == [(kind, canonical)]


ir_mobile_numbers = st.tuples(st.sampled_from(IR_MOBILE_PREFIXES), _digits(7)).map("".join)


@st.composite
def _ir_mobile(draw: st.DrawFn, national: str) -> str:
    """The ten-digit ``national`` number as people write it: 0912…, +98 912…, 0098…, 98912…, 912…."""
    form = draw(st.sampled_from(("0", "+98", "0098", "98", "")))
    if form == "0":
        return draw(_written("0" + national, [(4, 3, 4), (4, 3, 2, 2), (4, 7), (11,), (1,) * 11]))
    if form == "":
        assume(not national_id_valid(national))  # a valid national id wins over a bare mobile
        return draw(_written(national, [(3, 3, 4), (3, 7), (10,)]))
    digits = form.removeprefix("+") + national
    head = len(digits) - 10
    plus = "+" if form.startswith("+") else ""
    return draw(_written(digits, [(head, 3, 3, 4), (head, 10), (len(digits),)], plus))


@given(ir_mobile_numbers, st.data())
@EXAMPLES
def test_iranian_mobiles_in_any_layout_are_masked_and_restored(national: str, data: st.DataObject) -> None:
    _assert_round_trip(data.draw(_ir_mobile(national)), "PHONE", "+98" + national)


@given(ir_mobile_numbers, st.data())
@EXAMPLES
def test_one_number_in_two_layouts_gets_one_placeholder(national: str, data: st.DataObject) -> None:
    first, second = data.draw(_ir_mobile(national)), data.draw(_ir_mobile(national))
    session = MaskSession()
    masked = mask(f"{first} و {second}", session)
    assert masked == "[PHONE_1] و [PHONE_1]"
    assert unmask(masked, session) == f"{first} و {first}"  # the first form seen stands for both


@given(st.sampled_from(IR_AREA_CODES), _digits(8), st.data())
@EXAMPLES
def test_iranian_landlines_with_their_area_code_are_masked_and_restored(
    area: str, subscriber: str, data: st.DataObject
) -> None:
    national = area + subscriber
    written = data.draw(_written("0" + national, [(3, 8), (3, 4, 4), (11,)]))
    _assert_round_trip(written, "PHONE", "+98" + national)


@given(st.sampled_from(FOREIGN_MOBILES), st.data())
@EXAMPLES
def test_foreign_numbers_with_their_country_code_are_masked_and_restored(
    mobile: tuple[str, str, int], data: st.DataObject
) -> None:
    code, start, rest = mobile
    national = start + data.draw(_digits(rest))
    prefix = data.draw(st.sampled_from(("+", "00")))
    digits = ("00" if prefix == "00" else "") + code + national
    head = "+" if prefix == "+" else ""
    code_size = len(digits) - len(national)
    written = data.draw(
        _written(digits, [(code_size, len(start), rest), (code_size, len(national)), (len(digits),)], head)
    )
    _assert_round_trip(written, "PHONE", f"+{code}{national}")


def _luhn_completed(body: str) -> str:
    return next(body + check for check in "0123456789" if luhn_valid(body + check))


@given(_digits(15).map(_luhn_completed), st.data())
@EXAMPLES
def test_luhn_valid_cards_are_masked_and_restored(card: str, data: st.DataObject) -> None:
    written = data.draw(_written(card, [(4, 4, 4, 4), (16,), (1,) * 16]))
    _assert_round_trip(written, "CARD", card)


def _sheba_completed(body: str) -> str:
    return next(f"{check:02d}{body}" for check in range(100) if sheba_valid(f"IR{check:02d}{body}"))


@given(_digits(22).map(_sheba_completed), st.sampled_from(("IR", "ir", "")), st.data())
@EXAMPLES
def test_sheba_numbers_with_or_without_ir_are_masked_and_restored(
    digits: str, prefix: str, data: st.DataObject
) -> None:
    # Without "IR" only the unbroken 24 digits are a Sheba; with it, any layout is.
    layouts = [(24,)] if not prefix else [(2, 4, 4, 4, 4, 4, 2), (24,), (2, 22)]
    glue = data.draw(st.sampled_from(("", " ", "-"))) if prefix else ""
    written = data.draw(_written(digits, layouts, prefix + glue))
    _assert_round_trip(written, "IBAN", "IR" + digits)


def _national_id_completed(body: str) -> str:
    return next(body + check for check in "0123456789" if national_id_valid(body + check))


@given(_digits(9).filter(lambda body: len(set(body)) > 1).map(_national_id_completed), st.data())
@EXAMPLES
def test_checksum_valid_national_ids_are_masked_and_restored(national_id: str, data: st.DataObject) -> None:
    written = data.draw(_written(national_id, [(3, 6, 1), (10,), (1,) * 10]))
    _assert_round_trip(written, "NATIONAL_ID", national_id)


_LABEL = st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True).filter(lambda label: label not in {"at", "dot"})


@given(
    _LABEL,
    _LABEL,
    st.from_regex(r"[a-z]{2,6}", fullmatch=True).filter(lambda tld: tld not in {"at", "dot"}),
    st.sampled_from((" at ", " AT ", " [at] ", "(at)", " @ ", "@")),
    st.sampled_from((" dot ", " DOT ", " [dot] ", "(dot)", ".")),
)
@EXAMPLES
def test_spelled_out_emails_are_masked_and_restored(
    local: str, domain: str, tld: str, at: str, dot: str
) -> None:
    _assert_round_trip(f"{local}{at}{domain}{dot}{tld}", "EMAIL", f"{local}@{domain}.{tld}")


TELEGRAM_CUES = (
    "telegram id: ", "Telegram ID ", "tg id=", "tg_id=", "chat_id=", "آیدی ", "آیدی عددی: ", "آی‌دی ",
    "شناسه تلگرام ", "آیدی تلگرامش: ", "آیدی من ", "tg://user?id=",
)  # fmt: skip


@given(st.sampled_from(TELEGRAM_CUES), st.integers(min_value=100_000, max_value=999_999_999_999), st.data())
@EXAMPLES
def test_numeric_telegram_ids_after_a_cue_are_masked_and_restored(
    cue: str, user_id: int, data: st.DataObject
) -> None:
    written = data.draw(_written(str(user_id), [(len(str(user_id)),)]))
    text = f"{BEFORE}{cue}{written}{AFTER}"
    session = MaskSession()
    masked = mask(text, session)
    assert masked == (
        f"{BEFORE}[TELEGRAM_ID_1]{AFTER}"
        if cue.startswith("tg://")
        else f"{BEFORE}{cue}[TELEGRAM_ID_1]{AFTER}"
    )
    assert unmask(masked, session) == text
    assert [match.canonical for match in find_pii(text)] == [str(user_id)]


# What must never be masked.


def _grouped(amount: int, separator: str) -> str:
    return f"{amount:,}".replace(",", separator)


@given(
    st.integers(min_value=1_000, max_value=10**13),
    st.sampled_from((",", "٬", "،", " ", ".", "'")),
    st.sampled_from((" تومان", " ریال", " Toman", "")),
)
@EXAMPLES
def test_amounts_with_thousands_separators_are_not_masked(amount: int, separator: str, unit: str) -> None:
    assert find_pii(f"مبلغ {_grouped(amount, separator)}{unit} پرداخت شد") == []


@given(
    st.dates(min_value=dt.date(1921, 3, 21), max_value=dt.date(2099, 12, 31)),
    st.sampled_from("/-."),
    st.booleans(),
)
@EXAMPLES
def test_dates_are_not_masked_even_next_to_other_numbers(
    day: dt.date, separator: str, with_time: bool
) -> None:
    date = separator.join((f"{day.year}", f"{day.month:02d}", f"{day.day:02d}"))
    jalali_like = separator.join((f"{day.year - 621}", f"{day.month:02d}", f"{day.day:02d}"))
    clock = " 14:30" if with_time else " 1234567"
    assert find_pii(f"تاریخ {date}{clock} و {jalali_like}{clock}") == []


@given(
    st.lists(st.integers(min_value=0, max_value=255), min_size=4, max_size=4),
    st.integers(1, 65535) | st.none(),
)
@EXAMPLES
def test_ip_addresses_and_ports_are_not_masked(octets: list[int], port: int | None) -> None:
    address = ".".join(map(str, octets)) + ("" if port is None else f":{port}")
    assert find_pii(f"سرور {address} پورت {port or 443}") == []


@given(st.uuids())
@EXAMPLES
def test_v2ray_uuids_are_not_masked(uuid: object) -> None:
    assert find_pii(f"vless://{uuid}@example.com:443 و {uuid}") == []


@given(st.lists(st.integers(min_value=0, max_value=99), min_size=2, max_size=4))
@EXAMPLES
def test_version_strings_are_not_masked(parts: list[int]) -> None:
    version = ".".join(map(str, parts))
    assert find_pii(f"Xray v{version} و نسخه {version}") == []
