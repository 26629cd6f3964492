"""Domain errors. Handlers and the CLI map each to a friendly message in the user's language."""

from __future__ import annotations


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


class InvalidTransition(DomainError):
    code = "invalid_transition"


class PermissionDenied(DomainError):
    code = "permission_denied"


class ValidationFailed(DomainError):
    code = "validation_failed"
