"""A jurisdiction's compliance-year rules, parsed from configuration (data/compliance/<CODE>.toml):
deadlines (with the interim milestones yearly notices set), offsets, allowance vintages,
penalties and the consequence of a shortfall. Rules change over time: a file lists versions, each
in force for a period of compliance years, and a caller names the year it assesses.

A document either lists `[[versions]]` or is one unversioned rule set (a user's override file).
Deadlines are a day after the year (`"MM-DD"`, `years_after`), or a date that a notice fixed for
the years of a version (`{ date = "2021-12-31", ... }`, or per year `{ dates = { "2021" = ... } }`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carbonbridge.domain.compliance.assessment import OffsetRules, PenaltyRules
from carbonbridge.domain.provenance import (
    ALL_YEARS,
    CitedReader,
    Missing,
    Period,
    Provenance,
    check_periods,
    in_force,
)

PENALTY_KINDS = ("per_tonne", "multiple_of_price", "fixed")
CONSEQUENCES = ("make_good", "deduct_next_allocation")
VINTAGE_RULES = ("lead", "period")


@dataclass(frozen=True, slots=True)
class Milestone:
    """An interim target of a notice: `share` of the units in scope done by `on`."""

    share: Decimal
    on: dt.date
    scope: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """A day of the year after the compliance year (month, day), and how many years after; or the
    dates a notice fixed for particular compliance years."""

    month: int
    day: int
    years_after: int = 1
    fixed: tuple[tuple[int, dt.date], ...] = ()
    milestones: tuple[Milestone, ...] = ()

    def for_year(self, year: int) -> dt.date:
        for fixed_year, date in self.fixed:
            if fixed_year == year:
                return date
        return dt.date(year + self.years_after, self.month, self.day)


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    jurisdiction: str
    emissions_deadline: Deadline
    surrender_deadline: Deadline
    offsets: OffsetRules
    allowance_vintage_lead: int  # allowances of vintage <= year + lead count for the year
    penalties: PenaltyRules
    reference_price: Decimal  # per tonne, for multiple_of_price when no market price is given
    source: str
    version: str = ""
    period: Period = ALL_YEARS
    vintage_rule: str = "lead"  # "period": any allowance of the version's years counts (a joint period)

    def latest_allowance_vintage(self, year: int) -> int:
        if self.vintage_rule == "period" and self.period.last is not None:
            return self.period.last
        return year + self.allowance_vintage_lead


@dataclass(frozen=True, slots=True)
class ComplianceConfig:
    jurisdiction: str
    versions: tuple[ComplianceRules, ...]
    provenance: tuple[Provenance, ...]

    def for_year(self, year: int | None) -> ComplianceRules:
        return in_force(self.versions, year, lambda v: v.period, f"{self.jurisdiction} compliance rules")


def _date(text: object, field: str, r: CitedReader) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        r.problem(f"expected a date as YYYY-MM-DD, got {text!r}", field)
        return None


def _day(text: str, field: str, r: CitedReader) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in text.split("-"))
        dt.date(2024, month, day)  # a leap year accepts 02-29
        return month, day
    except (ValueError, TypeError):
        r.problem(f"expected a day as MM-DD, got {text!r}", field)
        return 1, 1


def _deadline(data: Mapping[str, Any], key: str, where: str, r: CitedReader) -> Deadline:
    field = f"{where}deadlines.{key}"
    raw = data.get(key, "")
    if not isinstance(raw, Mapping):  # "MM-DD" with an optional <key>_years_after
        month, day = _day(str(raw), field, r)
        r.cite({"source": r.default_source or "user configuration (no citation)"}, field, str(raw))
        return Deadline(month, day, int(data.get(f"{key}_years_after", 1)))
    month, day = _day(str(raw.get("day", "12-31")), f"{field}.day", r)
    fixed: list[tuple[int, dt.date]] = []
    if "date" in raw:  # one date for every year of the version (a joint compliance period)
        date = _date(raw["date"], f"{field}.date", r)
        years = range(r.period.first or 0, (r.period.last or -1) + 1)
        if date is not None and not years:
            r.problem("a fixed date needs a version with first and last years", f"{field}.date")
        fixed += [(y, date) for y in years if date is not None]
    for year_text, text in dict(raw.get("dates", {})).items():
        date = _date(text, f"{field}.dates.{year_text}", r)
        if date is not None and str(year_text).isdigit():
            fixed.append((int(year_text), date))
    shown = raw.get("date") or ", ".join(f"{y}: {d}" for y, d in dict(raw.get("dates", {})).items())
    r.cite(raw, field, str(shown or f"{raw.get('day', '12-31')}, {raw.get('years_after', 1)} year(s) after"))
    milestones = []
    for i, m in enumerate(raw.get("milestones", [])):
        at = f"{field}.milestones[{i}]"
        on = _date(m.get("date"), f"{at}.date", r)
        share = r.decimal(m, "share", f"{at}.")
        scope = str(m.get("of", ""))
        if on is not None and isinstance(share, Decimal):
            milestones.append(Milestone(share, on, scope))
        r.cite(m, at, f"{share} of {scope} by {m.get('date')}")
    return Deadline(month, day, int(raw.get("years_after", 1)), tuple(fixed), tuple(milestones))


def _number(value: Decimal | Missing, field: str, r: CitedReader, *, at_most: Decimal | None = None) -> Decimal:
    if isinstance(value, Missing):
        r.problem("compliance rules need this value", field)
        return Decimal(0)
    if value < 0:
        r.problem(f"'{field.rsplit('.', 1)[-1]}' must not be negative", field)
    if at_most is not None and value > at_most:
        r.problem("'limit_share' is a share of the allowances due, 0-1", field)
    return value


def _version(data: Mapping[str, Any], where: str, r: CitedReader, jurisdiction: str) -> ComplianceRules:
    r.version = str(data.get("id", "unversioned")) if where else "unversioned"
    r.period = r.period_of(data, where)
    r.default_source = str(data.get("source", ""))
    deadlines = dict(data.get("deadlines", {}))
    offsets = dict(data.get("offsets", {}))
    penalty = dict(data.get("penalty", {}))
    limit_at = f"{where}offsets.limit_share"
    limit = _number(r.decimal(offsets, "limit_share", f"{where}offsets."), limit_at, r, at_most=Decimal(1))
    origins = offsets.get("eligible_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        r.problem("expected a list of origin codes", f"{where}offsets.eligible_origins")
        origins = []
    kind = str(penalty.get("kind", ""))
    if kind not in PENALTY_KINDS:
        r.problem(f"expected one of {', '.join(PENALTY_KINDS)}", f"{where}penalty.kind")
    consequence = str(penalty.get("shortfall", ""))
    if consequence not in CONSEQUENCES:
        r.problem(f"expected one of {', '.join(CONSEQUENCES)}", f"{where}penalty.shortfall")
    currency = str(penalty.get("currency", ""))
    if len(currency) != 3:
        r.problem("expected an ISO 4217 currency code", f"{where}penalty.currency")
    amount = _number(r.decimal(penalty, "amount", f"{where}penalty."), f"{where}penalty.amount", r)
    amount_max = amount
    if "amount_max" in penalty:
        amount_max = _number(r.decimal(penalty, "amount_max", f"{where}penalty."), f"{where}penalty.amount_max", r)
        if amount_max < amount:
            r.problem("'amount_max' is below 'amount'", f"{where}penalty.amount_max")
    if isinstance(penalty.get("shortfall_source"), Mapping):
        r.cite(penalty["shortfall_source"], f"{where}penalty.shortfall", consequence)
    vintage_rule = str(data.get("vintages", "lead"))
    if vintage_rule not in VINTAGE_RULES:
        r.problem(f"expected one of {', '.join(VINTAGE_RULES)}", f"{where}vintages")
    earliest = offsets.get("earliest_vintage", 0)
    earliest = int(earliest.get("value", 0) if isinstance(earliest, Mapping) else earliest)
    return ComplianceRules(
        jurisdiction,
        _deadline(deadlines, "emissions", where, r),
        _deadline(deadlines, "surrender", where, r),
        OffsetRules(limit, frozenset(origins), earliest),
        int(data.get("allowance_vintage_lead", 0)),
        PenaltyRules(kind, amount, currency, consequence, amount_max),
        _number(r.decimal(penalty, "reference_price", f"{where}penalty."), f"{where}penalty.reference_price", r),
        str(data.get("source", "")),
        r.version,
        r.period,
        vintage_rule,
    )


def parse_compliance_config(data: Mapping[str, Any], *, file: str, jurisdiction: str) -> ComplianceConfig:
    """Every version of a jurisdiction's compliance rules, with the provenance of each value."""
    r = CitedReader(file, f"{jurisdiction} compliance")
    raw = data.get("versions")
    versions: tuple[ComplianceRules, ...]
    if raw is None:
        versions = (_version(data, "", r, jurisdiction),)
    elif isinstance(raw, list) and raw and all(isinstance(v, Mapping) for v in raw):
        versions = tuple(_version(v, f"versions[{i}].", r, jurisdiction) for i, v in enumerate(raw))
    else:
        r.problem("expected [[versions]] tables", "versions")
        versions = ()
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return ComplianceConfig(jurisdiction, versions, tuple(r.entries))


def parse_compliance_rules(
    data: Mapping[str, Any], *, file: str, jurisdiction: str, year: int | None = None
) -> ComplianceRules:
    """The rules in force for `year` (the latest version when no year is given)."""
    return parse_compliance_config(data, file=file, jurisdiction=jurisdiction).for_year(year)
