"""Allocation configuration files: data/allocation/<CODE>.toml, overridable from the folder
named by CARBONBRIDGE_CONFIG (a file allocation-<CODE>.toml there replaces the shipped one)."""

from __future__ import annotations

from typing import Any

from carbonbridge.adapters.config import config_document
from carbonbridge.domain.allocation.benchmark import BenchmarkRules
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.config import parse_benchmark_rules, parse_intensity_rules
from carbonbridge.domain.allocation.intensity import IntensityRules
from carbonbridge.domain.errors import NotFound


def _document(code: str) -> tuple[dict[str, Any], str]:
    code = code.upper()
    found = config_document("allocation", f"{code}.toml", override_name=f"allocation-{code}.toml")
    if found is None:
        raise NotFound(f"no allocation configuration for {code!r}; shipped: BY (benchmark), CN (intensity)")
    return found


def allocation_design(code: str) -> str:
    """'benchmark' (absolute cap, EU style) or 'intensity' (China style)."""
    data, _ = _document(code)
    return "intensity" if "unit_types" in data else "benchmark"


def load_benchmark_config(code: str) -> tuple[LinearCap, BenchmarkRules]:
    data, file = _document(code)
    return parse_benchmark_rules(data, file=file)


def load_intensity_config(code: str) -> IntensityRules:
    data, file = _document(code)
    return parse_intensity_rules(data, file=file)
