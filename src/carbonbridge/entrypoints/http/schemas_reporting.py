"""Bodies of the MRV, inventory and allocation resources (one schema per direction, STYLE.md #5);
kept apart from schemas.py, which holds the registry's, so that each stays small."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from carbonbridge.entrypoints.http.schemas import Id, In, Jurisdiction, Out, Text

Tier = Annotated[str, Field(min_length=1, max_length=2, pattern=r"^[0-9][a-z]?$")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
GwpSet = Literal["AR4GWP100", "AR5GWP100", "AR6GWP100"]
Explanation = Annotated[str, Field(max_length=2000)]


# --- MRV ---------------------------------------------------------------------------------------


class SourceStreamBody(In):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    activity: Name
    method: Literal["calculation", "mass_balance", "measurement"] = "calculation"
    category: Literal["major", "minor", "de_minimis"] = "major"
    tier_activity: Tier = "1"
    tier_ncv: Tier = "1"
    tier_ef: Tier = "1"
    tier_oxidation: Tier = "1"


class PlanCreate(In):
    """A monitoring plan, as the TOML/JSON file of `carbonbridge mrv plan`."""

    installation_id: Id
    jurisdiction: Jurisdiction
    name: Text
    operator: Text
    sector: Name = "energy_industries"
    category: Literal["A", "B", "C"] = Field("A", description="EU MRR Art. 19(2) installation category")
    method_pack: Name = Field("ipcc2006", description="A shipped method pack")
    source_streams: Annotated[list[SourceStreamBody], Field(min_length=1, max_length=500)]


class SourceStreamPublic(Out):
    name: str
    activity: str
    method: str
    category: str
    tier_activity: str
    tier_ncv: str
    tier_ef: str
    tier_oxidation: str


class PlanPublic(Out):
    installation_id: str
    jurisdiction: str
    version: int
    category: str
    method_pack: str
    created_at: dt.datetime
    source_streams: list[SourceStreamPublic]


class DatasetPublic(Out):
    installation_id: str
    year: int
    version: int
    records: int
    co2_t: float


class ImportPublic(Out):
    datasets: list[DatasetPublic] = Field(description="One new dataset version per installation-year of the file")


MeasuredGas = Literal["CO2", "CH4", "N2O"]  # services/mrv.MEASURED_GASES
ConcentrationUnit = Literal["g/Nm3", "mg/Nm3", "kg/Nm3"]  # domain/mrv/cems.CONCENTRATION_UNITS
FlowUnit = Literal["Nm3/h", "thousand Nm3/h"]  # domain/mrv/cems.FLOW_UNITS


class MeasurementPublic(Out):
    installation_id: str
    year: int
    emission_source: str
    gas: str
    emissions_t: float
    hours_total: int
    hours_valid: int
    hours_substituted_concentration: int
    hours_substituted_flow: int
    substitute_concentration_g_per_nm3: float
    substitute_flow_nm3_per_h: float


class ReportCreate(In):
    gwp_set: GwpSet | None = Field(None, description="Default: the jurisdiction's GWP set")
    reason: Explanation = Field("", description="Required to correct a verified report (a new version)")


# --- national inventory ------------------------------------------------------------------------


class SubmissionPublic(Out):
    jurisdiction: str
    version: int
    label: str
    created_at: dt.datetime
    years: list[int]
    records: int
    latest_total_without_lulucf_t_co2e: float
    gwp_set: str
    reference_approach: list[dict[str, Any]]
    notes: list[str]


class CompiledPublic(SubmissionPublic):
    new: bool = Field(description="False: the inputs were those of the latest version, which is returned")


class ChangePublic(Out):
    category: str
    gas: str
    year: int
    kind: Literal["added", "removed", "changed"]
    old_t: float | None = Field(description="t of gas in the older version; null: added")
    new_t: float | None = Field(description="t of gas in this version; null: removed")
    old_co2e_t: float
    new_co2e_t: float
    delta_t_co2e: float


class ReconciliationPublic(Out):
    category: str
    year: int
    inventory_co2e_t: float
    installations_co2e_t: float
    installations: int
    share: float | None = Field(description="Installations / inventory; null where the inventory has nothing")
    flags: list[str]


ExportFormat = Literal["zip", "xlsx", "primap2-csv", "primap2-yaml", "summary1-csv"]


class KeyCategoryPublic(Out):
    category: str
    gas: str
    by: list[str] = Field(description="The assessments that make it key (level, trend, ..._approach2)")
    shares: dict[str, float] = Field(description="Share and cumulative share in each assessment")


class KcaPublic(Out):
    year: int
    base_year: int | None
    with_lulucf: bool
    thresholds: dict[str, float]
    key_categories: list[KeyCategoryPublic]
    assessments: dict[str, list[dict[str, Any]]]


class UncertaintyCategoryPublic(Out):
    category: str
    gas: str
    value_t_co2e: float
    ad_pct: float
    ef_pct: float
    combined_pct: float
    contribution_to_variance_pct: float
    approach2_sd_t_co2e: float


class UncertaintyPublic(Out):
    year: int
    base_year: int | None
    gwp_set: str
    with_lulucf: bool
    total: float
    approach1_pct: float
    approach2_mean: float
    approach2_low_pct: float
    approach2_high_pct: float
    approach2_p2_5: float
    approach2_p97_5: float
    trend_pct: float | None
    trend_uncertainty_approach1_pp: float | None
    trend_approach2: dict[str, float] | None
    iterations: int
    seed: int
    categories: list[UncertaintyCategoryPublic]
    sectors: dict[str, dict[str, float]]


class CrtExportPublic(Out):
    numbers: int
    keys: int
    replaced: int
    kept_from_template: int
    repairs: list[str]
    notes: list[str]
    document: dict[str, Any] = Field(description="The CRT Data Exchange JSON, for the ETF tool's import")


class CrtValidatePublic(Out):
    valid: bool
    years: list[int | None]
    entries: int


class CrtPlacedPublic(Out):
    category: str
    gas: str
    variable_uid: str


class CrtUnplacedPublic(Out):
    category: str
    gas: str
    reason: str


class CrtCoveragePublic(Out):
    placed: list[CrtPlacedPublic]
    unplaced: list[CrtUnplacedPublic]
    not_converted: list[str]
    variables_without_number_or_key: list[str]


class RecordPublic(Out):
    category: str
    gas: str
    year: int
    mass_t: float
    method: str
    tier: str
    source: str
    factor: str


class NotationKeyPublic(Out):
    category: str
    gas: str
    year: int
    keys: list[str] = Field(description="NO, NE, NA, IE, C, FX")
    explanation: str
    included_in: str
    allocation_by_ipcc: str


class CrtReadPublic(Out):
    records: list[RecordPublic] = Field(description="IPCC 2006 categories, t of gas")
    notation_keys: list[NotationKeyPublic]
    skipped_entries: int
    years: list[int]


# --- cap and allocation ------------------------------------------------------------------------


class CapYearPublic(Out):
    year: int
    cap_t: int


class PlanLinePublic(Out):
    holder: str
    basis: str
    allocation_t: int
    pre_allocation_next_year_t: int | None
    detail: str
    source: str
    rules: str


class AllocationEntryPublic(Out):
    installation_id: str
    year: int
    phase: str
    basis: str
    allocation_t: int = Field(description="The change of the allocation this decision made (signed)")
    delivered_t: int
    deducted_t: int
    debt_t: int
    created_at: dt.datetime


class PostingPublic(Out):
    installation_id: str
    phase: str
    basis: str
    allocation_t: int
    delivered_t: int
    deducted_t: int
    debt_t: int


class AllocationRunPublic(Out):
    jurisdiction: str
    year: int
    phase: str
    unit_type: str
    cap_t: int
    intensity_cap_t: int | None
    rules: str
    delivered_t: int
    postings: list[PostingPublic]


class AllocationPlanPublic(Out):
    lines: list[PlanLinePublic]
    total_t: int
