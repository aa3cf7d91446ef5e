"""Allocation configuration files: data/allocation/<CODE>.toml, overridable from the folder
named by CARBONBRIDGE_CONFIG (a file allocation-<CODE>.toml there replaces the shipped one).
China's steel, cement and aluminium allocation is data/allocation/CN-industry.toml (override
allocation-CN-industry.toml). Each file holds rule versions; a caller names the year."""

from __future__ import annotations

from typing import Any

from carbonbridge.adapters.config import config_document
from carbonbridge.domain.allocation.benchmark import BenchmarkRules
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.config import (
    BenchmarkConfig,
    IndustryConfig,
    IntensityConfig,
    parse_benchmark_config,
    parse_industry_config,
    parse_intensity_config,
)
from carbonbridge.domain.allocation.intensity import IntensityRules
from carbonbridge.domain.errors import NotFound


def _document(name: str) -> tuple[dict[str, Any], str]:
    found = config_document("allocation", f"{name}.toml", override_name=f"allocation-{name}.toml")
    if found is None:
        raise NotFound(f"no allocation configuration for {name!r}; shipped: BY (benchmark), CN (intensity)")
    return found


def allocation_design(code: str) -> str:
    """'benchmark' (absolute cap, EU style) or 'intensity' (China style)."""
    data, _ = _document(code.upper())
    design = data.get("design")
    if isinstance(design, str):
        return design
    versions = data.get("versions") or [data]
    return "intensity" if any("unit_types" in v for v in versions) else "benchmark"


def benchmark_config(code: str) -> BenchmarkConfig:
    data, file = _document(code.upper())
    return parse_benchmark_config(data, file=file, family=f"{code.upper()} allocation")


def intensity_config(code: str) -> IntensityConfig:
    data, file = _document(code.upper())
    return parse_intensity_config(data, file=file, family=f"{code.upper()} allocation")


def industry_config() -> IndustryConfig:
    data, file = _document("CN-industry")
    return parse_industry_config(data, file=file, family="CN allocation (steel, cement, aluminium)")


def load_benchmark_config(code: str, year: int | None = None) -> tuple[LinearCap, BenchmarkRules]:
    """The cap and the benchmark rules in force for `year` (the latest version without a year)."""
    config = benchmark_config(code)
    return config.cap, config.for_year(year)


def load_intensity_config(code: str, year: int | None = None) -> IntensityRules:
    """The intensity rules in force for `year` (the latest version without a year)."""
    return intensity_config(code).for_year(year)
