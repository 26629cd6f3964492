"""Numbers that are personal data: phones of any country, bank cards, Sheba numbers, national ids.

The text is read (with ASCII digits, see :func:`ai.pii.find_pii`) as **digit groups**, maximal runs of
digits. Two neighbouring groups are *linked* when what stands between them is one separator: a space,
NBSP, ZWNJ, ``-``, ``.``, ``/`` or ``_``, optionally padded with spaces and parentheses
(``0912/345/6789``, ``0912_888_7766``, ``+98 (912) 123-4567``). A candidate is a sequence of linked
groups; at each group the longest candidate that passes a check wins and the scan goes on after it.
Groups are never split, so ``09121234567890`` is one fourteen-digit number, not a phone and ``890``.

Checks, in this order for one candidate (digits are the groups' digits joined):

* **Sheba**: ``IR`` and 24 digits with any separators (``IR06 0120 …``) is masked on its shape alone:
  the prefix already says what it is, and a mistyped check digit must not send the rest of an account
  number out. Without ``IR``, 24 digits written as one group (or digit by digit) must pass the ISO
  13616 mod-97 check as ``IR…``.
* **Card**: 16 digits written as 16, 4-4-4-4 or digit by digit, passing Luhn. Issuer prefixes (BINs)
  are not checked: Iranian cards start with 50, 60, 62, 63… and a list would go stale.
* **National id**: 10 digits written as 10, 3-6-1 or digit by digit, passing the official checksum.
* **Phone**, validated by ``phonenumbers`` (Google's libphonenumber metadata): with ``+`` or ``00`` any
  country; with the trunk ``0`` an Iranian number of eleven digits, landline or mobile; ``98 9…`` and a
  bare ten-digit ``9…`` only as Iranian mobiles. Numbers grouped in threes after a short head
  (``9 120 000 000``) are amounts, never phones, unless they start with ``+``.

Never candidates: digits glued to Latin letters and every part of the token they are in (``a6037…``,
``nonce=0123abcd``, ``9e11-1234``), UUIDs, IPv4 addresses (with their port) and dates (``1405/09/16``,
``2026-12-08``), so no check can join them with a neighbour. Letters alone do not block: ``REP-0043``
keeps ``0043`` (too short for anything) and ``Tel-0912 345 6789`` is a phone.

Separators of one candidate must agree: spaces and dashes mix (the ways people type phones), ``.``,
``/`` and ``_`` only with themselves, so ``1405/09/16 1234567`` stays two numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from ai.pii.base import Claims, PiiKind, PiiMatch
from ai.pii.checks import SHEBA_DIGITS, luhn_valid, national_id_valid, sheba_valid

_GROUP = re.compile(r"[0-9]+")
_SEPARATOR = re.compile(r"\)?[ \u00a0]{0,2}(?:[-./_\u200c][ \u00a0]{0,2})?\(?")
_MARKED_SEPARATORS = "-./_"
_TYPED_PHONE_SEPARATORS = frozenset(" -")
_MAX_DIGITS = SHEBA_DIGITS
_MIN_DIGITS = 7  # the shortest valid international numbers; every national form is longer
_PREFIXED_SHEBA = re.compile(r"(?<![A-Za-z0-9])IR(?:[ \u00a0\u200c\-./_]?[0-9]){24}(?![0-9])", re.IGNORECASE)

# A token (``a-b_c``) with a part where digits touch Latin letters is a machine identifier (a hash, a
# nonce, a hex id); its digits are never personal data. Codes such as ``REP-0043`` or ``Tel-0912…``
# keep their digit parts as candidates: the checks decide.
_IDENTIFIER = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
_GLUED = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]")
_UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?::[0-9]{1,5})?(?![0-9]|\.[0-9])")
_DATE = re.compile(
    r"(?<![0-9])(?:1[34]|19|20)[0-9]{2}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])(?![0-9])"
)
_NOT_A_PLUS_SIGN_BEFORE = re.compile(r"[A-Za-z0-9]")

_CARD_LAYOUTS = ((16,), (4, 4, 4, 4))
_NATIONAL_ID_LAYOUTS = ((10,), (3, 6, 1))
_SHEBA_LAYOUTS = ((SHEBA_DIGITS,),)
_E164 = phonenumbers.PhoneNumberFormat.E164
_MOBILE = phonenumbers.PhoneNumberType.MOBILE


class _Group:
    __slots__ = ("digits", "end", "link", "start")

    def __init__(self, start: int, end: int, digits: str) -> None:
        self.start, self.end, self.digits = start, end, digits
        self.link: str | None = None
        """The separator's kind (``" "``, ``-``, ``.``, ``/``, ``_``) when linked to the next group."""


def _block_non_numbers(text: str, claims: Claims) -> None:
    for match in _IDENTIFIER.finditer(text):
        if _GLUED.search(match.group()):
            claims.block(*match.span())
    for pattern in (_UUID, _DATE):
        for match in pattern.finditer(text):
            claims.block(*match.span())
    for match in _IPV4.finditer(text):
        if all(int(octet) <= 255 for octet in match.group().split(":")[0].split(".")):
            claims.block(*match.span())


def _runs(text: str, claims: Claims) -> Iterator[list[_Group]]:
    """Linked groups, free of earlier claims, in reading order."""
    run: list[_Group] = []
    for match in _GROUP.finditer(text):
        group = _Group(match.start(), match.end(), match.group())
        if not claims.free(group.start, group.end):
            if run:
                yield run
            run = []
            continue
        if run:
            between = text[run[-1].end : group.start]
            if _SEPARATOR.fullmatch(between):
                run[-1].link = next((char for char in between if char in _MARKED_SEPARATORS), " ")
            else:
                yield run
                run = []
        run.append(group)
    if run:
        yield run


def _digit_by_digit(layout: tuple[int, ...]) -> bool:
    return len(layout) > 1 and all(size == 1 for size in layout)


def _fixed_layout(digits: str, layout: tuple[int, ...]) -> tuple[PiiKind, str] | None:
    spelled = _digit_by_digit(layout)
    if len(digits) == SHEBA_DIGITS and (layout in _SHEBA_LAYOUTS or spelled) and sheba_valid("IR" + digits):
        return "IBAN", "IR" + digits
    if len(digits) == 16 and (layout in _CARD_LAYOUTS or spelled) and luhn_valid(digits):
        return "CARD", digits
    if len(digits) == 10 and (layout in _NATIONAL_ID_LAYOUTS or spelled) and national_id_valid(digits):
        return "NATIONAL_ID", digits
    return None


def _amount_layout(layout: tuple[int, ...]) -> bool:
    """``9 120 000 000``: thousands separators, not phone groups."""
    return len(layout) > 1 and layout[0] <= 3 and all(size == 3 for size in layout[1:])


def _phone(digits: str, layout: tuple[int, ...], plus: bool) -> str | None:
    """The E.164 form of a valid phone number, or None."""
    mobile_only = False
    region: str | None = "IR"
    if plus:
        written, region = "+" + digits, None
    elif _amount_layout(layout):
        return None
    elif digits.startswith("00") or (digits.startswith("0") and len(digits) == 11):
        written = digits
    elif digits.startswith("989") and len(digits) == 12:
        written, region, mobile_only = "+" + digits, None, True
    elif digits.startswith("9") and len(digits) == 10:
        written, mobile_only = digits, True
    else:
        return None
    if not _MIN_DIGITS <= len(digits) <= 17:
        return None
    try:
        number = phonenumbers.parse(written, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if mobile_only and phonenumbers.number_type(number) != _MOBILE:
        return None
    return phonenumbers.format_number(number, _E164)


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the parenthesis a span opens or closes (``(0912) 123 4567``), never a surrounding pair."""
    inner = text[start:end]
    opened, closed = inner.count("("), inner.count(")")
    if closed > opened and start > 0 and text[start - 1] == "(":
        start -= 1
    elif opened > closed and text[end : end + 1] == ")":
        end += 1
    return start, end


def _plus_before(text: str, start: int) -> bool:
    return (
        start > 0
        and text[start - 1] == "+"
        and not (start > 1 and _NOT_A_PLUS_SIGN_BEFORE.match(text[start - 2]) is not None)
    )


def _classify(text: str, groups: list[_Group]) -> PiiMatch | None:
    links = {group.link for group in groups[:-1]}
    if len(links) > 1 and not links <= _TYPED_PHONE_SEPARATORS:
        return None
    digits = "".join(group.digits for group in groups)
    layout = tuple(len(group.digits) for group in groups)
    start, end = groups[0].start, groups[-1].end
    plus = _plus_before(text, start)
    fixed = None if plus else _fixed_layout(digits, layout)
    if fixed is not None:
        kind, canonical = fixed
    else:
        phone = _phone(digits, layout, plus)
        if phone is None:
            return None
        kind, canonical = "PHONE", phone
        start -= 1 if plus else 0
    start, end = _balanced(text, start, end)
    return PiiMatch(kind, start, end, canonical)


def _longest_first(run: list[_Group], first: int) -> list[int]:
    """Indexes of the candidates' last groups, longest candidate first."""
    lasts: list[int] = []
    total = 0
    for index in range(first, len(run)):
        total += len(run[index].digits)
        if total > _MAX_DIGITS:
            break
        if total >= _MIN_DIGITS:
            lasts.append(index)
        if run[index].link is None:
            break
    return lasts[::-1]


def _scan_run(text: str, run: list[_Group], claims: Claims) -> None:
    first = 0
    while first < len(run):
        for last in _longest_first(run, first):
            match = _classify(text, run[first : last + 1])
            if match is not None and claims.offer(match):
                first = last + 1
                break
        else:
            first += 1


def claim_numbers(text: str, claims: Claims) -> None:
    """Claim every numeric personal-data span of ``text`` (ASCII digits) that is still free."""
    for match in _PREFIXED_SHEBA.finditer(text):
        digits = "".join(char for char in match.group()[2:] if char.isdigit())
        claims.offer(PiiMatch("IBAN", match.start(), match.end(), "IR" + digits))
    _block_non_numbers(text, claims)
    for run in _runs(text, claims):
        _scan_run(text, run, claims)
