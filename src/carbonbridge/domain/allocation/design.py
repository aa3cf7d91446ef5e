"""The two allocation designs a jurisdiction configures, as types: an absolute cap with product
benchmarks (EU style, Directive 2003/87/EC Arts. 9 and 10a) or intensity benchmarks whose cap
is the sum of the allocations (China style, MEE allocation plans for power generation).

A service chooses by type (`match design: case IntensityDesign(...)`), never by comparing the
words "benchmark" and "intensity"."""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.allocation.benchmark import BenchmarkRules
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.config import BenchmarkConfig, IntensityConfig
from carbonbridge.domain.allocation.intensity import IntensityRules


@dataclass(frozen=True, slots=True)
class BenchmarkDesign:
    """An absolute cap reduced each year by a linear factor; free allocation by product benchmark."""

    config: BenchmarkConfig

    @property
    def cap(self) -> LinearCap:
        return self.config.cap

    def rules(self, year: int | None) -> BenchmarkRules:
        return self.config.for_year(year)


@dataclass(frozen=True, slots=True)
class IntensityDesign:
    """Allocation per unit of output; the cap follows the allocations."""

    config: IntensityConfig

    def rules(self, year: int | None) -> IntensityRules:
        return self.config.for_year(year)


AllocationDesign = BenchmarkDesign | IntensityDesign
