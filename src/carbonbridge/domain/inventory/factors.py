"""Default factor tables of the inventory (livestock, soils, transport non-CO2, waste), each
value with the unit its parameter requires and the source it comes from.

Fuel NCVs, CO2 factors, stationary CH4/N2O and the IPPU defaults come from the MRV method
pack (`data/packs/ipcc2006`) and are not repeated here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, UnknownFactor, ValidationFailed

# parameter -> the one unit its values are stated in (no silent conversion).
PARAMETER_UNITS: dict[str, str] = {
    "enteric_ef": "kg CH4/head/yr",
    "manure_ch4_ef": "kg CH4/head/yr",
    "n_excretion_rate": "kg N/(1000 kg animal mass)/day",
    "typical_animal_mass": "kg",
    "manure_ef3": "kg N2O-N/kg N",
    "soil_ef1": "kg N2O-N/kg N",
    "soil_ef3_prp": "kg N2O-N/kg N",
    "mobile_ch4_ef": "kg CH4/TJ",
    "mobile_n2o_ef": "kg N2O/TJ",
    "swds_doc": "fraction",
    "swds_k": "1/yr",
    "swds_mcf": "fraction",
    "swds_docf": "fraction",
    "swds_f": "fraction",
    "swds_ox": "fraction",
    "ww_bod": "g BOD/person/day",
    "ww_bo": "kg CH4/kg BOD",
    "ww_mcf": "fraction",
    "ww_i": "fraction",
    "ww_f_npr": "kg N/kg protein",
    "ww_f_non_con": "fraction",
    "ww_f_ind_com": "fraction",
    "ww_ef_effluent": "kg N2O-N/kg N",
}


@dataclass(frozen=True, slots=True)
class DefaultFactor:
    parameter: str
    key: str
    value: float
    unit: str
    ref: str
    source: str

    def cite(self) -> str:
        return f"{self.parameter}[{self.key}]={self.value:g} {self.unit} ({self.ref})"


@dataclass(frozen=True)
class FactorTable:
    """Default factors by (parameter, key); a user table can override any row."""

    rows: Mapping[tuple[str, str], DefaultFactor]

    def get(self, parameter: str, key: str) -> DefaultFactor:
        try:
            return self.rows[(parameter, key)]
        except KeyError:
            keys = sorted(k for p, k in self.rows if p == parameter)
            raise UnknownFactor(
                f"no default {parameter} for {key!r}; the table has: {', '.join(keys) or 'none'}"
            ) from None

    def value(self, parameter: str, key: str) -> float:
        return self.get(parameter, key).value

    def keys(self, parameter: str) -> list[str]:
        return sorted(k for p, k in self.rows if p == parameter)

    def overridden(self, other: FactorTable) -> FactorTable:
        return FactorTable({**self.rows, **other.rows})


def build_table(raw_rows: Iterable[Mapping[str, str]], *, file: str = "<factors>") -> FactorTable:
    """Parse table rows (parameter,key,value,unit,ref,source); every bad row is reported, lines from 2."""
    rows: dict[tuple[str, str], DefaultFactor] = {}
    problems: list[Problem] = []
    for line, raw in enumerate(raw_rows, start=2):
        parameter = (raw.get("parameter") or "").strip()
        key = (raw.get("key") or "").strip()
        unit = (raw.get("unit") or "").strip()
        ref, source = (raw.get("ref") or "").strip(), (raw.get("source") or "").strip()
        if parameter not in PARAMETER_UNITS:
            problems.append(Problem(f"unknown parameter {parameter!r}", file=file, line=line, field="parameter"))
            continue
        if unit != PARAMETER_UNITS[parameter]:
            problems.append(
                Problem(f"{parameter} must be in {PARAMETER_UNITS[parameter]!r}, got {unit!r}", file=file, line=line)
            )
            continue
        if not ref or not source:
            problems.append(Problem("every factor must cite its source (ref and source)", file=file, line=line))
            continue
        try:
            value = float(raw.get("value") or "")
        except ValueError:
            problems.append(Problem(f"value {raw.get('value')!r} is not a number", file=file, line=line))
            continue
        if not key or (parameter, key) in rows:
            problems.append(Problem(f"missing or duplicate key {key!r} for {parameter}", file=file, line=line))
            continue
        rows[(parameter, key)] = DefaultFactor(parameter, key, value, unit, ref, source)
    if problems:
        raise ValidationFailed(problems)
    return FactorTable(rows)
