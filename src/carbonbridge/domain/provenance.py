"""Where each rule value comes from, and rule versions chosen by the year they are in force.

A value in a rule file is written either bare (a user's own configuration, no citation) or as a
cited table: `{ value = "0.877", unit = "t CO2/MWh", source = "document, table/article, edition",
checked = true, checked_in = "where it was read" }`. `checked` may be true only with
`checked_in`: the text, or a faithful public transcription of it, in which the value was read.
A figure that is not public (or could not be read) is written without `value` and with a `note`
saying why; a calculation that needs it is refused with that note, never given a guessed number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from carbonbridge.domain.errors import Problem, RuleViolation, ValidationFailed

T = TypeVar("T")
CITED_KEYS = frozenset({"value", "unit", "source", "checked", "checked_in", "note"})


@dataclass(frozen=True, slots=True)
class Period:
    """Compliance years a version is in force: first..last, either end open (None)."""

    first: int | None
    last: int | None

    def contains(self, year: int) -> bool:
        return (self.first is None or year >= self.first) and (self.last is None or year <= self.last)

    def label(self) -> str:
        if self.first is None and self.last is None:
            return "all years"
        if self.first == self.last:
            return str(self.first)
        return f"{self.first or ''}-{self.last or ''}"

    def overlaps(self, other: Period) -> bool:
        low = max(self.first or -(10**6), other.first or -(10**6))
        high = min(self.last or 10**6, other.last or 10**6)
        return low <= high


ALL_YEARS = Period(None, None)


@dataclass(frozen=True, slots=True)
class Provenance:
    """One configured value as the fidelity page lists it."""

    family: str  # e.g. "CN allocation"
    version: str  # rule version id, or the pack name
    period: str
    name: str  # field path in the file
    value: str  # as written; "" when the figure is not configured
    unit: str
    source: str
    checked: bool
    checked_in: str
    note: str
    file: str


@dataclass(frozen=True, slots=True)
class Missing:
    """A figure the configuration does not give, and why."""

    name: str
    note: str

    def require(self, version: str) -> Decimal:
        raise RuleViolation("value_not_configured", f"{version}: {self.name} is not configured ({self.note})")


def need(value: Decimal | Missing, version: str) -> Decimal:
    """The value, or a refusal that names the missing figure and why it is missing."""
    return value.require(version) if isinstance(value, Missing) else value


class CitedReader:
    """Reads values of one rule file, collecting every problem (file and field) and the
    provenance of each value; `done()` raises them all at once."""

    def __init__(self, file: str, family: str) -> None:
        self.file = file
        self.family = family
        self.problems: list[Problem] = []
        self.entries: list[Provenance] = []
        self.version = ""
        self.period = ALL_YEARS
        self.default_source = ""

    def problem(self, message: str, field: str) -> None:
        self.problems.append(Problem(message, self.file, field=field))

    def decimal(self, data: Mapping[str, Any], key: str, where: str, *, unit: str = "") -> Decimal | Missing:
        """A cited or bare decimal; Missing when the table gives a note instead of a value."""
        field = f"{where}{key}"
        if key not in data:
            self.problem(f"expected a decimal number for '{key}'", field)
            return Decimal(0)
        raw = data[key]
        cited: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {"value": raw}
        unknown = set(cited) - CITED_KEYS
        if unknown:
            self.problem(f"unknown keys {sorted(unknown)}; a cited value has {sorted(CITED_KEYS)}", field)
        source = str(cited.get("source", self.default_source if not isinstance(raw, Mapping) else ""))
        checked = cited.get("checked", False)
        checked_in = str(cited.get("checked_in", ""))
        note = str(cited.get("note", ""))
        unit = str(cited.get("unit", unit))
        if not isinstance(checked, bool):
            self.problem("'checked' must be true or false", f"{field}.checked")
            checked = False
        if isinstance(raw, Mapping) and not source:
            self.problem("a cited value needs its source (document, table/article, edition)", f"{field}.source")
        if checked and not checked_in:
            self.problem("a checked value must cite where it was read ('checked_in')", f"{field}.checked_in")
        value: Decimal | Missing
        if cited.get("value") in (None, ""):
            if not note:
                self.problem("a value left out needs a 'note' saying why (not public, not verified)", field)
            if checked:
                self.problem("a value left out cannot be checked", f"{field}.checked")
            value = Missing(f"{self.file}:{field}", note or "not configured")
        else:
            try:
                value = Decimal(str(cited["value"]))
                if not value.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                self.problem(f"expected a decimal number for '{key}', got {cited['value']!r}", field)
                value = Decimal(0)
        written = "" if isinstance(value, Missing) else str(cited.get("value"))
        self.entries.append(
            Provenance(
                self.family,
                self.version,
                self.period.label(),
                field,
                written,
                unit,
                source or "user configuration (no citation)",
                bool(checked),
                checked_in,
                note,
                self.file,
            )
        )
        return value

    def cite(self, cited: Mapping[str, Any], field: str, value: str, unit: str = "") -> None:
        """Record a composite value (a rule, a band, a date) with the citation keys of `cited`."""
        source = str(cited.get("source", ""))
        checked = cited.get("checked", False)
        checked_in = str(cited.get("checked_in", ""))
        if not source:
            self.problem("a cited rule needs its source (document, table/article, edition)", f"{field}.source")
        if not isinstance(checked, bool):
            self.problem("'checked' must be true or false", f"{field}.checked")
            checked = False
        if checked and not checked_in:
            self.problem("a checked value must cite where it was read ('checked_in')", f"{field}.checked_in")
        self.entries.append(
            Provenance(
                self.family,
                self.version,
                self.period.label(),
                field,
                value,
                unit,
                source,
                bool(checked),
                checked_in,
                str(cited.get("note", "")),
                self.file,
            )
        )

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            self.problem(f"expected a text for '{key}'", f"{where}{key}")
            return ""
        return value

    def period_of(self, data: Mapping[str, Any], where: str) -> Period:
        years = data.get("years")
        if years is None:
            return ALL_YEARS
        if (
            not isinstance(years, list)
            or len(years) != 2
            or not all(y is None or (isinstance(y, int) and not isinstance(y, bool)) or y == "" for y in years)
        ):
            self.problem("expected years = [first, last] ('' for an open end)", f"{where}years")
            return ALL_YEARS
        first, last = (y if isinstance(y, int) else None for y in years)
        if first is not None and last is not None and last < first:
            self.problem("the last year is before the first", f"{where}years")
        return Period(first, last)

    def done(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


def check_periods(periods: Sequence[tuple[str, Period]], reader: CitedReader) -> None:
    """Versions of one rule set may not overlap: a year has one version in force."""
    for i, (name, period) in enumerate(periods):
        for other_name, other in periods[i + 1 :]:
            if period.overlaps(other):
                reader.problem(f"version {name} ({period.label()}) overlaps {other_name} ({other.label()})", "versions")


def in_force(versions: Sequence[T], year: int | None, period: Callable[[T], Period], what: str) -> T:
    """The version in force for `year`; without a year, the latest version."""
    if not versions:
        raise RuleViolation("no_version", f"{what}: no rule version configured")
    if year is None:
        return max(versions, key=lambda v: period(v).first or -(10**6))
    for version in versions:
        if period(version).contains(year):
            return version
    spans = ", ".join(period(v).label() for v in versions)
    raise RuleViolation("no_version_in_force", f"{what}: no rule version in force for {year} (configured: {spans})")
