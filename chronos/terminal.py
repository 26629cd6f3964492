"""Persian in a terminal: most terminals do not shape Arabic script or apply the bidi algorithm,
so text with Persian letters is reshaped and reordered for display (never for storage or JSON)."""

from __future__ import annotations

import re

from arabic_reshaper import ArabicReshaper
from bidi import get_display

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")
_reshaper = ArabicReshaper(configuration={"delete_harakat": True, "support_zwj": True})


def rtl(text: str) -> str:
    if not _ARABIC_SCRIPT.search(text):
        return text
    return "\n".join(get_display(_reshaper.reshape(line)) for line in text.split("\n"))
