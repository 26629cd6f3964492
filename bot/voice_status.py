"""The agent's status message of a voice note (queue position → transcribing % → transcript with
feedback buttons, or the reason it failed), and the Telegram side of the pipeline's ports."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import RepReply, VoiceAction
from bot.keyboards import back_to_card
from bot.render import esc
from bot.texts import Texts
from crm.enums import VoiceFailure, VoiceNoteStatus
from crm.schemas.voice import VoiceNoteView
from crm.services.voice_pipeline import VoiceLimits

# Room for the title, the meta line and the buttons inside Telegram's 4096 characters.
MAX_TRANSCRIPT_CHARS = 3300
_LIMIT_PARAMS = {VoiceFailure.TOO_LARGE: "max_mb", VoiceFailure.TOO_LONG: "max_minutes"}


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _lines(view: VoiceNoteView, texts: Texts) -> str:
    note = view.note
    segments = note.segments or []
    if len(segments) > 1:
        body = "\n".join(
            f"[{texts.digits(_clock(float(s['start'])))}] {esc(s['text'])}" for s in segments if s.get("text")
        )
    else:
        body = esc(note.transcript or "")
    return body if len(body) <= MAX_TRANSCRIPT_CHARS else body[: MAX_TRANSCRIPT_CHARS - 1] + "…"


def _language(code: str | None, texts: Texts) -> str:
    key = f"voice.lang.{code}"
    try:
        return texts.t(key)
    except KeyError:
        return esc(code or "?")


class VoiceStatusRenderer:
    def __init__(self, *, max_attempts: int, max_mb: int, max_minutes: int) -> None:
        self.max_attempts = max_attempts
        self.limits = {"max_mb": max_mb, "max_minutes": max_minutes}

    @classmethod
    def for_limits(cls, limits: VoiceLimits) -> VoiceStatusRenderer:
        return cls(
            max_attempts=limits.max_attempts,
            max_mb=round(limits.max_file_bytes / 2**20),
            max_minutes=round(limits.max_duration_s / 60),
        )

    def failure(self, failure: VoiceFailure | None, texts: Texts) -> str:
        code = failure or VoiceFailure.ENGINE
        limit = self.limits.get(_LIMIT_PARAMS.get(code, ""), 0)
        return texts.t(f"voice.failure.{code.value}", limit=limit)

    def render(
        self, view: VoiceNoteView, texts: Texts, *, position: int | None, progress: float | None
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        note = view.note
        if note.status == VoiceNoteStatus.DONE:
            return self._done(view, texts), self._done_buttons(view, texts)
        if note.status == VoiceNoteStatus.FAILED or (note.error is not None and progress is None):
            text = texts.t("voice.failed_title", reason=self.failure(note.failure_code, texts))
            if note.failure_code in (VoiceFailure.DOWNLOAD, VoiceFailure.ENGINE):
                text += " " + texts.t("voice.attempts", attempts=note.attempts, max=self.max_attempts)
            retry = note.can_retry(self.max_attempts) or (
                note.status == VoiceNoteStatus.RECEIVED and note.attempts < self.max_attempts
            )
            return text, self._retry_button(note.id, texts) if retry else None
        if progress is not None or note.status == VoiceNoteStatus.TRANSCRIBING:
            return texts.t("voice.transcribing", percent=round(100 * (progress or 0))), None
        if position is not None and position > 0:
            return texts.t("voice.queued", position=position), None
        return texts.t("voice.received"), None

    def _done(self, view: VoiceNoteView, texts: Texts) -> str:
        note = view.note
        who = (
            f"{esc(view.representative.full_name)} (<code>{esc(view.representative.code)}</code>)"
            if view.representative is not None
            else texts.t("voice.unknown_rep")
        )
        title = "voice.rep_title" if note.from_representative else "voice.done_title"
        parts = [texts.t(title, who=who), _lines(view, texts)]
        if note.transcript_corrected:
            corrected = note.transcript_corrected[:MAX_TRANSCRIPT_CHARS]
            parts.append(texts.t("voice.corrected_note", text=esc(corrected)))
        parts.append(
            texts.t(
                "voice.meta",
                language=_language(note.language, texts),
                confidence=round(100 * (note.confidence or 0)),
                duration=round(note.duration_s or 0),
                model=esc(note.model or "?"),
            )
        )
        if view.sentiment_label is not None and view.sentiment_score is not None:
            parts.append(
                texts.t(
                    "voice.sentiment",
                    label=texts.t(f"arc.state.{view.sentiment_label.value}"),
                    score=texts.signed(float(view.sentiment_score)),
                )
            )
        parts.append(texts.t("voice.logged" if view.interaction_id is not None else "voice.needs_rep"))
        return "\n\n".join(parts)

    def _done_buttons(self, view: VoiceNoteView, texts: Texts) -> InlineKeyboardMarkup:
        note_id = view.note.id

        def button(label: str, action: str) -> InlineKeyboardButton:
            return InlineKeyboardButton(
                text=texts.t(label), callback_data=VoiceAction(action=action, note_id=note_id).pack()
            )

        rows = [
            [button("btn.voice_up", "up"), button("btn.voice_down", "down")],
            [button("btn.voice_fix", "fix")],
        ]
        rep = view.representative
        if rep is None:
            rows.append([button("btn.voice_search", "find")])
        else:
            next_steps = [back_to_card(texts, rep.id)]
            if view.note.from_representative:
                reply = RepReply(rep_id=rep.id).pack()
                next_steps.insert(0, InlineKeyboardButton(text=texts.t("btn.reply"), callback_data=reply))
            rows.append(next_steps)
        return InlineKeyboardMarkup(inline_keyboard=rows)

    @staticmethod
    def _retry_button(note_id: int, texts: Texts) -> InlineKeyboardMarkup:
        data = VoiceAction(action="retry", note_id=note_id).pack()
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=texts.t("btn.voice_retry"), callback_data=data)]]
        )


class TelegramVoiceStatus:
    """:class:`crm.services.voice_pipeline.VoiceEvents` over the Bot API: the first call sends the
    status message, later ones edit it."""

    def __init__(self, bot: Bot, renderer: VoiceStatusRenderer) -> None:
        self.bot = bot
        self.renderer = renderer

    async def show(
        self, view: VoiceNoteView, *, position: int | None = None, progress: float | None = None
    ) -> int | None:
        note = view.note
        if note.chat_id is None:
            return None
        texts = Texts(view.locale.value)
        text, markup = self.renderer.render(view, texts, position=position, progress=progress)
        if note.status_message_id is None:
            sent = await self.bot.send_message(note.chat_id, text, reply_markup=markup)
            return sent.message_id
        await self.bot.edit_message_text(
            text, chat_id=note.chat_id, message_id=note.status_message_id, reply_markup=markup
        )
        return None


class BotAudioFetcher:
    """:class:`crm.services.voice_pipeline.AudioFetcher`: getFile, then download the bytes."""

    def __init__(self, bot: Bot, *, max_bytes: int, timeout_s: int = 60) -> None:
        self.bot = bot
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, file_id: str) -> bytes:
        file = await self.bot.get_file(file_id)
        if file.file_path is None:
            raise RuntimeError("Telegram returned no file_path")
        if file.file_size is not None and file.file_size > self.max_bytes:
            raise RuntimeError(f"file is {file.file_size} bytes, over {self.max_bytes}")
        buffer = await self.bot.download_file(file.file_path, timeout=self.timeout_s)
        if buffer is None:
            raise RuntimeError("download returned nothing")
        return buffer.read()
