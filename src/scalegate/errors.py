"""The scalegate exception family.

Every error a user can cause derives from :class:`ScalegateError`. Each carries
structured fields (file, line, field, value, ...) so that the CLI, the API and the
SDK can phrase it alike; ``str(err)`` is always a complete one-line message.

Failing data or a failing gate is a *result*, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ScalegateError(Exception):
    """Base class of every error scalegate raises on purpose."""

    #: Exit code the CLI uses. 1 is reserved for "gate failed" / "check failed".
    exit_code: int = 2
    #: HTTP status the API uses.
    http_status: int = 400
    #: Short stable code for machines (JSON bodies, logs).
    code: str = "error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {k: v for k, v in fields.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.fields}


def _choices(options: Iterable[str]) -> str:
    return ", ".join(sorted(options))


class ValidationError(ScalegateError):
    """Input that does not have the expected shape (a field, a value)."""

    code = "invalid"
    http_status = 422


class DocumentError(ValidationError):
    """A YAML or JSON document that cannot be parsed or does not validate.

    The message names the source (file name) and, where known, the line and the field.
    """

    code = "invalid_document"

    @classmethod
    def at(
        cls,
        source: str,
        problem: str,
        *,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> DocumentError:
        where = source
        if line is not None:
            where += f", line {line}"
            if column is not None:
                where += f", column {column}"
        prefix = f"{where}: "
        if field:
            prefix += f"field '{field}': "
        return cls(prefix + problem, source=source, line=line, column=column, field=field)


class NotFoundError(ScalegateError):
    """A named thing (use case, user, policy, evidence, ...) does not exist."""

    code = "not_found"
    http_status = 404

    @classmethod
    def named(cls, what: str, name: str, *, hint: str | None = None) -> NotFoundError:
        msg = f"unknown {what} '{name}'"
        if hint:
            msg += f"; {hint}"
        return cls(msg, what=what, value=name)


class ConflictError(ScalegateError):
    """The request clashes with the current state (duplicate slug, wrong stage, ...)."""

    code = "conflict"
    http_status = 409


class PermissionDeniedError(ScalegateError):
    """The acting user's role, approval domains or duties forbid the action."""

    code = "forbidden"
    http_status = 403


class AuthenticationError(ScalegateError):
    """The caller could not be identified: no, unknown, expired or revoked credentials."""

    code = "unauthenticated"
    http_status = 401


class TooManyAttemptsError(ScalegateError):
    """Too many failed logins for one username in a short time; ``retry_after`` seconds."""

    code = "too_many_attempts"
    http_status = 429


class UnknownTokenError(AuthenticationError):
    """A bearer token that scalegate never issued (or that was mistyped)."""

    code = "unknown_token"


class TokenExpiredError(AuthenticationError):
    """A bearer token past its expiry time."""

    code = "token_expired"


class TokenRevokedError(AuthenticationError):
    """A bearer token that was revoked."""

    code = "token_revoked"


class PayloadTooLargeError(ScalegateError):
    """An upload larger than the configured limit."""

    code = "too_large"
    http_status = 413


class UnknownChoiceError(ValidationError):
    """A value outside a fixed set (stage, risk tier, role, domain, criterion kind...)."""

    @classmethod
    def of(cls, what: str, value: object, allowed: Iterable[str]) -> UnknownChoiceError:
        allowed = list(allowed)
        return cls(
            f"unknown {what} '{value}'; known {what}s are {_choices(allowed)}",
            what=what,
            value=value,
            allowed=sorted(allowed),
        )


class StoreError(ScalegateError):
    """The database cannot be opened or migrated."""

    code = "store"
    http_status = 503


class ServerError(ScalegateError):
    """A scalegate server failed to answer a request (HTTP 5xx); the SDK over HTTP raises it
    with the server's message."""

    code = "internal"
    http_status = 500


class ConnectionFailedError(ServerError):
    """A scalegate server cannot be reached (refused, DNS, TLS, timeout); the message names
    the URL."""

    code = "unreachable"
    http_status = 503


__all__ = [
    "AuthenticationError",
    "ConflictError",
    "ConnectionFailedError",
    "DocumentError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ScalegateError",
    "ServerError",
    "StoreError",
    "TokenExpiredError",
    "TokenRevokedError",
    "UnknownChoiceError",
    "UnknownTokenError",
    "ValidationError",
]
