"""The audio a message carries (voice, audio file, video note, video, or audio sent as a document),
as the voice pipeline takes it in. Shared by agents' and representatives' voice handlers."""

from __future__ import annotations

from aiogram import F
from aiogram.types import Message

from crm.schemas.voice import VoiceKind, VoiceNoteIncoming

_MEDIA_DOCUMENT = F.document & (
    F.document.mime_type.startswith("audio/") | F.document.mime_type.startswith("video/")
)
VOICE_CONTENT = F.voice | F.audio | F.video_note | F.video | _MEDIA_DOCUMENT


def voice_incoming(
    message: Message,
    *,
    agent_id: int | None,
    chat_id: int | None,
    representative_id: int | None,
    from_representative: bool = False,
) -> VoiceNoteIncoming:
    """The file part of the message, whichever kind it came as; the status message goes to ``chat_id``."""
    media: object
    mime: str | None
    if message.voice is not None:
        kind, media, mime = VoiceKind.VOICE, message.voice, message.voice.mime_type or "audio/ogg"
    elif message.audio is not None:
        kind, media, mime = VoiceKind.AUDIO, message.audio, message.audio.mime_type
    elif message.video_note is not None:
        kind, media, mime = VoiceKind.VIDEO_NOTE, message.video_note, "video/mp4"
    elif message.video is not None:
        kind, media, mime = VoiceKind.VIDEO, message.video, message.video.mime_type or "video/mp4"
    else:
        assert message.document is not None
        kind, media, mime = VoiceKind.DOCUMENT, message.document, message.document.mime_type
    return VoiceNoteIncoming(
        file_unique_id=getattr(media, "file_unique_id"),  # noqa: B009 - every media type has it
        file_id=getattr(media, "file_id"),  # noqa: B009
        kind=kind,
        size_bytes=getattr(media, "file_size", None) or 0,
        duration_s=getattr(media, "duration", None),
        mime_type=(mime or None) and str(mime)[:64],
        chat_id=chat_id,
        agent_id=agent_id,
        representative_id=representative_id,
        from_representative=from_representative,
    )
