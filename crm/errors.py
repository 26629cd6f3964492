"""Domain errors. Handlers and the CLI map each to a friendly message in the user's language."""

from __future__ import annotations

from typing import Literal


class DomainError(Exception):
    """Base class; ``code`` keys the text catalog, ``params`` fill it."""

    code = "error"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.params = params


class NotFound(DomainError):
    code = "not_found"


class AlreadyExists(DomainError):
    code = "already_exists"


TransitionEntity = Literal["ticket", "voice_note", "campaign"]
TRANSITION_ACTIONS: dict[TransitionEntity, frozenset[str]] = {
    "ticket": frozenset(),
    "voice_note": frozenset({"correct", "rate", "retry"}),
    "campaign": frozenset({"submit", "approve", "reject", "edit", "cancel", "delete"}),
}
"""What may be refused, besides a move to another status; each has a text in the bot's catalogs."""


class InvalidTransition(DomainError):
    """``entity`` (whose status vocabulary ``from_status`` belongs to) cannot do ``action`` or move to
    ``to_status`` (a status of the same entity) from where it is."""

    code = "invalid_transition"

    def __init__(
        self,
        message: str,
        *,
        entity: TransitionEntity,
        from_status: str,
        to_status: str | None = None,
        action: str | None = None,
        **params: object,
    ) -> None:
        if (to_status is None) == (action is None):
            raise TypeError("an InvalidTransition names either a to_status or an action")
        if action is not None and action not in TRANSITION_ACTIONS[entity]:
            raise TypeError(f"unknown {entity} action {action!r}: add it to TRANSITION_ACTIONS")
        super().__init__(
            message, entity=entity, from_status=from_status, to_status=to_status, action=action, **params
        )
        self.entity: TransitionEntity = entity
        self.from_status = from_status
        self.to_status = to_status
        self.action = action


class PermissionDenied(DomainError):
    code = "permission_denied"


class ValidationFailed(DomainError):
    code = "validation_failed"
