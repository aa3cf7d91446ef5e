"""Activity records (the input of a calculation) and emission results (its output)."""

from __future__ import annotations

from dataclasses import dataclass

# Input columns of `mrv calc` / `mrv import`, in the order the issue gives them.
REQUIRED_COLUMNS = ("record_id", "installation_id", "source_stream", "activity", "quantity", "unit")
OPTIONAL_COLUMNS = (
    "year",
    "sector",
    "ncv",
    "ncv_unit",
    "emission_factor",
    "ef_unit",
    "oxidation_factor",
    "carbon_content",
    "carbon_content_unit",
    "technology",
)
NUMERIC_COLUMNS = ("quantity", "ncv", "emission_factor", "oxidation_factor", "carbon_content")
OUTPUT_COLUMNS = ("co2_t", "ch4_t", "n2o_t", "co2e_t", "gwp_set", "method", "factor_source")
SECTORS = ("energy_industries", "manufacturing", "commercial", "residential")
# Pairs that must come together: a value is meaningless without its unit.
VALUE_UNIT_PAIRS = (
    ("ncv", "ncv_unit"),
    ("emission_factor", "ef_unit"),
    ("carbon_content", "carbon_content_unit"),
)


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One line of activity data: a quantity of a source stream, with optional site data."""

    record_id: str
    installation_id: str
    source_stream: str
    activity: str
    quantity: float
    unit: str
    year: int | None = None
    sector: str = ""
    technology: str = ""
    ncv: float | None = None
    ncv_unit: str = ""
    emission_factor: float | None = None
    ef_unit: str = ""
    oxidation_factor: float | None = None
    carbon_content: float | None = None
    carbon_content_unit: str = ""


@dataclass(frozen=True, slots=True)
class EmissionResult:
    """Emissions of one record, by gas in tonnes, with CO2e under one GWP set."""

    record_id: str
    co2_t: float
    ch4_t: float
    n2o_t: float
    co2e_t: float
    gwp_set: str
    method: str
    factor_source: str
