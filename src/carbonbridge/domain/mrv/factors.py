"""Method packs: versioned, cited factor tables, and the rule that picks one factor.

A pack row names an activity (or `group:<fuel group>`), a sector and technology (`*` for
any), a parameter (ncv, ef, carbon_content, oxidation_factor, fuel_requirement), a gas for
emission factors, a value with its unit, optional validity years (the data years a guideline
revision or notice applies to) and its source; `checked` is true only with `checked_in`, where the
value was read. A record's year picks the row in force, and the result's `factor_source` names
the row's `ref`. Values are converted to canonical units once, when the pack is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from carbonbridge.domain.errors import Problem, UnknownFactor, ValidationFailed
from carbonbridge.domain.units import Dimension, UnitError, ratio_to_canonical

ANY = "*"
PARAMETERS = ("ncv", "ef", "carbon_content", "oxidation_factor", "fuel_requirement")
GASES = ("CO2", "CH4", "N2O")


class ActivityKind(StrEnum):
    FUEL = "fuel"
    PRODUCT = "product"
    CARBON_IN = "carbon_in"
    CARBON_OUT = "carbon_out"


@dataclass(frozen=True, slots=True)
class Activity:
    code: str
    kind: ActivityKind
    label: str
    fuel_group: str = ""
    ipcc_category: str = ""
    technologies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Factor:
    """A factor in canonical units with what it applies per (`per`: mass, volume or energy)."""

    value: float
    per: Dimension | None
    source: str
    unit: str
    raw_value: float
    ref: str = ""
    checked: bool = False
    checked_in: str = ""


@dataclass(frozen=True, slots=True)
class FactorRow:
    activity: str
    sector: str
    technology: str
    parameter: str
    gas: str
    factor: Factor
    valid_from: int | None = None
    valid_to: int | None = None

    def applies(self, activity: Activity, sector: str, technology: str, year: int | None) -> bool:
        if self.activity not in (activity.code, f"group:{activity.fuel_group}", f"group:{activity.kind.value}"):
            return False
        if self.sector not in (ANY, sector) or self.technology not in (ANY, technology):
            return False
        if year is None:
            return self.valid_to is None
        return (self.valid_from is None or year >= self.valid_from) and (self.valid_to is None or year <= self.valid_to)

    def specificity(self) -> tuple[int, int, int]:
        return (
            0 if self.activity.startswith("group:") else 1,
            0 if self.sector == ANY else 1,
            0 if self.technology == ANY else 1,
        )


def canonical_factor(
    parameter: str, value: float, unit: str, source: str = "site-specific", ref: str = "site"
) -> Factor:
    """Convert a factor to canonical units; UnitError if its unit does not fit the parameter."""
    _, factor_dim, scale = canonical_scale(parameter, unit)
    return Factor(value * scale, factor_dim, source, unit, value, ref)


@cache
def canonical_scale(parameter: str, unit: str) -> tuple[Dimension | None, Dimension | None, float]:
    """(numerator dimension, 'per' dimension, scale to canonical) for a factor unit."""
    if parameter == "oxidation_factor":
        if unit.strip() in ("1", "", "fraction"):
            return None, None, 1.0
        if unit.strip() == "%":
            return None, None, 0.01
        raise UnitError(f"oxidation factor unit must be '1' or '%', got {unit!r}")
    if parameter == "carbon_content" and unit.strip() in ("%", "% C", "%C"):
        return Dimension.MASS, Dimension.MASS, 0.01
    top, bottom, scale = ratio_to_canonical(unit)
    expected_top = {
        "ncv": Dimension.ENERGY,
        "fuel_requirement": Dimension.ENERGY,
        "ef": Dimension.MASS,
        "carbon_content": Dimension.MASS,
    }[parameter]
    if top is not expected_top:
        raise UnitError(f"{parameter} unit {unit!r} must be {expected_top.value} per unit")
    if parameter in ("ncv", "fuel_requirement") and bottom is Dimension.ENERGY:
        raise UnitError(f"{parameter} unit {unit!r} must be energy per mass or per volume")
    return top, bottom, scale


@dataclass(frozen=True)
class MethodPack:
    """A named, versioned, cited set of factor rows and the activities they cover."""

    name: str
    title: str
    edition: str
    activities: Mapping[str, Activity]
    rows: tuple[FactorRow, ...]
    _index: dict[tuple[str, str], list[FactorRow]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for row in self.rows:
            self._index.setdefault((row.parameter, row.gas), []).append(row)

    def activity(self, code: str) -> Activity:
        try:
            return self.activities[code]
        except KeyError:
            raise UnknownFactor(
                f"unknown activity {code!r}; expected one of {', '.join(sorted(self.activities))}"
            ) from None

    def find(
        self,
        activity: Activity,
        parameter: str,
        *,
        gas: str = "",
        sector: str = "",
        technology: str = "",
        year: int | None = None,
    ) -> Factor | None:
        """The most specific applicable row's factor (exact activity > group; exact sector and
        technology > `*`), or None if the pack has none."""
        candidates = [
            row for row in self._index.get((parameter, gas), ()) if row.applies(activity, sector, technology, year)
        ]
        if not candidates:
            return None
        return max(candidates, key=FactorRow.specificity).factor

    def require(self, activity: Activity, parameter: str, **where: object) -> Factor:
        found = self.find(activity, parameter, **where)  # type: ignore[arg-type]
        if found is None:
            gas = where.get("gas") or ""
            scope = ", ".join(f"{k}={v}" for k, v in where.items() if v not in (None, "") and k != "gas")
            raise UnknownFactor(
                f"method pack {self.name} has no {parameter}{' ' + str(gas) if gas else ''} "
                f"for {activity.code}" + (f" ({scope})" if scope else "")
            )
        return found


def build_pack(
    meta: Mapping[str, str],
    activities: Iterable[Activity],
    raw_rows: Iterable[Mapping[str, str]],
    *,
    file: str = "<pack>",
) -> MethodPack:
    """Build a pack from raw table rows, collecting every bad row (line numbers from 2)."""
    catalogue = {a.code: a for a in activities}
    groups = {f"group:{a.fuel_group}" for a in catalogue.values() if a.fuel_group}
    groups |= {f"group:{kind.value}" for kind in ActivityKind}
    rows: list[FactorRow] = []
    problems: list[Problem] = []
    for line, raw in enumerate(raw_rows, start=2):
        try:
            rows.append(_row(raw, catalogue, groups))
        except (ValueError, UnitError) as exc:
            problems.append(Problem(str(exc), file=file, line=line))
    problems += _overlapping_periods(rows, file)
    if problems:
        raise ValidationFailed(problems)
    return MethodPack(meta["name"], meta.get("title", ""), meta.get("edition", ""), catalogue, tuple(rows))


def _overlapping_periods(rows: list[FactorRow], file: str) -> list[Problem]:
    """Rows for the same activity, scope, parameter and gas must not be in force in the same year:
    a record's year picks exactly one (a guideline revision replaces, it does not add)."""
    seen: dict[tuple[str, str, str, str, str], list[tuple[int, FactorRow]]] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        key = (row.activity, row.sector, row.technology, row.parameter, row.gas)
        low, high = row.valid_from or -(10**6), row.valid_to or 10**6
        for other_line, other in seen.get(key, []):
            if low <= (other.valid_to or 10**6) and (other.valid_from or -(10**6)) <= high:
                problems.append(Problem(f"in force in the same years as line {other_line}", file=file, line=line))
        seen.setdefault(key, []).append((line, row))
    return problems


def _row(raw: Mapping[str, str], catalogue: Mapping[str, Activity], groups: set[str]) -> FactorRow:
    activity = raw["activity"].strip()
    if activity not in catalogue and activity not in groups:
        raise ValueError(f"unknown activity {activity!r}")
    parameter = raw["parameter"].strip()
    if parameter not in PARAMETERS:
        raise ValueError(f"unknown parameter {parameter!r}; expected one of {', '.join(PARAMETERS)}")
    gas = (raw.get("gas") or "").strip()
    if (parameter == "ef") != bool(gas) or (gas and gas not in GASES):
        raise ValueError(f"parameter {parameter!r} with gas {gas!r}: ef needs one of {GASES}")
    source = (raw.get("source") or "").strip()
    ref = (raw.get("ref") or "").strip()
    if not source or not ref:
        raise ValueError("every factor must cite its source (columns ref and source)")
    value = float(raw["value"])
    checked_text = (raw.get("checked") or "").strip().lower()
    if checked_text not in ("", "true", "false"):
        raise ValueError(f"checked must be true or false, got {checked_text!r}")
    checked_in = (raw.get("checked_in") or "").strip()
    if checked_text == "true" and not checked_in:
        raise ValueError("a checked factor must cite where it was read (column checked_in)")
    factor = canonical_factor(parameter, value, raw["unit"], source, ref)
    factor = Factor(
        factor.value, factor.per, factor.source, factor.unit, factor.raw_value, ref, checked_text == "true", checked_in
    )
    return FactorRow(
        activity=activity,
        sector=(raw.get("sector") or ANY).strip(),
        technology=(raw.get("technology") or ANY).strip(),
        parameter=parameter,
        gas=gas,
        factor=factor,
        valid_from=int(raw["valid_from"]) if (raw.get("valid_from") or "").strip() else None,
        valid_to=int(raw["valid_to"]) if (raw.get("valid_to") or "").strip() else None,
    )
