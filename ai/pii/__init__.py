"""Personal-data masking before text leaves for an external LLM (or the knowledge store).

:func:`mask` replaces every phone (any country), bank card, Sheba/IBAN, national id, email, Telegram
handle and numeric Telegram id with a placeholder such as ``[PHONE_1]``. Placeholders are stable within
one :class:`MaskSession`: the same value (in any written form, separators or digit set) always gets
the same placeholder, so the model can still tell two people apart. :func:`unmask` puts the original
text back into the model's answer. The output guard (``ai.llm.guardrails``) runs the same detector,
:func:`find_pii`, on every answer.

Numbers are only masked when they are plausible (cards pass Luhn, Sheba numbers mod-97, national ids
their checksum, phones ``phonenumbers``' validation); ``ai.pii.numbers`` says how digits separated by
spaces, dashes, dots, slashes, underscores or ZWNJ are read, and what is never a candidate.
``ai.pii.identities`` covers emails (also spelled ``name at gmail dot com``), handles and Telegram ids,
and why a bare number is never taken for a Telegram id.

Names are not detected: a caller declares the people whose names its text may hold
(``MaskSession(names=[PersonName("REP", …)])``), and every form of those names becomes a pseudonym
such as ``[REP_NAME_1]`` or ``[AGENT_FIRST_NAME_1]``, restored by :func:`unmask` like the others
(:mod:`ai.pii.names`). Other people's names, addresses and other free-text identifiers are not masked.
"""

from __future__ import annotations

from ai.pii.base import PLACEHOLDER_PATTERN, NameKind, PiiKind, PiiMatch
from ai.pii.checks import luhn_valid, national_id_valid, sheba_valid
from ai.pii.masking import MaskSession, contains_pii, find_pii, mask, placeholders_in, unmask
from ai.pii.names import NameRole, PersonName

__all__ = [
    "PLACEHOLDER_PATTERN",
    "MaskSession",
    "NameKind",
    "NameRole",
    "PersonName",
    "PiiKind",
    "PiiMatch",
    "contains_pii",
    "find_pii",
    "luhn_valid",
    "mask",
    "national_id_valid",
    "placeholders_in",
    "sheba_valid",
    "unmask",
]
