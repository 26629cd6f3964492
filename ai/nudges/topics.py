"""What a nudge may say it is about: a fixed, reviewed vocabulary of topics, never CRM text.

Agents' notes, interaction summaries and ticket descriptions are internal («بدهکار است؛ مراقب
باشید», a password, a link someone pasted): none of it may reach a representative. A nudge names a
topic only through :func:`topic_key`, which looks at structured fields — the latest ticket's category
and, from the closed list in :mod:`ai.text.entities`, the ISP or client app its subject names — and
:func:`topic_text`, which turns such a key into one of the phrases below. Adding a phrase is a reviewed
change to this file.
"""

from __future__ import annotations

from typing import Final

from ai.text.entities import kind_of, mentions, name_of

# category, or category + ":" + entity kind → the phrase ({name}: the ISP's or app's own name).
PHRASES: Final[dict[str, str]] = {
    "connectivity": "اتصال کاربران",
    "connectivity:isp": "اتصال روی {name}",
    "connectivity:client": "اتصال با {name}",
    "setup": "راه‌اندازی و نصب برنامه",
    "setup:client": "راه‌اندازی {name}",
    "setup:isp": "راه‌اندازی روی {name}",
    "panel": "کار با پنل",
    "billing": "پرداخت و کیف پول",
    "sales": "پلن‌ها و تمدید",
}
"""Ticket category «other» has no phrase: a nudge about it names no topic."""


def topic_key(category: str, subject: str) -> str | None:
    """The vocabulary key for a ticket: its category, refined by the one ISP or app its subject names
    (an ISP first for connection problems, an app first for set-up)."""
    if category not in PHRASES:
        return None
    names = mentions(subject)
    preferred = ("isp", "client") if category == "connectivity" else ("client", "isp")
    for kind in preferred:
        found = sorted(key for key in names if kind_of(key) == kind)
        if len(found) == 1 and f"{category}:{kind}" in PHRASES:
            return f"{category}:{found[0]}"
    return category


def topic_text(key: str | None) -> str | None:
    """The phrase for a key :func:`topic_key` made; None for anything else (an old or forged key)."""
    if not key:
        return None
    category, _, entity = key.partition(":")
    if not entity:
        return PHRASES.get(category)
    try:
        kind = kind_of(entity)
    except StopIteration:
        return None
    phrase = PHRASES.get(f"{category}:{kind}")
    return None if phrase is None else phrase.format(name=name_of(entity))
