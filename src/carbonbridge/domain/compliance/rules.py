"""A jurisdiction's compliance-year rules, as configured (data/compliance/<CODE>.toml, parsed by
`adapters/compliance_config.py`): deadlines (with the interim milestones yearly notices set),
offsets, allowance vintages, penalties and the consequence of a shortfall. Rules change over
time: a configuration lists versions, each in force for a period of compliance years, and a
caller names the year it assesses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.domain.compliance.assessment import OffsetRules, PenaltyRules
from carbonbridge.domain.provenance import ALL_YEARS, Period, Provenance, in_force


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
