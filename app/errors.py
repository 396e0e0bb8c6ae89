"""Domain exceptions raised by services; views and error handlers turn them into HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``message`` is shown to the user as is, so raise it already translated (``_``)."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """Someone else got there first (task already completed, claimed, or saved concurrently)."""

    status_code = 409


class InvalidInput(DomainError):
    """Input that passed the form's own checks but breaks a business rule; ``field`` names the culprit."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConfigurationError(DomainError):
    """The process or organisation setup cannot serve this step (e.g. no reviewer for a lane)."""

    status_code = 409


class ProcessFailure(DomainError):
    """The engine could not run the process (a failing script or gateway). Nothing was applied."""

    status_code = 409
