"""The one documented hierarchy of typed errors that commands raise (STYLE.md #8).

Entry points map these to exit codes and HTTP statuses in one place each:
ValidationFailed -> exit 2 / 422, NotFound -> exit 3 / 404, Conflict and
IdempotencyConflict -> exit 4 / 409, RuleViolation -> exit 5 / 422.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in input data, located as precisely as the input allows.

    `expected`, where the validator knows it, says what the field should hold, for a program to
    read: `number`, `number >= 0`, `number in [0, 1]`, `integer in [1850, 2200]`, `one of: a, b`,
    `unit of mass: t, kt, kg...`, `text`, ... (the message says the same for a person). `render()`
    leaves it out: the one-line FILE:LINE:COLUMN: message stays as tools and tests parse it."""

    message: str
    file: str = "<input>"
    line: int | None = None
    column: int | None = None
    field: str | None = None
    expected: str | None = None

    def render(self) -> str:
        if self.file == "<input>" and self.line is None and self.field:
            return f"{self.field}: {self.message}"
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column is not None:
            where += f":{self.column}"
        elif self.field:
            where += f":{self.field}"
        return f"{where}: {self.message}"


def one_of(choices: Sequence[str]) -> str:
    """The `expected` of a field that takes one of `choices`."""
    return "one of: " + ", ".join(choices)


class CarbonBridgeError(Exception):
    """Root of every error a CarbonBridge command raises on purpose."""


class ValidationFailed(CarbonBridgeError):
    """Input data was rejected; carries every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem], *, truncated: int = 0) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.truncated = truncated
        first = self.problems[0].render() if self.problems else "invalid input"
        more = len(self.problems) - 1 + truncated
        super().__init__(first + (f" (and {more} more problems)" if more > 0 else ""))


class NotFound(CarbonBridgeError):
    """The named object does not exist (or is not visible to the caller)."""


class Conflict(CarbonBridgeError):
    """The command contradicts the current state (e.g. a verified report exists)."""


class IdempotencyConflict(Conflict):
    """A client key was reused with a different request body."""

    def __init__(self, key: str, differing_fields: Sequence[str]) -> None:
        self.key = key
        self.differing_fields = tuple(differing_fields)
        super().__init__(
            f"idempotency key {key!r} was already used with a different request; "
            f"differing fields: {', '.join(self.differing_fields)}"
        )


class RuleViolation(CarbonBridgeError):
    """A domain rule refused the command; `code` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


class StorageInvariantViolated(CarbonBridgeError):
    """The database refused a write with one of its constraints. The domain's checks should make
    that impossible, so it is a bug, never an answer: the command's transaction was rolled back,
    and the event is counted in the audit record."""

    def __init__(self, command: str, constraint: str) -> None:
        self.command = command
        self.constraint = constraint
        super().__init__(
            f"{command}: the database refused the write (constraint {constraint}); nothing was changed. "
            "This is a defect of CarbonBridge: the event is counted in the audit record"
        )


class UnknownFactor(CarbonBridgeError):
    """No factor in the method pack matches an activity, sector, technology and year."""


class UnknownGas(CarbonBridgeError):
    """A gas or GWP metric that the chosen GWP set does not define (never a silent NaN)."""
