"""Map the typed error hierarchy to exit codes and stderr, in one place for the whole CLI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from carbonbridge.domain.errors import (
    CarbonBridgeError,
    Conflict,
    NotFound,
    RuleViolation,
    StorageInvariantViolated,
    ValidationFailed,
)

EXIT_INVALID = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_RULE = 5
EXIT_DEFECT = 70  # sysexits EX_SOFTWARE: a database constraint fired, a defect of ours (rolled back)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Every problem on its own stderr line as FILE:LINE:COLUMN: message; a non-zero exit."""
    try:
        yield
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(problem.render(), file=sys.stderr)
        if exc.truncated:
            print(f"... and {exc.truncated} more problems", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except Conflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_CONFLICT) from None
    except RuleViolation as exc:
        print(f"refused: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_RULE) from None
    except StorageInvariantViolated as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_DEFECT) from None
    except CarbonBridgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
