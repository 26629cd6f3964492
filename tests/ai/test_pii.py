"""PII masking: every written form is caught, checksums keep false positives out, unmask restores."""

from __future__ import annotations

import pytest

from ai.pii import MaskSession, contains_pii, find_pii, luhn_valid, mask, national_id_valid, unmask

VALID_CARD = "6037991234567893"
VALID_NATIONAL_ID = "0012345679"


@pytest.mark.parametrize(
    "phone",
    [
        "09121234567",
        "0912 123 4567",
        "0912-123-45-67",
        "(0912) 123 4567",
        "+98 (912) 123-4567",
        "+98 912 123 4567",
        "+989121234567",
        "0098-912-123-4567",
        "989121234567",
        "9121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
    ],
)
def test_every_written_form_of_one_mobile_gets_the_same_placeholder(phone: str) -> None:
    session = MaskSession()
    first = mask("شماره اصلی 09121234567 است", session)
    masked = mask(f"و دوباره {phone} را گرفت", session)

    assert first == "شماره اصلی [PHONE_1] است"
    assert masked == "و دوباره [PHONE_1] را گرفت"
    assert unmask(masked, session) == "و دوباره 09121234567 را گرفت"  # the first form seen
    alone = MaskSession()
    assert unmask(mask(phone, alone), alone) == phone


def test_parentheses_around_a_whole_number_stay_balanced() -> None:
    assert mask("(09121234567)", MaskSession()) == "([PHONE_1])"


def test_different_values_get_numbered_placeholders_in_reading_order() -> None:
    session = MaskSession()
    masked = mask("a@b.io, 09121234567, 09351112233, A@B.io, @someone_here", session)

    assert masked == "[EMAIL_1], [PHONE_1], [PHONE_2], [EMAIL_1], [HANDLE_1]"
    assert len(session) == 4
    assert session.placeholders == {"[EMAIL_1]", "[PHONE_1]", "[PHONE_2]", "[HANDLE_1]"}


@pytest.mark.parametrize("landline", ["02188887777", "021 8888 7777", "(021) 8888-7777", "+98 21 8888 7777"])
def test_landlines_with_their_area_code_are_phones(landline: str) -> None:
    assert [(match.kind, match.canonical) for match in find_pii(landline)] == [("PHONE", "+982188887777")]


@pytest.mark.parametrize("text", ["08001234567", "شماره 12345", "09121234", "2188887777"])
def test_invalid_short_or_trunkless_landline_numbers_are_not_phones(text: str) -> None:
    assert not any(match.kind == "PHONE" for match in find_pii(text))


@pytest.mark.parametrize(
    "card", [VALID_CARD, "6037 9912 3456 7893", "6037-9912-3456-7893", "۶۰۳۷۹۹۱۲۳۴۵۶۷۸۹۳"]
)
def test_luhn_valid_cards_are_masked_in_any_layout(card: str) -> None:
    session = MaskSession()
    assert mask(f"کارت {card} است", session) == "کارت [CARD_1] است"
    assert unmask("[CARD_1]", session) == card


@pytest.mark.parametrize("number", ["6037991234567894", "1234567812345678", "6037 9912 3456 7890"])
def test_luhn_invalid_sixteen_digit_numbers_are_left_alone(number: str) -> None:
    assert not luhn_valid(number.replace(" ", ""))
    assert mask(number, MaskSession()) == number


@pytest.mark.parametrize(
    "iban",
    ["IR060120000000000012345678", "IR06 0120 0000 0000 0012 3456 78", "ir06-0120-0000-0000-0012-3456-78"],
)
def test_sheba_numbers_are_masked(iban: str) -> None:
    assert mask(f"شبا: {iban}.", MaskSession()) == "شبا: [IBAN_1]."


def test_sheba_needs_exactly_24_digits() -> None:
    assert mask("IR06012000000000001234567", MaskSession()) == "IR06012000000000001234567"


@pytest.mark.parametrize("national_id", [VALID_NATIONAL_ID, "4471234560", "001-234567-9", "۰۰۱۲۳۴۵۶۷۹"])
def test_checksum_valid_national_ids_are_masked(national_id: str) -> None:
    assert mask(f"کد ملی {national_id}", MaskSession()) == "کد ملی [NATIONAL_ID_1]"


@pytest.mark.parametrize("number", ["0012345678", "4471234561", "1111111111", "0000000000"])
def test_checksum_invalid_or_repeated_national_ids_are_left_alone(number: str) -> None:
    assert not national_id_valid(number)
    assert not contains_pii(number)


def test_a_checksum_valid_national_id_wins_over_a_bare_mobile() -> None:
    assert [match.kind for match in find_pii("9123456787")] == ["NATIONAL_ID"]


def test_emails_hide_their_at_sign_from_the_handle_detector() -> None:
    assert mask("mail reza.ahmadi+crm@mail.example.co.ir now", MaskSession()) == "mail [EMAIL_1] now"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("کانال @marfa_net_vpn را ببینید", "کانال [HANDLE_1] را ببینید"),
        ("https://t.me/marfa_net_vpn", "[HANDLE_1]"),
        ("@marfa_net_vpn و t.me/MARFA_NET_VPN", "[HANDLE_1] و [HANDLE_1]"),
        ("@abc کوتاه است", "@abc کوتاه است"),
        ("@9start", "@9start"),
    ],
)
def test_telegram_handles_and_links(text: str, expected: str) -> None:
    assert mask(text, MaskSession()) == expected


def test_numbers_glued_to_latin_letters_or_longer_digit_runs_are_not_pii() -> None:
    assert not contains_pii("nonce=0123456789abcdef id 09121234567890 hash a6037991234567893")


def test_unmask_leaves_unknown_placeholders_and_plain_text() -> None:
    session = MaskSession()
    mask("09121234567", session)
    assert unmask("[PHONE_1] و [PHONE_2] و [CARD_1]", session) == "09121234567 و [PHONE_2] و [CARD_1]"


def test_text_that_already_looks_like_a_placeholder_is_defused() -> None:
    session = MaskSession()
    assert mask("[PHONE_1] then 09121234567", session) == "(PHONE_1) then [PHONE_1]"


def test_empty_and_clean_text_is_untouched() -> None:
    session = MaskSession()
    assert mask("", session) == ""
    assert mask("نماینده از سرعت V2Ray راضی است؛ ۳ کاربر جدید.", session) == (
        "نماینده از سرعت V2Ray راضی است؛ ۳ کاربر جدید."
    )
    assert len(session) == 0


@pytest.mark.parametrize("text", ["Tel-0912 345 6789", "mobile_09123456789", "tel:+989123456789"])
def test_a_phone_after_a_latin_label_is_still_a_phone(text: str) -> None:
    assert [(match.kind, match.canonical) for match in find_pii(text)] == [("PHONE", "+989123456789")]
