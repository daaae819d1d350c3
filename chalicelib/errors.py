"""Errors the HTTP layer turns into the contract's envelope.

Domain code raises these; it never builds HTTP responses itself.
"""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "Die Anfrage ist ungültig."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.fields = fields
        self.retry_after = retry_after


class MalformedBody(AppError):
    status = 400
    code = "malformed_body"
    message = "Der Anfrageinhalt ist kein gültiges JSON-Objekt."


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    message = "Anmeldung fehlt oder ist ungültig."


class Forbidden(AppError):
    """Contract v2: the caller's role may not use this route (answered before any lookup)."""

    status = 403
    code = "role_forbidden"
    message = "Ihre Rolle erlaubt diese Aktion nicht."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Nicht gefunden."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "Der Vorgang passt nicht zum aktuellen Stand."


class Gone(AppError):
    status = 410
    code = "gone"
    message = "Dieser Link ist abgelaufen oder wurde bereits verwendet."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "Der Anfrageinhalt ist zu groß."


class ValidationFailed(AppError):
    status = 422
    code = "validation_failed"
    message = "Bitte prüfen Sie Ihre Angaben."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message, fields=fields)


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    message = "Zu viele Anfragen. Bitte versuchen Sie es später erneut."


class Unavailable(AppError):
    status = 503
    code = "temporarily_unavailable"
    message = "Der Dienst ist gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal."
