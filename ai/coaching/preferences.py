"""How a representative likes to communicate, read from what they actually did.

* channel: voice notes vs text, from their own (inbound) interactions;
* message length: the median length of their text messages;
* register: formal «شما» vs informal «تو», from :func:`detect_register` flags on their messages;
* response time: median delay between our message and their next reply;
* active hours: when they write, in Tehran time, and the busiest three-hour window.

Each answer carries the ids of the events it was computed from.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

from ai.text.persian import fold

if TYPE_CHECKING:
    from ai.coaching.arc import ArcEvent

TEHRAN: Final = ZoneInfo("Asia/Tehran")
MAX_IDS: Final = 12  # evidence ids kept per finding (most recent)
MAX_REPLY_GAP: Final = timedelta(days=3)  # a «reply» later than this answers nothing in particular
Register = Literal["formal", "informal", "unknown"]

# Second person plural («شما») is the polite register in Persian; singular («تو») is familiar.
_FORMAL: Final = {
    "شما": 2.0, "جنابعالی": 3.0, "حضرتعالی": 3.0, "سرکار": 2.0, "بفرمایید": 2.0, "بفرمائید": 2.0,
    "خواهشمندم": 2.0, "احتراما": 2.0, "احترام": 1.5, "خدمتتون": 2.0, "قربان": 1.5,
    "ازتون": 1.0, "براتون": 1.0, "بهتون": 1.0, "باهاتون": 1.0, "لطفتون": 1.0, "دستتون": 1.0,
    "دمتون": 1.0, "میکنید": 1.0, "میکنین": 1.0, "دارید": 1.0, "دارین": 1.0, "هستید": 1.0,
    "هستین": 1.0, "کنید": 1.0, "کنین": 1.0, "بدید": 1.0, "بدین": 1.0, "بفرستید": 1.0,
    "بفرستین": 1.0, "کردید": 1.0, "کردین": 1.0, "دادید": 1.0, "دادین": 1.0, "میدید": 1.0, "میدین": 1.0,
}  # fmt: skip
_INFORMAL: Final = {
    "بهت": 1.5, "ازت": 1.5, "برات": 1.5, "باهات": 1.5, "واست": 1.5, "دستت": 1.5,
    "دمت": 1.5, "قربونت": 1.5, "فدات": 1.5, "داداش": 2.0, "داش": 2.0, "رفیق": 1.5, "عزیزم": 1.0,
    "میکنی": 1.0, "داری": 1.0, "میدی": 1.0, "میگی": 1.0, "بگی": 1.0, "هستی": 1.0, "کردی": 1.0,
    "دادی": 1.0, "گفتی": 1.0, "بفرست": 1.0, "بکن": 1.0, "بده": 0.5,
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")
_MERGE = re.compile(r"\b(ن?می) (?=\w)")  # «می کنید» → «میکنید»


def detect_register(text: str) -> Register:
    """«formal» when «شما»-forms outweigh «تو»-forms, «informal» for the reverse, else «unknown»."""
    words = _WORD.findall(_MERGE.sub(r"\1", fold(text[:2000])))
    formal = sum(_FORMAL.get(w, 0.0) for w in words)
    formal += sum(1.0 for w in words if w == "تون" or (len(w) > 4 and w.endswith("تون")))  # «پیگیری‌تون»
    informal = sum(_INFORMAL.get(w, 0.0) for w in words)
    if informal:  # «تو» is also colloquial «in» («تو پنل»): it only adds to other informal forms
        informal += 0.5 * words.count("تو")
    if formal > informal:
        return "formal"
    if informal > formal:
        return "informal"
    return "unknown"


@dataclass(frozen=True, slots=True)
class ChannelPreference:
    preferred: str | None
    shares: dict[str, float]
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LengthPreference:
    median_chars: int | None
    style: Literal["short", "medium", "long"] | None  # < 60, < 250, longer
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegisterPreference:
    preferred: Register
    formal_share: float | None
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResponseTime:
    median_minutes: float | None
    n: int
    evidence_ids: tuple[tuple[str, str], ...]  # (our message, their reply)


@dataclass(frozen=True, slots=True)
class ActiveHours:
    histogram: dict[int, int]  # Tehran hour → inbound events
    best_window: tuple[int, int] | None  # [start, end) hours, Tehran time, may wrap past midnight
    window_share: float
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommunicationPreferences:
    channel: ChannelPreference
    length: LengthPreference
    register: RegisterPreference
    response_time: ResponseTime
    active_hours: ActiveHours


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _recent(ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(ids[-MAX_IDS:])


def _channel(inbound: Sequence[ArcEvent]) -> ChannelPreference:
    counts = Counter(e.channel for e in inbound)
    total = sum(counts.values())
    if not total:
        return ChannelPreference(None, {}, ())
    preferred, top = counts.most_common(1)[0]
    shares = {k: round(v / total, 3) for k, v in counts.most_common()}
    return ChannelPreference(
        preferred if top / total > 0.5 else None,
        shares,
        _recent([e.id for e in inbound if e.channel == preferred]),
    )


def _length(inbound: Sequence[ArcEvent]) -> LengthPreference:
    texts = [e for e in inbound if e.channel != "voice" and e.text_length > 0]
    if not texts:
        return LengthPreference(None, None, ())
    median = int(statistics.median(e.text_length for e in texts))
    style: Literal["short", "medium", "long"] = (
        "short" if median < 60 else "medium" if median < 250 else "long"
    )
    return LengthPreference(median, style, _recent([e.id for e in texts]))


def _register(inbound: Sequence[ArcEvent]) -> RegisterPreference:
    flagged = [e for e in inbound if e.formal is not None]
    if not flagged:
        return RegisterPreference("unknown", None, ())
    share = sum(1 for e in flagged if e.formal) / len(flagged)
    preferred: Register = "formal" if share > 0.6 else "informal" if share < 0.4 else "unknown"
    majority = [e.id for e in flagged if e.formal == (share >= 0.5)]
    return RegisterPreference(preferred, round(share, 3), _recent(majority))


def _response_time(ordered: Sequence[ArcEvent]) -> ResponseTime:
    pairs: list[tuple[str, str]] = []
    delays: list[float] = []
    waiting: ArcEvent | None = None  # our earliest message not answered yet
    for e in ordered:
        if e.kind != "interaction":
            continue
        if e.direction == "outbound":
            waiting = waiting or e
        elif waiting is not None:
            gap = _utc(e.at) - _utc(waiting.at)
            if timedelta(0) <= gap <= MAX_REPLY_GAP:
                delays.append(gap.total_seconds() / 60)
                pairs.append((waiting.id, e.id))
            waiting = None
    if not delays:
        return ResponseTime(None, 0, ())
    return ResponseTime(round(statistics.median(delays), 1), len(delays), tuple(pairs[-MAX_IDS:]))


def _active_hours(inbound: Sequence[ArcEvent]) -> ActiveHours:
    hours = [(_utc(e.at).astimezone(TEHRAN).hour, e.id) for e in inbound]
    histogram = Counter(h for h, _ in hours)
    if not hours:
        return ActiveHours({}, None, 0.0, ())
    best = max(range(24), key=lambda s: (sum(histogram[(s + k) % 24] for k in range(3)), -s))
    in_window = {(best + k) % 24 for k in range(3)}
    count = sum(histogram[h] for h in in_window)
    ids = [i for h, i in hours if h in in_window]
    return ActiveHours(
        dict(sorted(histogram.items())), (best, (best + 3) % 24), round(count / len(hours), 3), _recent(ids)
    )


def preferences(ordered: Sequence[ArcEvent]) -> CommunicationPreferences:
    """Preferences from events already sorted by time."""
    inbound = [e for e in ordered if e.kind == "interaction" and e.direction == "inbound"]
    return CommunicationPreferences(
        channel=_channel(inbound),
        length=_length(inbound),
        register=_register(inbound),
        response_time=_response_time(ordered),
        active_hours=_active_hours(inbound),
    )
