"""Errors of sign-in and access control, in the one hierarchy (domain/errors.py)."""

from __future__ import annotations

from carbonbridge.domain.errors import CarbonBridgeError


class Unauthenticated(CarbonBridgeError):
    """No valid credentials: missing, wrong, expired or revoked (HTTP 401)."""


class Forbidden(CarbonBridgeError):
    """The principal is known but no role of theirs allows the action (HTTP 403)."""


class SecondFactorRequired(CarbonBridgeError):
    """A command that moves units needs a fresh one-time code (HTTP 403, problem `second-factor`)."""


class LockedOut(CarbonBridgeError):
    """Too many failed sign-ins: the user is locked out until a time or an administrator's unlock (HTTP 403)."""


class RateLimited(CarbonBridgeError):
    """Too many requests from a principal or an address (HTTP 429)."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message)
