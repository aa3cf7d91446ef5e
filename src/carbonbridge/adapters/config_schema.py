"""Configuration files parsed by Pydantic models (STYLE #5: one schema per file, unknown keys
refused), and the one conversion of a Pydantic `ValidationError` into the project's located
`Problem`s: the file's logical name, the field path as the file spells it (`registry.holidays[0]`),
what was expected, all problems at once (`ValidationFailed`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Strict, Tag, ValidationError
from pydantic_core import PydanticCustomError

from carbonbridge.domain.errors import Problem, ValidationFailed

M = TypeVar("M", bound=BaseModel)

# What a field of each Pydantic error type should hold, for a program to read (Problem.expected).
_EXPECTED = {
    "int_type": "integer",
    "int_parsing": "integer",
    "bool_type": "true or false",
    "string_type": "text",
    "date_type": "date (YYYY-MM-DD)",
    "date_parsing": "date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "date (YYYY-MM-DD)",
    "time_type": "time (HH:MM)",
    "list_type": "list",
    "dict_type": "table",
    "model_type": "table",
    "decimal_type": "number",
    "float_type": "number",
    "float_parsing": "number",
    "decimal_parsing": "number",
    "missing": "a value",
    "extra_forbidden": "no such key",
}
# The bound a number broke, as Problem.expected says it: `number >= 1`.
_BOUNDS = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="), "less_than": ("lt", "<")}
_BOUNDS["less_than_equal"] = ("le", "<=")


class FileModel(BaseModel):
    """Base of the models of configuration files: frozen, strict types (an integer is not a
    string of digits, true is not 1), unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def shape(value: Any) -> str:
    """The tag of a value written either as a table or bare (a discriminator)."""
    return "<table>" if isinstance(value, dict) else "<value>"


def _left_out(value: Any) -> Any:
    return None if value == "" else value


# A number written as text ("0.877", exact) or a TOML number; parsed as Decimal, never float.
Number = Annotated[Decimal, Strict(False)]
# A date written as a TOML date or as text "YYYY-MM-DD".
Date = Annotated[dt.date, Strict(False)]


class Cited(FileModel):
    """A cited value: `{ value = "0.877", unit = "t CO2/MWh", source = "...", checked = true,
    checked_in = "..." }`; without `value` (and with a `note`) when the figure is not public or
    was not read (domain/provenance.py)."""

    value: Annotated[Number | None, BeforeValidator(_left_out)] = None
    unit: str = ""
    source: str = ""
    checked: bool = False
    checked_in: str = ""
    note: str = ""


# A value written bare (a user's own figure) or cited: the input's shape picks the member, so
# that a problem is reported once, against the form the file used.
CitedNumber = Annotated[
    Annotated[Cited, Tag("<table>")] | Annotated[Number, Tag("<value>")],
    Discriminator(shape),
]


def _time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("time_type", "expected a time HH:MM") from None
    return value


# A time of day written as a TOML time or as text "HH:MM" (never a number of seconds).
Time = Annotated[dt.time, BeforeValidator(_time)]


def one_of(choices: Iterable[str], why: str = "") -> AfterValidator:
    """A text that must be one of `choices` (an enumeration's values, the domain's tier names...),
    reported as Pydantic reports a literal: the message lists the choices, `Problem.expected` is
    `one of: ...`; `why` cites the rule."""
    allowed = tuple(choices)
    quoted = repr(allowed[-1])
    if len(allowed) > 1:  # Pydantic's own form, as `problems_from` reads it: 'a', 'b' or 'c'
        quoted = ", ".join(repr(c) for c in allowed[:-1]) + f" or {quoted}"
    message = f"must be one of {', '.join(allowed)}" + (f" ({why})" if why else "")

    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError("literal_error", message, {"expected": quoted})
        return value

    return AfterValidator(check)


def refuse(message: str, expected: str) -> PydanticCustomError:
    """The error of a validator that knows what the field should hold: `message` for a person
    (the value given is added), `expected` for a program (`Problem.expected`)."""
    return PydanticCustomError("expected_value", message, {"expected": expected})


def _years(value: Any) -> tuple[int | None, int | None] | None:
    """`years = [first, last]`, '' for an open end."""
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(y == "" or (isinstance(y, int) and not isinstance(y, bool)) for y in value)
    ):
        raise ValueError("expected years = [first, last] ('' for an open end)")
    first, last = (y if isinstance(y, int) else None for y in value)
    if first is not None and last is not None and last < first:
        raise ValueError("the last year is before the first")
    return first, last


Years = Annotated[tuple[int | None, int | None] | None, BeforeValidator(_years)]


def as_written(value: Cited | Decimal) -> Any:
    """A cited or bare value as the file wrote it, for the provenance reader."""
    return value.model_dump(exclude_unset=True) if isinstance(value, Cited) else value


def field_path(location: tuple[int | str, ...], prefix: str = "") -> str:
    """`("registry", "holidays", 0)` -> `registry.holidays[0]` (after `prefix`, e.g. `registry.`);
    the shape tags of a bare-or-cited value (`<table>`, `<value>`) are not part of the path."""
    path = prefix.rstrip(".")
    for part in location:
        if isinstance(part, str) and part.startswith("<"):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def problems_from(error: ValidationError, file: str, *, prefix: str = "") -> list[Problem]:
    """One located problem per Pydantic error, in the order Pydantic found them."""
    problems = []
    for e in error.errors(include_url=False):
        location = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = e["type"]
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "missing"
        elif kind == "value_error":
            message = str(e.get("ctx", {}).get("error", e["msg"]))
        else:
            message = str(e["msg"])
            if kind not in ("value_error", "assertion_error") and "input" in e:
                message += f", got {e['input']!r}"
        expected = _EXPECTED.get(kind)
        if kind in _BOUNDS and _BOUNDS[kind][0] in e.get("ctx", {}):
            expected = f"number {_BOUNDS[kind][1]} {e['ctx'][_BOUNDS[kind][0]]}"
        if kind in ("string_too_short", "too_short") and e.get("ctx", {}).get("min_length") == 1:
            expected = "non-empty text" if kind == "string_too_short" else "a non-empty list"
        if kind == "string_pattern_mismatch":
            expected = f"text matching {e.get('ctx', {}).get('pattern', '')}"
        if kind == "expected_value":  # `refuse(message, expected)`
            expected = str(e.get("ctx", {}).get("expected", ""))
        if kind == "literal_error":
            expected = "one of: " + str(e.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
        problems.append(Problem(message, file, field=field_path(location, prefix) or None, expected=expected))
    return problems


def parse_file(model: type[M], data: Mapping[str, Any], file: str, *, prefix: str = "") -> M:
    """`data` (a parsed TOML document or table) as `model`; every problem at once."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, file, prefix=prefix)) from None


def domain_problems(check: Callable[[], None], table: str, file: str) -> list[Problem]:
    """The problems of a domain's consistency rule (`AuctionRules.validate`) run on a table of a
    file, located in the file (`auction.lot_size`)."""
    try:
        check()
    except ValidationFailed as exc:
        return [Problem(p.message, file, field=f"{table}.{p.field}" if p.field else table) for p in exc.problems]
    return []
