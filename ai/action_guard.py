"""The guard on text a person may send or act on: nudges, drafts, talking points, /fix steps, answers.

Whoever wrote the text (a model, a supervisor's template, the offline filler), it must not:

* **link** anywhere but to a host CRT's own documents name (``trusted`` hosts: those in the knowledge
  passages the text was written from); a model has no other way to know a link is safe, and links in
  customers' messages or tickets are exactly what an injection would smuggle;
* ask anyone to **share a credential** (password, one-time code, card PIN/CVV2) or to enter one behind
  a link;
* **pressure** with false urgency or scarcity («فقط امروز», "act now"). Text *for a representative*
  (nudges, drafts) is held to the stricter rule of nudges: no deadlines, threats or consequences
  either («مهلت», «تعلیق», "deadline") — facts an agent may need to read, but not words to push a
  customer with.

Phrases are matched on folded text (``ai.text.persian.fold``) at word boundaries, so ZWNJ/space and
Arabic/Persian letter variants match alike; a trailing ``*`` makes a phrase a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ai.text.persian import fold

Audience = Literal["agent", "representative"]
ActionRisk = Literal["pressure", "link", "credential"]

URGENCY_PHRASES = (
    # False urgency and scarcity: never in anything a person is to say or do.
    "فقط امروز", "آخرین فرصت", "فرصت محدود", "فرصت را از دست ندهید", "از دست ندهید", "عجله کنید",
    "عجله کن", "تا دیر نشده", "ضرر می کنید", "ضرر خواهید کرد", "ظرفیت محدود", "پیشنهاد محدود",
    "تخفیف ویژه",
    "act now", "last chance", "final notice", "limited time", "only today", "today only", "hurry",
    "don't miss", "do not miss", "before it's too late", "expires today", "or else",
)  # fmt: skip

CONSEQUENCE_PHRASES = (
    # Deadlines, threats, consequences and haste: facts and plans for an agent ("follow up today"),
    # pressure in a message to a customer.
    "فوری", "فوریت", "همین الان", "همین امروز", "تا امشب", "آخرین مهلت", "مهلت", "اخطار", "هشدار",
    "بلافاصله", "سریعا", "هر چه سریع تر", "قطع خواهد شد", "قطع می شود", "مسدود می شود",
    "مسدود خواهد شد", "تعلیق", "جریمه", "منقضی می شود",
    "urgent*", "right now", "immediately", "asap", "will be suspended", "will be cut off", "deadline",
    "penalty",
)  # fmt: skip

# Written folded (no hamza, no ZWNJ): matched on folded text.
_CREDENTIAL_FA = r"(?:رمز|پسورد|گذرواژه|کلمه عبور|کد تایید|کد یکبار مصرف|کد یک بار مصرف|کد پیامک|cvv2?|pin)"
_SHARE_FA = (
    r"(?:بفرستید|بفرست|بفرستین|ارسال کنید|ارسال کن|بگویید|بگو|بگین|بدهید|بده|بدین|بنویسید|بنویس|"
    r"اعلام کنید|به اشتراک بگذار(?:ید)?|پیامک کنید)"
)
_CREDENTIAL_EN = (
    r"(?:password|passcode|passwd|otp|one[- ]time (?:code|password)|verification code|credentials|pin|cvv2?)"
)
_CREDENTIAL_PATTERNS = (
    rf"{_CREDENTIAL_FA}[^.!?؟\n]{{0,40}}(?<!\w){_SHARE_FA}(?!\w)",
    rf"\b(?:send|share|give|tell|text|dm|provide|reply with|forward)\b[^.!?\n]{{0,30}}\b{_CREDENTIAL_EN}\b",
    rf"\b{_CREDENTIAL_EN}\b[^.!?\n]{{0,20}}\b(?:to us|to me|to this|by reply|in a reply)\b",
)

_TLDS = (
    "com|net|org|ir|io|me|info|xyz|top|site|online|link|app|dev|co|ru|de|uk|us|biz|click|live|shop|"
    "example|test|invalid|tk|ml|ga|cf|gq|cc|ws|ly|to|gl|gd|vip|pro|store|space|fun|icu|best"
)
_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://([^\s/?#»«\"'<>)\]]+))"  # scheme://host
    r"|(?<![\w@.])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r"))(?![\w-])",
    re.IGNORECASE,
)
_OBFUSCATED_DOT = re.compile(r"\s*(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|\s+dot\s+|\s+نقطه\s+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ActionViolation:
    kind: ActionRisk
    phrase: str

    def describe(self) -> str:
        """In English, for logs, the CLI and a model's repair request."""
        label = {
            "pressure": "pressure or false urgency",
            "link": "a link to a host CRT's documents do not name",
            "credential": "asks for a password or code",
        }[self.kind]
        return f"{label}: «{self.phrase}»"


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase list entry as a pattern on folded text (``*`` at the end: a prefix)."""
    prefix = phrase.endswith("*")
    words = fold(phrase.rstrip("*")).split()
    body = r"\s*".join(re.escape(word) for word in words)
    return re.compile(r"(?<!\w)" + body + (r"" if prefix else r"(?!\w)"))


@cache
def _pressure(audience: Audience) -> tuple[tuple[str, re.Pattern[str]], ...]:
    phrases = URGENCY_PHRASES + (CONSEQUENCE_PHRASES if audience == "representative" else ())
    return tuple((phrase.rstrip("*"), phrase_pattern(phrase)) for phrase in phrases)


_CREDENTIAL_REQUEST = re.compile("|".join(f"(?:{pattern})" for pattern in _CREDENTIAL_PATTERNS))


def hosts_in(text: str) -> list[str]:
    """The hosts ``text`` links to (URLs, ``www.`` names, bare domains, ``evil[.]example`` spellings)."""
    cleaned = _OBFUSCATED_DOT.sub(".", text)
    found = []
    for match in _URL.finditer(cleaned):
        host = (match.group(1) or match.group(2) or "").lower().rstrip(".,;:!?،")
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
        if host and host not in found:
            found.append(host.removeprefix("www."))
    return found


def trusted_hosts(texts: Iterable[str]) -> frozenset[str]:
    """The hosts CRT's documents name, from the passages a text was written from."""
    return frozenset(host for text in texts for host in hosts_in(text))


def _is_trusted(host: str, trusted: frozenset[str]) -> bool:
    return any(host == known or host.endswith("." + known) for known in trusted)


def action_violations(
    text: str, *, audience: Audience, trusted: frozenset[str] = frozenset()
) -> list[ActionViolation]:
    """Every reason ``text`` is unsafe for a person to send or act on (none: safe)."""
    found: list[ActionViolation] = []
    folded = fold(text)
    for phrase, pattern in _pressure(audience):
        if pattern.search(folded):
            found.append(ActionViolation("pressure", phrase))
    untrusted = [host for host in hosts_in(text) if not _is_trusted(host, trusted)]
    found.extend(ActionViolation("link", host) for host in untrusted)
    if match := _CREDENTIAL_REQUEST.search(folded):
        found.append(ActionViolation("credential", match.group(0)))
    return found


def action_problems(
    texts: Iterable[str], *, audience: Audience, trusted: frozenset[str] = frozenset()
) -> list[str]:
    """What makes a model's answer unsafe to hand to a person, described (the gateway's ``check``)."""
    problems: list[str] = []
    for text in texts:
        problems.extend(v.describe() for v in action_violations(text, audience=audience, trusted=trusted))
    return list(dict.fromkeys(problems))
