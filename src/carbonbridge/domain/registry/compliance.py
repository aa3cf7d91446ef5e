"""Compliance per installation-year: verified emissions against units surrendered."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ComplianceStatus(StrEnum):
    """A: surrendered >= verified emissions; B: surrendered < verified emissions;
    C: no verified emissions entered (the operator account is to be blocked)."""

    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True, slots=True)
class ComplianceRecord:
    installation_id: str
    year: int
    verified_emissions_t: int | None
    surrendered: int

    @property
    def status(self) -> ComplianceStatus:
        return compliance_status(self.verified_emissions_t, self.surrendered)

    @property
    def shortfall(self) -> int:
        return max(0, (self.verified_emissions_t or 0) - self.surrendered)


def compliance_status(verified_emissions_t: int | None, surrendered: int) -> ComplianceStatus:
    if verified_emissions_t is None:
        return ComplianceStatus.C
    return ComplianceStatus.A if surrendered >= verified_emissions_t else ComplianceStatus.B
