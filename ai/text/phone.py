"""Iranian phone numbers: parse any common written form into E.164 (+98XXXXXXXXXX)."""

from __future__ import annotations

import re

from ai.text.persian import to_ascii_digits

E164_IR = re.compile(r"^\+98[1-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-().\u200c]")


class InvalidPhoneError(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """``0912 123 4567``, ``+98 912…``, ``0098912…``, ``98912…``, ``912…``, Persian digits → ``+98912…``.

    Landlines with their area code (``021 8888 7777``) are accepted too: Iranian national numbers
    are ten digits after the trunk prefix.
    """
    digits = _SEPARATORS.sub("", to_ascii_digits(raw.strip()))
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("98"):
            raise InvalidPhoneError(f"not an Iranian number: {raw!r}")
        national = digits[2:]
    elif digits.startswith("0098"):
        national = digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not national.isdigit() or len(national) != 10 or national[0] == "0":
        raise InvalidPhoneError(f"not a valid Iranian phone number: {raw!r}")
    return f"+98{national}"


def is_mobile(e164: str) -> bool:
    return e164.startswith("+989")
