"""A jurisdiction running its own registry, with its configuration (DESIGN.md glossary): the
values every use case of the jurisdiction needs, built once at the composition root
(`adapters/config.load_config`, `entrypoints/bootstrap.App.config`) and handed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from carbonbridge.domain.allocation.design import AllocationDesign
from carbonbridge.domain.compliance.rules import ComplianceConfig, ComplianceRules
from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.registry.policy import SecurityPolicy


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    currency: str
    gwp_set: str
    method_pack: str
    timezone: str  # the IANA name, as configured
    language: str
    inventory_gwp_set: str
    zone: dt.tzinfo  # `timezone` resolved by the adapter
    registry: SecurityPolicy  # the [registry] table of the jurisdiction file
    allocation: AllocationDesign  # data/allocation/<CODE>.toml, by its design
    compliance: ComplianceConfig  # data/compliance/<CODE>.toml, every version

    def compliance_rules(self, year: int | None) -> ComplianceRules:
        """The compliance rules in force for `year` (the latest version without a year)."""
        return self.compliance.for_year(year)

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The jurisdiction's calendar day of `moment` (a naive moment is UTC)."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return aware.astimezone(self.zone).date()


@dataclass(frozen=True, slots=True)
class Config:
    """Every configured jurisdiction, by code."""

    jurisdictions: Mapping[str, Jurisdiction]

    def jurisdiction(self, code: str) -> Jurisdiction:
        found = self.jurisdictions.get(code.upper())
        if found is None:
            raise NotFound(f"unknown jurisdiction {code!r}; configured: {', '.join(sorted(self.jurisdictions))}")
        return found
