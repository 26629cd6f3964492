"""The last line of defence: the user gets a friendly message with an error id, the log gets the trace,
and the polling loop keeps going."""

from __future__ import annotations

import logging
import uuid

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message, Update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.texts import Texts
from crm.errors import DomainError, InvalidTransition, PermissionDenied, TransitionEntity

log = logging.getLogger(__name__)
router = Router(name=__name__)
ALERT_CHARS = 190  # Telegram allows 200 characters in a callback answer


def _is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | OSError) and not isinstance(exc, FileNotFoundError)


# Where each entity's statuses are named in the catalog.
_STATUS_LABELS: dict[TransitionEntity, str] = {
    "ticket": "tstatus",
    "voice_note": "voice.status",
    "campaign": "nudge.status",
}


def _transition_text(exc: InvalidTransition, texts: Texts) -> str:
    prefix = _STATUS_LABELS[exc.entity]
    from_status = texts.t(f"{prefix}.{exc.from_status}")
    if exc.to_status is not None:
        to_status = texts.t(f"{prefix}.{exc.to_status}")
        return texts.t("error.invalid_transition", from_status=from_status, to_status=to_status)
    return texts.t(f"error.invalid_action.{exc.entity}.{exc.action}", status=from_status)


def _domain_text(exc: DomainError, texts: Texts) -> str:
    if isinstance(exc, InvalidTransition):
        return _transition_text(exc, texts)
    if isinstance(exc, PermissionDenied):
        return texts.t("error.forbidden")
    return texts.t("error.stale")  # NotFound and the rest: the button or record is gone


async def _tell(update: Update, text: str) -> None:
    """An alert on the pressed button, or a message when the press was already answered (a handler
    that answers first, before slow work) or is too old to answer."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(text[:ALERT_CHARS], show_alert=True)
            return
        except TelegramBadRequest:
            if not isinstance(query.message, Message):
                raise
            await query.message.answer(text)
            return
    if update.message is not None:
        await update.message.answer(text)


@router.errors(ExceptionTypeFilter(DomainError))
async def on_domain_error(event: ErrorEvent, texts: Texts | None = None) -> bool:
    """Expected refusals (a deleted ticket, a forbidden transition): a clear answer, no error id."""
    assert isinstance(event.exception, DomainError)
    await _tell(event.update, _domain_text(event.exception, texts or Texts()))
    return True


@router.errors()
async def on_error(event: ErrorEvent, texts: Texts | None = None) -> bool:
    error_id = uuid.uuid4().hex[:8]
    log.error("update %s failed [%s]", event.update.update_id, error_id, exc_info=event.exception)
    texts = texts or Texts()
    key = "error.db_unavailable" if _is_database_outage(event.exception) else "error.generic"
    try:
        await _tell(event.update, texts.t(key, error_id=error_id))
    except Exception:  # the error reply itself failed (e.g. Telegram down): the log already has it
        log.exception("could not tell the user about error %s", error_id)
    return True
