"""Voice notes: what the bot hands in, what the transcriber hands back, and what screens render."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field

from crm.enums import RETRYABLE_VOICE_FAILURES, Locale, SentimentLabel, VoiceFailure, VoiceNoteStatus
from crm.schemas.types import DTO


class VoiceKind(StrEnum):
    """The Telegram message part the audio came in."""

    VOICE = "voice"
    AUDIO = "audio"
    VIDEO_NOTE = "video_note"
    VIDEO = "video"
    DOCUMENT = "document"


class VoiceNoteIncoming(DTO):
    file_unique_id: str = Field(min_length=1, max_length=128)
    file_id: str = Field(min_length=1)
    kind: VoiceKind
    size_bytes: int = Field(ge=0)
    duration_s: float | None = Field(default=None, ge=0)
    mime_type: str | None = Field(default=None, max_length=64)
    chat_id: int | None
    """Where the status message goes; None when nobody is to be shown (a rep's note, no agent)."""
    agent_id: int | None
    representative_id: int | None = None
    from_representative: bool = False


class VoiceSegment(DTO):
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str


class TranscriptIn(DTO):
    """A finished transcription, as the pipeline stores it."""

    text: str = Field(min_length=1)
    language: str = Field(min_length=1, max_length=8)
    confidence: float = Field(ge=0, le=1)
    model: str = Field(min_length=1, max_length=120)
    duration_s: float = Field(ge=0)
    seconds: float = Field(ge=0)
    segments: list[VoiceSegment]


class VoiceNoteDTO(DTO):
    id: int
    file_unique_id: str
    file_id: str
    agent_id: int | None
    representative_id: int | None
    from_representative: bool
    chat_id: int | None
    status_message_id: int | None
    mime_type: str | None
    size_bytes: int
    duration_s: float | None
    audio_path: str | None
    status: VoiceNoteStatus
    transcript: str | None
    transcript_corrected: str | None
    segments: list[Any] | None
    language: str | None
    confidence: float | None
    model: str | None
    error: str | None
    failure_code: VoiceFailure | None
    suggestion_id: int | None
    attempts: int
    received_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    audio_purged_at: dt.datetime | None

    @property
    def unfinished(self) -> bool:
        return self.status in (VoiceNoteStatus.RECEIVED, VoiceNoteStatus.TRANSCRIBING)

    def can_retry(self, max_attempts: int) -> bool:
        """Failed for a reason a new attempt can fix, with attempts left."""
        return (
            self.status == VoiceNoteStatus.FAILED
            and self.failure_code in RETRYABLE_VOICE_FAILURES
            and self.attempts < max_attempts
        )


class RepRef(DTO):
    id: int
    code: str
    full_name: str


class VoiceNoteView(DTO):
    """A note with what its status message shows: the representative and the agent's language."""

    note: VoiceNoteDTO
    representative: RepRef | None
    locale: Locale
    interaction_id: int | None = None
    sentiment_label: SentimentLabel | None = None
    sentiment_score: Decimal | None = None
