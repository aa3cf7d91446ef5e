"""Parse allocation configuration (a parsed TOML document) into frozen rule objects, one per
version in force for a period of years, with the provenance of every value.

A document either lists `[[versions]]` (each with `id`, `years = [first, last]`, `source` and its
rules) or is one unversioned rule set (a user's override file), in force for every year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonbridge.domain.allocation.benchmark import BenchmarkRules, ProductBenchmark
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.industry import METHODS, IndustryRules, Product
from carbonbridge.domain.allocation.intensity import IntensityRules, LoadBand, UnitType
from carbonbridge.domain.provenance import CitedReader, Provenance, check_periods, in_force

OBLIGATIONS = ("capped_at_allocation", "shortfall_cap", "full")
FUELS = ("coal", "gas")


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


def _versions(data: Mapping[str, Any], r: CitedReader) -> list[tuple[Mapping[str, Any], str]]:
    """(version table, field prefix) for each version; an unversioned document is one version."""
    raw = data.get("versions")
    if raw is None:
        return [(data, "")]
    if not isinstance(raw, list) or not raw or not all(isinstance(v, Mapping) for v in raw):
        r.problem("expected [[versions]] tables", "versions")
        return []
    return [(v, f"versions[{i}].") for i, v in enumerate(raw)]


def _begin(v: Mapping[str, Any], where: str, r: CitedReader, default_id: str) -> str:
    r.version = str(v.get("id", default_id)) if where else default_id
    if where and not v.get("id"):
        r.problem("expected a text for 'id'", f"{where}id")
    r.period = r.period_of(v, where)
    r.default_source = str(v.get("source", ""))
    return r.version


def _bool(v: Mapping[str, Any], key: str, where: str, r: CitedReader) -> bool:
    value = v.get(key, False)
    if not isinstance(value, bool):
        r.problem(f"'{key}' must be true or false", f"{where}{key}")
        return False
    return value


def _band(b: Mapping[str, Any], where: str, r: CitedReader) -> LoadBand:
    def number(key: str) -> Decimal:
        try:
            return Decimal(str(b[key]))
        except (KeyError, InvalidOperation):
            r.problem(f"expected a decimal number for '{key}'", f"{where}{key}")
            return Decimal(0)

    kind = str(b.get("kind", "linear"))
    if kind not in ("linear", "power"):
        r.problem("expected kind linear or power", f"{where}kind")
    band = LoadBand(number("lower"), number("upper"), number("a"), number("b"), number("pivot"), kind)
    formula = (
        f"{band.a} ** ({band.pivot} - {band.b} x F)"
        if kind == "power"
        else f"{band.a} + {band.b} x ({band.pivot} - 100 F)"
    )
    cited = b if "source" in b else {"source": "user configuration (no citation)"}
    r.cite(cited, where.rstrip("."), f"{band.lower} <= F < {band.upper}: {formula}")
    return band


def _intensity_version(v: Mapping[str, Any], where: str, r: CitedReader) -> IntensityRules:
    version = _begin(v, where, r, "unversioned")
    unit_types: dict[str, UnitType] = {}
    for code, u in dict(v.get("unit_types", {})).items():
        at = f"{where}unit_types.{code}."
        fuel = str(u.get("fuel", "coal"))
        if fuel not in FUELS:
            r.problem(f"fuel must be one of {', '.join(FUELS)}", f"{at}fuel")
        obligation = r.text(u, "obligation", at)
        if obligation and obligation not in OBLIGATIONS:
            r.problem("obligation must be capped_at_allocation, shortfall_cap or full", f"{at}obligation")
        electricity = r.decimal(u, "electricity_t_per_mwh", at, unit="t CO2/MWh")
        heat = r.decimal(u, "heat_t_per_gj", at, unit="t CO2/GJ")
        label = str(u.get("label") or u.get("source") or code)
        unit_types[code] = UnitType(
            code, electricity, heat, obligation, f"{version}: {label}", fuel, _bool(u, "load_correction", at, r)
        )
    cooling = {k: r.decimal(v["cooling"], k, f"{where}cooling.") for k in dict(v.get("cooling", {}))}
    if "heat_supply" in v:
        heat_supply = {k: r.decimal(v["heat_supply"], k, f"{where}heat_supply.") for k in dict(v["heat_supply"])}
    else:  # an unversioned file with one coefficient for every fuel
        one = r.decimal(v, "heat_supply_coefficient", where)
        heat_supply = dict.fromkeys(FUELS, one)
    bands = tuple(_band(b, f"{where}load_bands[{i}].", r) for i, b in enumerate(v.get("load_bands", [])))
    return IntensityRules(
        unit_types,
        cooling,
        heat_supply,
        bands,
        r.decimal(v, "pre_allocation_share", where),
        r.decimal(v, "shortfall_cap_share", where),
        r.text(v, "source", where),
        version,
        r.period,
    )


def parse_intensity_config(data: Mapping[str, Any], *, file: str, family: str = "allocation") -> IntensityConfig:
    r = CitedReader(file, family)
    versions = tuple(_intensity_version(v, where, r) for v, where in _versions(data, r))
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return IntensityConfig(versions, tuple(r.entries))


def parse_intensity_rules(data: Mapping[str, Any], *, file: str, year: int | None = None) -> IntensityRules:
    """The intensity rules in force for `year` (the latest version without a year)."""
    return parse_intensity_config(data, file=file).for_year(year)


def _cap(data: Mapping[str, Any], r: CitedReader) -> LinearCap:
    cap_data = dict(data.get("cap", {}))
    r.version, r.default_source = "cap", str(cap_data.get("source", ""))
    steps: list[tuple[int, Decimal]] = []
    for i, step in enumerate(cap_data.get("reduction", [])):
        if isinstance(step, Mapping):  # { from = 2026, factor = { value = ..., source = ... } }
            first = step.get("from")
            factor = r.decimal(step, "factor", f"cap.reduction[{i}].")
        else:  # [first year, factor], as a user's file may write it
            first, raw = [*list(step), None, None][:2]
            factor = r.decimal({"factor": raw}, "factor", f"cap.reduction[{i}].")
        if not isinstance(first, int) or not isinstance(factor, Decimal):
            r.problem("expected a first year and a configured factor", f"cap.reduction[{i}]")
            continue
        steps.append((first, factor))
    for key in ("start_cap_t", "reference_t"):
        value = cap_data.get(key)
        if isinstance(value, Mapping):
            r.cite(value, f"cap.{key}", str(value.get("value", "")), "t")
    cap = LinearCap(
        int(cap_data.get("start_year", 0)),
        int(_plain(cap_data.get("start_cap_t", 0))),
        int(_plain(cap_data.get("reference_t", 0))),
        tuple(steps),
    )
    if not cap.start_year or not steps:
        r.problem("cap needs start_year and reduction", "cap")
    return cap


def _plain(value: Any) -> Any:
    return value.get("value", 0) if isinstance(value, Mapping) else value


def _benchmark_version(v: Mapping[str, Any], where: str, r: CitedReader) -> BenchmarkRules:
    version = _begin(v, where, r, "unversioned")
    free = dict(v.get("free_allocation", {}))
    benchmarks = {
        product: ProductBenchmark(
            product,
            r.decimal(b, "allowances_per_unit", f"{where}benchmarks.{product}.", unit=str(b.get("unit", ""))),
            r.text(b, "unit", f"{where}benchmarks.{product}."),
            _source_of(b, v),
        )
        for product, b in dict(v.get("benchmarks", {})).items()
    }
    return BenchmarkRules(
        benchmarks,
        r.decimal(free, "clef_exposed", f"{where}free_allocation."),
        r.decimal(free, "clef_not_exposed", f"{where}free_allocation."),
        r.decimal(free, "cscf", f"{where}free_allocation."),
        version,
        r.period,
    )


def _source_of(entry: Mapping[str, Any], version: Mapping[str, Any]) -> str:
    value = entry.get("allowances_per_unit")
    if isinstance(value, Mapping) and value.get("source"):
        return str(value["source"])
    return str(entry.get("source") or version.get("source") or "")


def parse_benchmark_config(data: Mapping[str, Any], *, file: str, family: str = "allocation") -> BenchmarkConfig:
    r = CitedReader(file, family)
    cap = _cap(data, r)
    versions = tuple(_benchmark_version(v, where, r) for v, where in _versions(data, r))
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return BenchmarkConfig(cap, versions, tuple(r.entries))


def parse_benchmark_rules(
    data: Mapping[str, Any], *, file: str, year: int | None = None
) -> tuple[LinearCap, BenchmarkRules]:
    """The cap and the benchmark rules in force for `year` (the latest version without a year)."""
    config = parse_benchmark_config(data, file=file)
    return config.cap, config.for_year(year)


def _industry_version(v: Mapping[str, Any], where: str, r: CitedReader) -> IndustryRules:
    version = _begin(v, where, r, "unversioned")
    method = r.text(v, "method", where)
    if method and method not in METHODS:
        r.problem(f"method must be one of {', '.join(METHODS)}", f"{where}method")
    products = {}
    for code, p in dict(v.get("products", {})).items():
        at = f"{where}products.{code}."
        unit = r.text(p, "unit", at)
        products[code] = Product(
            code, r.text(p, "sector", at), r.decimal(p, "t_co2_per_unit", at, unit=f"t CO2/{unit}"), unit, version
        )
    equal = v.get("equal_to_verified", [])
    if not isinstance(equal, list) or not all(isinstance(k, str) for k in equal):
        r.problem("expected a list of line kinds", f"{where}equal_to_verified")
        equal = []
    if "equal_to_verified_source" in v:
        r.cite(v["equal_to_verified_source"], f"{where}equal_to_verified", ", ".join(equal))
    if isinstance(v.get("method_source"), Mapping):
        r.cite(v["method_source"], f"{where}method", method)
    return IndustryRules(
        method,
        products,
        frozenset(equal),
        r.decimal(v, "pre_allocation_share", where),
        r.text(v, "source", where),
        version,
        r.period,
    )


def parse_industry_config(data: Mapping[str, Any], *, file: str, family: str = "allocation") -> IndustryConfig:
    r = CitedReader(file, family)
    versions = tuple(_industry_version(v, where, r) for v, where in _versions(data, r))
    check_periods([(v.version, v.period) for v in versions], r)
    r.done()
    return IndustryConfig(versions, tuple(r.entries))
