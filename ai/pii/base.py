"""What a detector reports, and the placeholder syntax every kind of personal data shares (people's
names included: :mod:`ai.pii.names`)."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple, get_args

PiiKind = Literal["PHONE", "CARD", "IBAN", "NATIONAL_ID", "EMAIL", "HANDLE", "TELEGRAM_ID"]
NameKind = Literal[
    "REP_NAME", "REP_FIRST_NAME", "REP_SURNAME", "AGENT_NAME", "AGENT_FIRST_NAME", "AGENT_SURNAME"
]
"""A person's full name, or their first name or surname alone, by who they are to the CRM."""

PLACEHOLDER_PATTERN = re.compile(rf"\[({'|'.join((*get_args(PiiKind), *get_args(NameKind)))})_(\d{{1,4}})\]")


class PiiMatch(NamedTuple):
    kind: PiiKind
    start: int
    end: int
    canonical: str
    """The value in one written form (E.164 phone, bare digits, lower-case email), so every way of
    writing the same value gets the same placeholder."""


class Claims:
    """Spans already taken by a detector; a later detector may not overlap them."""

    def __init__(self, length: int) -> None:
        self._taken = bytearray(length)
        self.matches: list[PiiMatch] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self._taken[start:end])

    def block(self, start: int, end: int) -> None:
        """Keep ``start:end`` from every later detector without reporting it (not personal data)."""
        self._taken[start:end] = b"\x01" * (end - start)

    def claim(self, match: PiiMatch) -> None:
        self.block(match.start, match.end)
        self.matches.append(match)

    def offer(self, match: PiiMatch) -> bool:
        """Claim ``match`` unless it overlaps an earlier claim; True when it was claimed."""
        if not self.free(match.start, match.end):
            return False
        self.claim(match)
        return True
