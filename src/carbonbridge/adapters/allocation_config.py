"""Allocation configuration files: data/allocation/<CODE>.toml, overridable from the override
folder (a file allocation-<CODE>.toml there replaces the shipped one); China's steel, cement and
aluminium allocation is data/allocation/CN-industry.toml. A file names its design (`design =
"benchmark"`, `"intensity"` or `"industry"`; without it, a file with unit types is intensity)
and holds rule versions; a caller names the year. The design becomes a type here, once
(`BenchmarkDesign | IntensityDesign`): nothing downstream compares the words.

A file's shape is a Pydantic model per design (unknown keys refused, types and choices checked,
every problem named at once with its file and field path); the validated tables then become the
domain's frozen rules (`domain/allocation/*`), each value with its provenance (`CitedReader`).
A document either lists `[[versions]]` (each with `id`, `years = [first, last]`, `source` and its
rules) or is one unversioned rule set (a user's override file), in force for every year."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

from carbonbridge.adapters import config
from carbonbridge.adapters.config_schema import Cited, CitedNumber, FileModel, Number, Years, as_written, parse_file
from carbonbridge.domain.allocation.benchmark import BenchmarkRules, ProductBenchmark
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.config import BenchmarkConfig, IndustryConfig, IntensityConfig
from carbonbridge.domain.allocation.design import AllocationDesign, BenchmarkDesign, IntensityDesign
from carbonbridge.domain.allocation.industry import IndustryRules, Product
from carbonbridge.domain.allocation.intensity import IntensityRules, LoadBand, UnitType
from carbonbridge.domain.errors import NotFound, Problem, RuleViolation, ValidationFailed
from carbonbridge.domain.jurisdiction import Jurisdiction
from carbonbridge.domain.provenance import ALL_YEARS, CitedReader, Missing, Period, check_periods

DESIGNS = ("benchmark", "intensity")
FUELS = ("coal", "gas")  # each with its heat-supply coefficient
V = TypeVar("V", bound=BaseModel)
Text = Annotated[str, Field(min_length=1)]
Table = dict[str, CitedNumber]


class VersionHead(FileModel):
    """What every rule version has: its id, years in force and source."""

    id: str = ""
    years: Years = None
    source: str = ""

    def period(self) -> Period:
        return ALL_YEARS if self.years is None else Period(*self.years)


# --- intensity (China's power sector) -------------------------------------------------------


class UnitTypeTable(FileModel):
    label: str = ""
    source: str = ""
    note: str = ""
    fuel: Literal["coal", "gas"] = "coal"
    load_correction: bool = False
    obligation: Literal["capped_at_allocation", "shortfall_cap", "full"]
    electricity_t_per_mwh: CitedNumber
    heat_t_per_gj: CitedNumber


class LoadBandTable(FileModel):
    kind: Literal["linear", "power"] = "linear"
    lower: Number
    upper: Number
    a: Number
    b: Number
    pivot: Number
    source: str = ""
    checked: bool = False
    checked_in: str = ""
    note: str = ""


class IntensityVersion(VersionHead):
    unit_types: dict[str, UnitTypeTable] = Field(default_factory=dict)
    cooling: Table = Field(default_factory=dict)
    heat_supply: Table | None = None
    heat_supply_coefficient: CitedNumber | None = None  # one coefficient for every fuel
    load_bands: list[LoadBandTable] = Field(default_factory=list)
    pre_allocation_share: CitedNumber
    shortfall_cap_share: CitedNumber


# --- benchmark (an absolute cap, EU style) ----------------------------------------------------


def _step(value: Any) -> Any:
    """`[first year, factor]`, as a user's file may write a reduction step, as a table."""
    if isinstance(value, list) and len(value) == 2:
        return {"from": value[0], "factor": value[1]}
    return value


class ReductionStep(FileModel):
    first: int = Field(alias="from")
    factor: CitedNumber


class CapTable(FileModel):
    start_year: int
    start_cap_t: CitedNumber
    reference_t: CitedNumber
    reduction: Annotated[list[Annotated[ReductionStep, BeforeValidator(_step)]], Field(min_length=1)]
    source: str = ""


class BenchmarkTable(FileModel):
    unit: Text
    allowances_per_unit: CitedNumber
    source: str = ""
    note: str = ""


class FreeAllocation(FileModel):
    clef_exposed: CitedNumber
    clef_not_exposed: CitedNumber
    cscf: CitedNumber


class BenchmarkVersion(VersionHead):
    benchmarks: dict[str, BenchmarkTable] = Field(default_factory=dict)
    free_allocation: FreeAllocation


# --- industry (China's steel, cement and aluminium) --------------------------------------------


class ProductTable(FileModel):
    sector: Text
    unit: Text
    t_co2_per_unit: CitedNumber


class IndustryVersion(VersionHead):
    method: Literal["verified_emissions", "intensity"]
    method_source: Cited | None = None
    products: dict[str, ProductTable] = Field(default_factory=dict)
    equal_to_verified: list[str] = Field(default_factory=list)
    equal_to_verified_source: Cited | None = None
    pre_allocation_share: CitedNumber


class FileHead(FileModel):
    design: Literal["benchmark", "intensity", "industry"] | None = None
    source: str = ""


class VersionedFile(FileHead, Generic[V]):
    versions: Annotated[list[V], Field(min_length=1)]


class IntensityFile(VersionedFile[IntensityVersion]):
    pass


class BenchmarkFile(VersionedFile[BenchmarkVersion]):
    cap: CapTable


class IndustryFile(VersionedFile[IndustryVersion]):
    pass


# --- from validated tables to the domain's rules ------------------------------------------------


def _versions(data: dict[str, Any], file: str, versioned: type[VersionedFile[V]], one: type[V]) -> list[tuple[V, str]]:
    """(version, field prefix) for each version; an unversioned document is one version, beside
    the tables a versioned file keeps at its top (`cap`)."""
    if "versions" in data:
        found = parse_file(versioned, data, file)
        return [(v, f"versions[{i}].") for i, v in enumerate(found.versions)]
    body = {k: v for k, v in data.items() if k not in ("design", "cap")}
    return [(parse_file(one, body, file), "")]


def _begin(v: VersionHead, where: str, r: CitedReader) -> str:
    r.version = (v.id or "unversioned") if where else "unversioned"
    if where and not v.id:
        r.problem("expected a text for 'id'", f"{where}id")
    r.period = v.period()
    r.default_source = v.source
    return r.version


def _value(r: CitedReader, value: Cited | Decimal | None, key: str, where: str, unit: str = "") -> Decimal | Missing:
    if value is None:
        r.problem(f"expected a decimal number for '{key}'", f"{where}{key}")
        return Decimal(0)
    return r.decimal({key: as_written(value)}, key, where, unit=unit)


def _band(b: LoadBandTable, where: str, r: CitedReader) -> LoadBand:
    band = LoadBand(b.lower, b.upper, b.a, b.b, b.pivot, b.kind)
    formula = (
        f"{band.a} ** ({band.pivot} - {band.b} x F)"
        if b.kind == "power"
        else f"{band.a} + {band.b} x ({band.pivot} - 100 F)"
    )
    written = b.model_dump(exclude_unset=True, include={"source", "checked", "checked_in", "note"})
    cited = written if "source" in written else {"source": "user configuration (no citation)"}
    r.cite(cited, where.rstrip("."), f"{band.lower} <= F < {band.upper}: {formula}")
    return band


def _intensity_version(v: IntensityVersion, where: str, r: CitedReader) -> IntensityRules:
    version = _begin(v, where, r)
    unit_types: dict[str, UnitType] = {}
    for code, u in v.unit_types.items():
        at = f"{where}unit_types.{code}."
        electricity = _value(r, u.electricity_t_per_mwh, "electricity_t_per_mwh", at, unit="t CO2/MWh")
        heat = _value(r, u.heat_t_per_gj, "heat_t_per_gj", at, unit="t CO2/GJ")
        label = u.label or u.source or code
        unit_types[code] = UnitType(
            code, electricity, heat, u.obligation, f"{version}: {label}", u.fuel, u.load_correction
        )
    cooling = {k: _value(r, c, k, f"{where}cooling.") for k, c in v.cooling.items()}
    if v.heat_supply is not None:
        heat_supply = {k: _value(r, c, k, f"{where}heat_supply.") for k, c in v.heat_supply.items()}
    else:  # an unversioned file with one coefficient for every fuel
        one = _value(r, v.heat_supply_coefficient, "heat_supply_coefficient", where)
        heat_supply = dict.fromkeys(FUELS, one)
    bands = tuple(_band(b, f"{where}load_bands[{i}].", r) for i, b in enumerate(v.load_bands))
    if not v.source:
        r.problem("expected a text for 'source'", f"{where}source")
    return IntensityRules(
        unit_types,
        cooling,
        heat_supply,
        bands,
        _value(r, v.pre_allocation_share, "pre_allocation_share", where),
        _value(r, v.shortfall_cap_share, "shortfall_cap_share", where),
        v.source,
        version,
        r.period,
    )


def parse_intensity_config(data: dict[str, Any], *, file: str, family: str = "allocation") -> IntensityConfig:
    r = CitedReader(file, family)
    found = _versions(data, file, IntensityFile, IntensityVersion)
    versions = tuple(_intensity_version(v, where, r) for v, where in found)
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return IntensityConfig(versions, tuple(r.entries))


def parse_intensity_rules(data: dict[str, Any], *, file: str, year: int | None = None) -> IntensityRules:
    """The intensity rules in force for `year` (the latest version without a year)."""
    return parse_intensity_config(data, file=file).for_year(year)


def _cap(cap: CapTable, r: CitedReader) -> LinearCap:
    r.version, r.default_source = "cap", cap.source
    steps: list[tuple[int, Decimal]] = []
    for i, step in enumerate(cap.reduction):
        factor = _value(r, step.factor, "factor", f"cap.reduction[{i}].")
        if isinstance(factor, Missing):
            r.problem("expected a first year and a configured factor", f"cap.reduction[{i}]")
            continue
        steps.append((step.first, factor))
    for key, value in (("start_cap_t", cap.start_cap_t), ("reference_t", cap.reference_t)):
        if isinstance(value, Cited):
            r.cite(value.model_dump(exclude_unset=True), f"cap.{key}", str(value.value or ""), "t")
    start, reference = (v.value if isinstance(v, Cited) else v for v in (cap.start_cap_t, cap.reference_t))
    return LinearCap(cap.start_year, int(start or 0), int(reference or 0), tuple(steps))


def _benchmark_version(v: BenchmarkVersion, where: str, r: CitedReader) -> BenchmarkRules:
    version = _begin(v, where, r)
    benchmarks = {}
    for product, b in v.benchmarks.items():
        at = f"{where}benchmarks.{product}."
        per_unit = b.allowances_per_unit
        cited_source = per_unit.source if isinstance(per_unit, Cited) else ""
        benchmarks[product] = ProductBenchmark(
            product,
            _value(r, per_unit, "allowances_per_unit", at, unit=b.unit),
            b.unit,
            cited_source or b.source or v.source,
        )
    free, at = v.free_allocation, f"{where}free_allocation."
    return BenchmarkRules(
        benchmarks,
        _value(r, free.clef_exposed, "clef_exposed", at),
        _value(r, free.clef_not_exposed, "clef_not_exposed", at),
        _value(r, free.cscf, "cscf", at),
        version,
        r.period,
    )


def parse_benchmark_config(data: dict[str, Any], *, file: str, family: str = "allocation") -> BenchmarkConfig:
    r = CitedReader(file, family)
    if "versions" in data:
        cap = _cap(parse_file(BenchmarkFile, data, file).cap, r)
    else:
        cap = _cap(parse_file(CapTable, data.get("cap", {}), file, prefix="cap."), r)
    versions = tuple(
        _benchmark_version(v, where, r) for v, where in _versions(data, file, BenchmarkFile, BenchmarkVersion)
    )
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return BenchmarkConfig(cap, versions, tuple(r.entries))


def parse_benchmark_rules(
    data: dict[str, Any], *, file: str, year: int | None = None
) -> tuple[LinearCap, BenchmarkRules]:
    """The cap and the benchmark rules in force for `year` (the latest version without a year)."""
    config = parse_benchmark_config(data, file=file)
    return config.cap, config.for_year(year)


def _industry_version(v: IndustryVersion, where: str, r: CitedReader) -> IndustryRules:
    version = _begin(v, where, r)
    products = {}
    for code, p in v.products.items():
        at = f"{where}products.{code}."
        per_unit = _value(r, p.t_co2_per_unit, "t_co2_per_unit", at, unit=f"t CO2/{p.unit}")
        products[code] = Product(code, p.sector, per_unit, p.unit, version)
    if v.equal_to_verified_source is not None:
        r.cite(
            v.equal_to_verified_source.model_dump(exclude_unset=True),
            f"{where}equal_to_verified",
            ", ".join(v.equal_to_verified),
        )
    if v.method_source is not None:
        r.cite(v.method_source.model_dump(exclude_unset=True), f"{where}method", v.method)
    if not v.source:
        r.problem("expected a text for 'source'", f"{where}source")
    return IndustryRules(
        v.method,
        products,
        frozenset(v.equal_to_verified),
        _value(r, v.pre_allocation_share, "pre_allocation_share", where),
        v.source,
        version,
        r.period,
    )


def parse_industry_config(data: dict[str, Any], *, file: str, family: str = "allocation") -> IndustryConfig:
    r = CitedReader(file, family)
    versions = tuple(
        _industry_version(v, where, r) for v, where in _versions(data, file, IndustryFile, IndustryVersion)
    )
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return IndustryConfig(versions, tuple(r.entries))


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


def benchmark_config(jurisdiction: Jurisdiction, year: int | None = None) -> tuple[LinearCap, BenchmarkRules]:
    """The jurisdiction's cap and the benchmark rules in force for `year` (the latest version
    without a year); RuleViolation for a jurisdiction that allocates by intensity."""
    design = jurisdiction.allocation
    if not isinstance(design, BenchmarkDesign):
        message = f"{jurisdiction.code} allocates by intensity: it has no absolute cap"
        raise RuleViolation("intensity_cap", message)
    return design.cap, design.rules(year)
