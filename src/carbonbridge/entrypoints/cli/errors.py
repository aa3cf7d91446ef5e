"""Map the typed error hierarchy to exit codes and stderr, in one place for the whole CLI."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from carbonbridge.domain.errors import (
    CarbonBridgeError,
    Conflict,
    NotFound,
    Problem,
    RuleViolation,
    StorageInvariantViolated,
    ValidationFailed,
)

EXIT_INVALID = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_RULE = 5
EXIT_DEFECT = 70  # sysexits EX_SOFTWARE: a database constraint fired, a defect of ours (rolled back)
PROBLEM_FORMATS = ("text", "json")
problem_format = "text"  # set by the root command's --problems, once per invocation


def _problem_line(problem: Problem) -> str:
    """text: FILE:LINE:COLUMN: message (what tools and editors parse); json: one object a line
    with every field, `expected` included, for a program to read."""
    if problem_format == "json":
        fields = ("file", "line", "column", "field", "message", "expected")
        return json.dumps({name: getattr(problem, name) for name in fields}, ensure_ascii=False)
    return problem.render()


@contextmanager
def cli_errors() -> Iterator[None]:
    """Every problem on its own stderr line (FILE:LINE:COLUMN: message, or JSON); a non-zero exit."""
    try:
        yield
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(_problem_line(problem), file=sys.stderr)
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
