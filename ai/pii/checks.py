"""Check digits that tell a real card, Sheba or national id from any other number of the same length."""

from __future__ import annotations

_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # each digit doubled, digits of the product summed
_IR_AS_DIGITS = "1827"  # ISO 13616 turns letters into numbers: I = 18, R = 27
SHEBA_DIGITS = 24


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every bank card number carries in its last digit."""
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    kept = sum(map(int, digits[-1::-2]))
    doubled = sum(map(_LUHN_DOUBLED.__getitem__, map(int, digits[-2::-2])))
    return (kept + doubled) % 10 == 0


def national_id_valid(digits: str) -> bool:
    """Iranian national id (کد ملی): ten digits, the last one a mod-11 check over the first nine."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    weighted = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
    check = int(digits[9])
    return check == weighted if weighted < 2 else check == 11 - weighted


def sheba_valid(iban: str) -> bool:
    """An Iranian IBAN (Sheba): ``IR``, two check digits and 22 more, passing the ISO 13616 mod-97 check."""
    digits = iban[2:]
    if len(digits) != SHEBA_DIGITS or iban[:2].upper() != "IR" or not (digits.isascii() and digits.isdigit()):
        return False
    return int(digits[2:] + _IR_AS_DIGITS + digits[:2]) % 97 == 1
