"""Compliance configuration files: data/compliance/<CODE>.toml, overridable from the override
folder (a file compliance-<CODE>.toml there replaces the shipped one). A file holds rule
versions by period of compliance years; a caller names the year it works on.

The file's shape is `ComplianceFile` (or one unversioned `VersionTable`, a user's override):
Pydantic models that refuse unknown keys, with the types, choices and bounds of every field, so
that every problem of a file is named at once (file, field path, what was expected). The
validated tables then become the domain's frozen rules (`domain/compliance/rules.py`), each
value with its provenance (`domain/provenance.CitedReader`: source, checked, where read).

Deadlines are a day after the year (`"MM-DD"`, `<key>_years_after`), or a date that a notice
fixed for the years of a version (`{ date = "2021-12-31", ... }`, or per year
`{ dates = { "2021" = ... } }`), with the interim milestones of yearly notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag

from carbonbridge.adapters import config
from carbonbridge.adapters.config_schema import (
    Cited,
    CitedNumber,
    Date,
    FileModel,
    Years,
    as_written,
    parse_file,
    shape,
)
from carbonbridge.domain.compliance.assessment import OffsetRules, PenaltyRules
from carbonbridge.domain.compliance.rules import ComplianceConfig, ComplianceRules, Deadline, Milestone
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.provenance import ALL_YEARS, CitedReader, Missing, Period, check_periods


def _number_of(value: Cited | Decimal) -> Decimal | None:
    return value.value if isinstance(value, Cited) else value


def _non_negative(value: Cited | Decimal) -> Cited | Decimal:
    number = _number_of(value)
    if number is not None and number < 0:
        raise ValueError("must not be negative")
    return value


def _share(value: Cited | Decimal) -> Cited | Decimal:
    number = _number_of(_non_negative(value))
    if number is not None and number > 1:
        raise ValueError("'limit_share' is a share of the allowances due, 0-1")
    return value


NonNegative = Annotated[CitedNumber, AfterValidator(_non_negative)]
Share = Annotated[CitedNumber, AfterValidator(_share)]


def _month_day(text: str) -> str:
    try:
        month, day = (int(part) for part in text.split("-"))
        dt.date(2024, month, day)  # a leap year accepts 02-29
    except (ValueError, TypeError):
        raise ValueError(f"expected a day as MM-DD, got {text!r}") from None
    return text


MonthDay = Annotated[str, AfterValidator(_month_day)]


class MilestoneTable(FileModel):
    share: NonNegative
    date: Date
    of: str = ""
    source: str = ""
    checked: bool = False
    checked_in: str = ""
    note: str = ""


class DeadlineTable(FileModel):
    day: MonthDay = "12-31"
    years_after: int = 1
    date: Date | None = None
    dates: dict[str, Date] = Field(default_factory=dict)
    milestones: list[MilestoneTable] = Field(default_factory=list)
    source: str = ""
    checked: bool = False
    checked_in: str = ""
    note: str = ""


# "MM-DD", or a table with the dates a notice fixed (the input's shape picks the form).
DeadlineSpec = Annotated[
    Annotated[DeadlineTable, Tag("<table>")] | Annotated[MonthDay, Tag("<value>")], Discriminator(shape)
]


class Deadlines(FileModel):
    emissions: DeadlineSpec
    surrender: DeadlineSpec
    emissions_years_after: int = 1
    surrender_years_after: int = 1


class Offsets(FileModel):
    limit_share: Share
    eligible_origins: list[str] = Field(default_factory=list)
    earliest_vintage: CitedNumber = Decimal(0)


class PenaltyTable(FileModel):
    kind: Literal["per_tonne", "multiple_of_price", "fixed"]
    amount: NonNegative
    amount_max: NonNegative | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    shortfall: Literal["make_good", "deduct_next_allocation"]
    shortfall_source: Cited | None = None
    reference_price: NonNegative


class VersionTable(FileModel):
    """One rule set: a `[[versions]]` table, or a whole unversioned file."""

    id: str = ""
    years: Years = None
    source: str = ""
    allowance_vintage_lead: int = 0
    vintages: Literal["lead", "period"] = "lead"
    deadlines: Deadlines
    offsets: Offsets
    penalty: PenaltyTable

    def period(self) -> Period:
        return ALL_YEARS if self.years is None else Period(*self.years)


class ComplianceFile(FileModel):
    source: str = ""
    versions: Annotated[list[VersionTable], Field(min_length=1)]


def _cited(value: Cited | None) -> dict[str, Any]:
    return {} if value is None else value.model_dump(exclude_unset=True)


def _number(r: CitedReader, table: str, key: str, value: Cited | Decimal, where: str) -> Decimal:
    found = r.decimal({key: as_written(value)}, key, f"{where}{table}.")
    if isinstance(found, Missing):
        r.problem("compliance rules need this value", f"{where}{table}.{key}")
        return Decimal(0)
    return found


def _deadline(deadlines: Deadlines, key: Literal["emissions", "surrender"], where: str, r: CitedReader) -> Deadline:
    field = f"{where}deadlines.{key}"
    spec = getattr(deadlines, key)
    if isinstance(spec, str):  # "MM-DD" with an optional <key>_years_after
        month, day = (int(part) for part in spec.split("-"))
        r.cite({"source": r.default_source or "user configuration (no citation)"}, field, spec)
        return Deadline(month, day, getattr(deadlines, f"{key}_years_after"))
    month, day = (int(part) for part in spec.day.split("-"))
    fixed: list[tuple[int, dt.date]] = []
    if spec.date is not None:  # one date for every year of the version (a joint compliance period)
        date = spec.date
        years = range(r.period.first or 0, (r.period.last or -1) + 1)
        if not years:
            r.problem("a fixed date needs a version with first and last years", f"{field}.date")
        fixed += [(y, date) for y in years]
    for year_text, text in spec.dates.items():
        if year_text.isdigit():
            fixed.append((int(year_text), text))
    raw = spec.model_dump(exclude_unset=True, exclude={"milestones"})
    shown = raw.get("date") or ", ".join(f"{y}: {d}" for y, d in spec.dates.items())
    r.cite(raw, field, str(shown or f"{raw.get('day', '12-31')}, {raw.get('years_after', 1)} year(s) after"))
    milestones = []
    for i, m in enumerate(spec.milestones):
        at = f"{field}.milestones[{i}]"
        share = r.decimal({"share": as_written(m.share)}, "share", f"{at}.")
        if isinstance(share, Decimal):
            milestones.append(Milestone(share, m.date, m.of))
        r.cite(m.model_dump(exclude_unset=True, exclude={"share"}), at, f"{share} of {m.of} by {m.date}")
    return Deadline(month, day, spec.years_after, tuple(fixed), tuple(milestones))


def _version(v: VersionTable, where: str, r: CitedReader, jurisdiction: str) -> ComplianceRules:
    r.version = (v.id or "unversioned") if where else "unversioned"
    r.period = v.period()
    r.default_source = v.source
    penalty = v.penalty
    limit = _number(r, "offsets", "limit_share", v.offsets.limit_share, where)
    amount = _number(r, "penalty", "amount", penalty.amount, where)
    amount_max = amount
    if penalty.amount_max is not None:
        amount_max = _number(r, "penalty", "amount_max", penalty.amount_max, where)
        if amount_max < amount:
            r.problem("'amount_max' is below 'amount'", f"{where}penalty.amount_max")
    if penalty.shortfall_source is not None:
        r.cite(_cited(penalty.shortfall_source), f"{where}penalty.shortfall", penalty.shortfall)
    earliest = v.offsets.earliest_vintage
    earliest_year = int(_number_of(earliest) or 0)
    return ComplianceRules(
        jurisdiction,
        _deadline(v.deadlines, "emissions", where, r),
        _deadline(v.deadlines, "surrender", where, r),
        OffsetRules(limit, frozenset(v.offsets.eligible_origins), earliest_year),
        v.allowance_vintage_lead,
        PenaltyRules(penalty.kind, amount, penalty.currency, penalty.shortfall, amount_max),
        _number(r, "penalty", "reference_price", penalty.reference_price, where),
        v.source,
        r.version,
        r.period,
        v.vintages,
    )


def parse_compliance_config(data: dict[str, Any], *, file: str, jurisdiction: str) -> ComplianceConfig:
    """Every version of a jurisdiction's compliance rules, with the provenance of each value;
    every problem of the file at once."""
    r = CitedReader(file, f"{jurisdiction} compliance")
    if "versions" in data:
        versions = parse_file(ComplianceFile, data, file).versions
        rules = tuple(_version(v, f"versions[{i}].", r, jurisdiction) for i, v in enumerate(versions))
    else:
        rules = (_version(parse_file(VersionTable, data, file), "", r, jurisdiction),)
    check_periods([(v.version, v.period) for v in rules], r)
    r.done()
    return ComplianceConfig(jurisdiction, rules, tuple(r.entries))


def parse_compliance_rules(
    data: dict[str, Any], *, file: str, jurisdiction: str, year: int | None = None
) -> ComplianceRules:
    """The rules in force for `year` (the latest version when no year is given)."""
    return parse_compliance_config(data, file=file, jurisdiction=jurisdiction).for_year(year)


def read_compliance(code: str, override_dir: Path | None) -> ComplianceConfig:
    """Every version of the jurisdiction's compliance rules."""
    code = code.upper()
    found = config.read_document("compliance", f"{code}.toml", override_dir, override_name=f"compliance-{code}.toml")
    if found is None:
        raise NotFound(f"no compliance configuration for {code!r}; shipped: BY, CN")
    data, file = found
    return parse_compliance_config(data, file=file, jurisdiction=code)
