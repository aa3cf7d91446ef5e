"""Allocation configuration files: data/allocation/<CODE>.toml, overridable from the override
folder (a file allocation-<CODE>.toml there replaces the shipped one). A file names its design
(`design = "benchmark"` or `"intensity"`; without it, a file with unit types is intensity) and
holds rule versions; a caller names the year. The design becomes a type here, once
(`BenchmarkDesign | IntensityDesign`): nothing downstream compares the words."""

from __future__ import annotations

from pathlib import Path

from carbonbridge.adapters import config
from carbonbridge.domain.allocation.benchmark import BenchmarkRules
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.config import parse_benchmark_config, parse_intensity_config
from carbonbridge.domain.allocation.design import AllocationDesign, BenchmarkDesign, IntensityDesign
from carbonbridge.domain.errors import NotFound, Problem, RuleViolation, ValidationFailed

DESIGNS = ("benchmark", "intensity")


def read_design(code: str, override_dir: Path | None) -> AllocationDesign:
    """The jurisdiction's allocation design and every version of its rules."""
    code = code.upper()
    found = config.read_document("allocation", f"{code}.toml", override_dir, override_name=f"allocation-{code}.toml")
    if found is None:
        raise NotFound(f"no allocation configuration for {code!r}; shipped: BY (benchmark), CN (intensity)")
    data, file = found
    design = data.get("design")
    if design is None:
        versions = data.get("versions") or [data]
        design = "intensity" if any(isinstance(v, dict) and "unit_types" in v for v in versions) else "benchmark"
    family = f"{code} allocation"
    if design == "benchmark":
        return BenchmarkDesign(parse_benchmark_config(data, file=file, family=family))
    if design == "intensity":
        return IntensityDesign(parse_intensity_config(data, file=file, family=family))
    message = f"design must be one of {', '.join(DESIGNS)}, got {design!r}"
    raise ValidationFailed([Problem(message, file, field="design", expected="one of: " + ", ".join(DESIGNS))])


def load_benchmark_config(code: str, year: int | None = None) -> tuple[LinearCap, BenchmarkRules]:
    """The cap and the benchmark rules in force for `year` (the latest version without a year),
    under the process's configuration (for callers not handed a `Jurisdiction`)."""
    design = config.load_jurisdiction(code).allocation
    if not isinstance(design, BenchmarkDesign):
        raise RuleViolation("intensity_cap", f"{code.upper()} allocates by intensity: it has no absolute cap")
    return design.cap, design.rules(year)
