"""Parse allocation configuration (a parsed TOML document) into the frozen rule objects."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonbridge.domain.allocation.benchmark import BenchmarkRules, ProductBenchmark
from carbonbridge.domain.allocation.cap import LinearCap
from carbonbridge.domain.allocation.intensity import IntensityRules, LoadBand, UnitType
from carbonbridge.domain.errors import Problem, ValidationFailed


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def decimal(self, data: Mapping[str, Any], key: str, where: str) -> Decimal:
        try:
            return Decimal(str(data[key]))
        except (KeyError, InvalidOperation):
            self.problems.append(Problem(f"expected a decimal number for '{key}'", self.file, field=f"{where}{key}"))
            return Decimal(0)

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            self.problems.append(Problem(f"expected a text for '{key}'", self.file, field=f"{where}{key}"))
            return ""
        return value

    def done(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


def parse_intensity_rules(data: Mapping[str, Any], *, file: str) -> IntensityRules:
    r = _Reader(file)
    unit_types = {
        code: UnitType(
            code,
            r.decimal(u, "electricity_t_per_mwh", f"unit_types.{code}."),
            r.decimal(u, "heat_t_per_gj", f"unit_types.{code}."),
            r.text(u, "obligation", f"unit_types.{code}."),
            r.text(u, "source", f"unit_types.{code}."),
        )
        for code, u in dict(data.get("unit_types", {})).items()
    }
    bands = tuple(
        LoadBand(*(r.decimal(b, k, f"load_bands[{i}].") for k in ("lower", "upper", "a", "b", "pivot")))
        for i, b in enumerate(data.get("load_bands", []))
    )
    cooling = {k: r.decimal(data["cooling"], k, "cooling.") for k in dict(data.get("cooling", {}))}
    rules = IntensityRules(
        unit_types,
        cooling,
        r.decimal(data, "heat_supply_coefficient", ""),
        bands,
        r.decimal(data, "pre_allocation_share", ""),
        r.decimal(data, "shortfall_cap_share", ""),
        r.text(data, "source", ""),
    )
    for code, unit_type in unit_types.items():
        if unit_type.obligation not in ("capped_at_allocation", "shortfall_cap", "full"):
            r.problems.append(
                Problem(
                    "obligation must be capped_at_allocation, shortfall_cap or full",
                    file,
                    field=f"unit_types.{code}.obligation",
                )
            )
    r.done()
    return rules


def parse_benchmark_rules(data: Mapping[str, Any], *, file: str) -> tuple[LinearCap, BenchmarkRules]:
    r = _Reader(file)
    cap_data = dict(data.get("cap", {}))
    reduction = tuple((int(first), Decimal(str(lrf))) for first, lrf in cap_data.get("reduction", []))
    cap = LinearCap(
        int(cap_data.get("start_year", 0)),
        int(cap_data.get("start_cap_t", 0)),
        int(cap_data.get("reference_t", 0)),
        reduction,
    )
    free = dict(data.get("free_allocation", {}))
    benchmarks = {
        product: ProductBenchmark(
            product,
            r.decimal(b, "allowances_per_unit", f"benchmarks.{product}."),
            r.text(b, "unit", f"benchmarks.{product}."),
            r.text(b, "source", f"benchmarks.{product}."),
        )
        for product, b in dict(data.get("benchmarks", {})).items()
    }
    rules = BenchmarkRules(
        benchmarks,
        r.decimal(free, "clef_exposed", "free_allocation."),
        r.decimal(free, "clef_not_exposed", "free_allocation."),
        r.decimal(free, "cscf", "free_allocation."),
    )
    if not cap.start_year or not reduction:
        r.problems.append(Problem("cap needs start_year and reduction", file, field="cap"))
    r.done()
    return cap, rules
