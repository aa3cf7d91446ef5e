"""Allocation configuration as the domain receives it: the rule versions of a design, each in
force for a period of years, with the provenance of every value (parsed from data/allocation/*.toml
by `adapters/allocation_config.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.allocation.benchmark import BenchmarkRules
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.industry import IndustryRules
from carbonbridge.domain.allocation.intensity import IntensityRules
from carbonbridge.domain.provenance import Provenance, in_force


@dataclass(frozen=True, slots=True)
class IntensityConfig:
    versions: tuple[IntensityRules, ...]
    provenance: tuple[Provenance, ...]

    def for_year(self, year: int | None) -> IntensityRules:
        return in_force(self.versions, year, lambda v: v.period, "intensity allocation")


@dataclass(frozen=True, slots=True)
class BenchmarkConfig:
    cap: LinearCap
    versions: tuple[BenchmarkRules, ...]
    provenance: tuple[Provenance, ...]

    def for_year(self, year: int | None) -> BenchmarkRules:
        return in_force(self.versions, year, lambda v: v.period, "benchmark allocation")


@dataclass(frozen=True, slots=True)
class IndustryConfig:
    versions: tuple[IndustryRules, ...]
    provenance: tuple[Provenance, ...]

    def for_year(self, year: int | None) -> IndustryRules:
        return in_force(self.versions, year, lambda v: v.period, "industry allocation")
