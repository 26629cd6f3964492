"""Loopback stand-ins for the external services Chronos talks to, used by tests and the offline console."""

from chronos.emulators.telegram import DEFAULT_TOKEN, TelegramEmulator
from chronos.emulators.telegram_models import (
    EmulatedUser,
    Fault,
    RecordedCall,
    StoredFile,
    StoredMessage,
    WebhookDelivery,
)

__all__ = [
    "DEFAULT_TOKEN",
    "EmulatedUser",
    "Fault",
    "RecordedCall",
    "StoredFile",
    "StoredMessage",
    "TelegramEmulator",
    "WebhookDelivery",
]
