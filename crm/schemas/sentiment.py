"""Sentiment backfill report and the emotional-arc view of one representative.

Evidence is referenced by table and row id (``EvidenceRef``), so a screen can link to it and a test can
check that every id exists. An outage marker is an interaction in which the representative reported an
outage or slow connection; its reference is that interaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from crm.enums import SentimentLabel
from crm.schemas.types import DTO

EvidenceKind = Literal["interaction", "ticket", "payment"]
MarkerKind = Literal["ticket", "payment", "outage"]
TrendDirection = Literal["improving", "declining", "stable", "unknown"]


class BackfillReport(DTO):
    pending: int  # unscored interactions when the run started (capped by the limit)
    scored: int
    without_text: int  # left unscored: nothing to analyse (no body, no summary)
    batches: int
    engines: dict[str, int] = Field(default_factory=dict)  # engine → rows it scored


class EvidenceRef(DTO):
    kind: EvidenceKind
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


class ArcSeriesDTO(DTO):
    """The scored interactions in time order, one column per field (what a chart plots).

    Columns rather than 2,000 point objects: the arc view stays cheap to build for a long history.
    """

    interaction_ids: list[int]
    at: list[dt.datetime]
    score: list[float]  # the analysis of each interaction
    smoothed: list[float]  # the arc's smoothed mood at that moment

    @model_validator(mode="after")
    def _same_length(self) -> ArcSeriesDTO:
        if not len(self.interaction_ids) == len(self.at) == len(self.score) == len(self.smoothed):
            raise ValueError("series columns must have the same length")
        return self

    def __len__(self) -> int:
        return len(self.interaction_ids)


class ArcMarkerDTO(DTO):
    kind: MarkerKind
    at: dt.datetime
    ref: EvidenceRef
    detail: str | None = None  # ticket category; «slow_connection» for a slowness report


class TrendDTO(DTO):
    direction: TrendDirection
    slope_per_30d: float
    n: int  # scored interactions in the trend window
    evidence: list[EvidenceRef]  # first and last points of the window


class TurningPointDTO(DTO):
    kind: Literal["peak", "trough"]
    at: dt.datetime
    smoothed: float
    ref: EvidenceRef
    confirmed_by: EvidenceRef


class ShiftDTO(DTO):
    """A negative shift or a satisfaction moment: one interaction and what preceded it."""

    ref: EvidenceRef
    at: dt.datetime
    score: float
    before: float  # the smoothed mood just before
    preceded_by: list[EvidenceRef]


class TriggerDTO(DTO):
    key: str  # "ticket:connectivity", "outage", "outage:slow_connection", "payment", "topic:price_complaint"
    count: int  # negative shifts it preceded
    share: float
    lift: float  # > 1: precedes a negative shift more often than it precedes any message
    evidence: list[EvidenceRef]  # the trigger events
    shifts: list[EvidenceRef]  # the negative shifts


class PreferencesDTO(DTO):
    channel: str | None  # "voice", "text", "call" when one is used for more than half of their messages
    message_length: Literal["short", "medium", "long"] | None
    formality: Literal["formal", "informal", "unknown"]  # «شما» vs «تو», from their latest messages
    median_reply_minutes: float | None
    active_hours: tuple[int, int] | None  # [start, end) Tehran time
    evidence: list[EvidenceRef]


class ArcDTO(DTO):
    series: ArcSeriesDTO
    markers: list[ArcMarkerDTO]
    current: float | None
    current_label: SentimentLabel | None
    last_scored_at: dt.datetime | None
    trend: TrendDTO
    turning_points: list[TurningPointDTO]
    negative_shifts: list[ShiftDTO]  # the most recent ones (emotional_arc.SHIFTS_KEPT)
    negative_shift_count: int  # all of them, in the window
    satisfaction_moments: list[ShiftDTO]  # the most recent ones
    triggers: list[TriggerDTO]
    main_trigger: TriggerDTO | None  # the most frequent trigger with lift > 1
    preferences: PreferencesDTO
    evidence: dict[EvidenceKind, list[int]]  # every row the arc used, by table


class ArcView(DTO):
    representative_id: int
    code: str
    full_name: str
    opted_out: bool  # profiling_opt_out: nothing was computed
    since: dt.datetime
    generated_at: dt.datetime
    arc: ArcDTO | None
