"""Calculation-based and mass-balance emissions (EU MRR Arts. 24-25; IPCC 2006 Vol 2 Eq 2.1).

Every record is reduced to a *plan* that depends only on its categorical fields (activity,
sector, technology, year, units, which site-specific values it carries). A plan fixes, per
gas, whether the factor applies to energy or to the canonical quantity, and the default
coefficient. The per-record path below and the columnar path in `bulk.py` evaluate the same
plan with the same operations in the same order, so their floats are bit-identical:

    q_c    = quantity * unit_factor                       (t, m3 or TJ)
    energy = q_c * energy_per_unit                        (TJ; NCV or fuel requirement)
    gas_t  = (energy or q_c) * coefficient [* oxidation]  (oxidation applies to CO2 only)
    co2e_t = co2_t + ch4_t * GWP_CH4 + n2o_t * GWP_N2O

Calculation-based: CO2 = AD x NCV x EF x OF (EU MRR Art. 24(1), Annex II 2).
Mass balance: CO2 = sum(AD_in x CC) - sum(AD_out x CC), times 44/12 (EU MRR Art. 25).
"""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.errors import UnknownFactor, one_of
from carbonbridge.domain.gwp import gwp
from carbonbridge.domain.mrv.factors import (
    Activity,
    ActivityKind,
    Factor,
    MethodPack,
    canonical_scale,
)
from carbonbridge.domain.mrv.records import SECTORS, ActivityRecord, EmissionResult
from carbonbridge.domain.units import Dimension, UnitError, to_canonical

# Molar mass ratio CO2/C (44.0095/12.0107 rounded as in EU MRR Annex II and IPCC 2006).
C_TO_CO2 = 44.0 / 12.0
GASES = ("CO2", "CH4", "N2O")


@dataclass(frozen=True, slots=True)
class PlanKey:
    """The categorical part of a record: everything a plan depends on."""

    activity: str
    unit: str
    sector: str = ""
    technology: str = ""
    year: int | None = None
    ncv_unit: str = ""
    ef_unit: str = ""
    carbon_content_unit: str = ""
    has_ncv: bool = False
    has_ef: bool = False
    has_oxidation: bool = False
    has_carbon_content: bool = False

    @classmethod
    def of(cls, record: ActivityRecord) -> PlanKey:
        return cls(
            activity=record.activity,
            unit=record.unit,
            sector=record.sector,
            technology=record.technology,
            year=record.year,
            ncv_unit=record.ncv_unit if record.ncv is not None else "",
            ef_unit=record.ef_unit if record.emission_factor is not None else "",
            carbon_content_unit=record.carbon_content_unit if record.carbon_content is not None else "",
            has_ncv=record.ncv is not None,
            has_ef=record.emission_factor is not None,
            has_oxidation=record.oxidation_factor is not None,
            has_carbon_content=record.carbon_content is not None,
        )


@dataclass(frozen=True, slots=True)
class GasTerm:
    """How one gas is computed: on energy or on quantity, with a default coefficient or a
    per-record override (`override` names the record field, `override_scale` its scale)."""

    on_energy: bool
    coefficient: float = 0.0
    override: str = ""
    override_scale: float = 1.0


@dataclass(frozen=True, slots=True)
class CalcPlan:
    method: str
    unit_factor: float
    energy_per_unit: float  # TJ per canonical unit; 1.0 when the quantity is energy
    ncv_scale: float  # record ncv -> TJ per canonical unit, when the record has an ncv
    oxidation: float  # default oxidation factor (1.0 where none applies)
    terms: tuple[GasTerm, GasTerm, GasTerm]  # CO2, CH4, N2O
    factor_source: str


@dataclass(frozen=True, slots=True)
class PlanProblem:
    """A problem with a record's categorical fields, pinned to the field that causes it."""

    field: str
    message: str
    expected: str | None = None  # what the field should hold (Problem.expected)


class PlanRejected(Exception):
    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def _gas_of_unit(unit: str) -> str:
    top = unit.split("/", 1)[0].strip()
    for gas in ("CH4", "N2O"):
        if gas in top:
            return gas
    return "C" if top.endswith("C") else "CO2"  # 't C/TJ' counts carbon, not CO2


class _Sources:
    """Collects short citations in order, for the `factor_source` column."""

    def __init__(self, pack: str) -> None:
        self.pack = pack
        self.parts: list[str] = []

    def add(self, label: str, factor: Factor | None = None) -> None:
        self.parts.append(f"{label} {factor.ref}" if factor else f"{label} site-specific")

    def render(self) -> str:
        return f"{self.pack}: " + "; ".join(self.parts)


def build_plan(key: PlanKey, pack: MethodPack) -> CalcPlan:
    """Resolve a plan for a record key; PlanRejected lists every problem with its field."""
    problems: list[PlanProblem] = []
    try:
        activity = pack.activity(key.activity)
    except UnknownFactor as exc:
        raise PlanRejected([PlanProblem("activity", str(exc), one_of(sorted(pack.activities)))]) from None
    try:
        dimension, unit_factor = to_canonical(key.unit)
    except UnitError as exc:
        problems.append(PlanProblem("unit", str(exc), "unit of mass, volume or energy"))
        dimension, unit_factor = Dimension.MASS, 1.0
    if key.technology and activity.technologies and key.technology not in activity.technologies:
        problems.append(
            PlanProblem(
                "technology",
                f"unknown technology {key.technology!r} for {activity.code}; expected one of "
                + ", ".join(activity.technologies),
                one_of(activity.technologies),
            )
        )
    if activity.kind is not ActivityKind.FUEL and key.has_ncv:
        problems.append(PlanProblem("ncv", f"ncv does not apply to {activity.code} ({activity.kind.value})"))
    if activity.kind is ActivityKind.FUEL and key.has_ncv and dimension is Dimension.ENERGY:
        # Without this the record's ncv would multiply an energy quantity a second time.
        problems.append(PlanProblem("ncv", f"ncv does not apply: the quantity is already energy ({key.unit})"))
    if activity.kind in (ActivityKind.CARBON_IN, ActivityKind.CARBON_OUT) and key.has_ef:
        problems.append(
            PlanProblem("emission_factor", "mass balance streams take carbon_content, not an emission factor")
        )
    if activity.kind in (ActivityKind.CARBON_IN, ActivityKind.CARBON_OUT) and key.has_oxidation:
        problems.append(
            PlanProblem("oxidation_factor", "mass balance streams take no oxidation factor (EU MRR Art. 25)")
        )
    if problems:
        raise PlanRejected(problems)
    try:
        if activity.kind is ActivityKind.FUEL:
            return _fuel_plan(key, pack, activity, dimension, unit_factor)
        if activity.kind is ActivityKind.PRODUCT:
            return _product_plan(key, pack, activity, dimension, unit_factor)
        return _mass_balance_plan(key, pack, activity, dimension, unit_factor)
    except UnknownFactor as exc:
        field = "technology" if activity.technologies and not key.technology else "activity"
        message, expected = str(exc), one_of(activity.technologies) if field == "technology" else None
        if activity.kind is ActivityKind.FUEL and key.sector not in SECTORS:
            # CH4/N2O factors are per sector (IPCC 2006 Vol 2 Tables 2.2-2.5): point at the sector.
            field, message = "sector", f"{message}; give a sector, one of {', '.join(SECTORS)}"
            expected = one_of(SECTORS)
        raise PlanRejected([PlanProblem(field, message, expected)]) from None


def _where(key: PlanKey) -> dict[str, object]:
    return {"sector": key.sector, "technology": key.technology, "year": key.year}


def _ratio(parameter: str, field: str, unit: str, allowed: set[Dimension]) -> tuple[Dimension | None, float]:
    wanted = " or ".join(sorted(f"per {d.value}" for d in allowed))
    try:
        _, per, scale = canonical_scale(parameter, unit)
    except (UnitError, KeyError) as exc:
        raise PlanRejected([PlanProblem(field, str(exc), f"unit {wanted}")]) from None
    if per not in allowed:
        message = f"unit {unit!r} is per {per.value if per else 'nothing'}; expected {wanted}"
        raise PlanRejected([PlanProblem(field, message, f"unit {wanted}")])
    return per, scale


def _require_mass(key: PlanKey, activity: Activity, dimension: Dimension) -> None:
    if dimension is not Dimension.MASS:
        raise PlanRejected(
            [
                PlanProblem(
                    "unit",
                    f"{activity.code} is measured in mass (t, kt, kg...), got {key.unit!r} ({dimension.value})",
                    "unit of mass: t, kt, kg...",
                )
            ]
        )


def _override_term(key: PlanKey, dimension: Dimension) -> tuple[str, GasTerm]:
    """A site-specific emission factor or carbon content from the record."""
    if key.has_carbon_content:
        if key.has_ef:
            raise PlanRejected(
                [PlanProblem("emission_factor", "give either emission_factor or carbon_content, not both")]
            )
        per, scale = _ratio(
            "carbon_content", "carbon_content_unit", key.carbon_content_unit, {Dimension.ENERGY, dimension}
        )
        return "CO2", GasTerm(per is Dimension.ENERGY, override="carbon_content", override_scale=scale * C_TO_CO2)
    gas = _gas_of_unit(key.ef_unit)
    if gas == "C":  # read as CO2 it would understate emissions by 44/12
        message = f"{key.ef_unit!r} counts carbon: give it as carbon_content and carbon_content_unit"
        raise PlanRejected([PlanProblem("ef_unit", message)])
    per, scale = _ratio("ef", "ef_unit", key.ef_unit, {Dimension.ENERGY, dimension})
    return gas, GasTerm(per is Dimension.ENERGY, override="emission_factor", override_scale=scale)


def _fuel_plan(
    key: PlanKey, pack: MethodPack, activity: Activity, dimension: Dimension, unit_factor: float
) -> CalcPlan:
    sources = _Sources(pack.name)
    energy_per_unit, ncv_scale = 1.0, 1.0
    if dimension is not Dimension.ENERGY:
        if key.has_ncv:
            _, ncv_scale = _ratio("ncv", "ncv_unit", key.ncv_unit, {dimension})
            sources.add("NCV")
        else:
            ncv = pack.find(activity, "ncv", **_where(key))  # type: ignore[arg-type]
            if ncv is None or ncv.per is not dimension:
                raise PlanRejected(
                    [
                        PlanProblem(
                            "ncv",
                            f"method pack {pack.name} has no default NCV for {activity.code} per "
                            f"{dimension.value}; give ncv and ncv_unit (e.g. "
                            f"{'GJ/t' if dimension is Dimension.MASS else 'TJ/million m3'})",
                        )
                    ]
                )
            energy_per_unit = ncv.value
            sources.add("NCV", ncv)
    terms: dict[str, GasTerm] = {}
    if key.has_ef or key.has_carbon_content:
        gas, term = _override_term(key, dimension)
        terms[gas] = term
        sources.add(f"{gas} EF")
    for gas in GASES:
        if gas in terms:
            continue
        ef = pack.find(activity, "ef", gas=gas, **_where(key))  # type: ignore[arg-type]
        if ef is None and gas == "CO2":
            cc = pack.require(activity, "carbon_content", **_where(key))
            terms[gas] = GasTerm(cc.per is Dimension.ENERGY, cc.value * C_TO_CO2)
            sources.add("CC", cc)
            continue
        if ef is None:
            ef = pack.require(activity, "ef", gas=gas, **_where(key))
        terms[gas] = GasTerm(ef.per is Dimension.ENERGY, ef.value)
        sources.add(gas, ef)
    oxidation = 1.0
    if key.has_oxidation:
        sources.add("OF")
    else:
        of = pack.require(activity, "oxidation_factor", **_where(key))
        oxidation = of.value
        sources.add("OF", of)
    return CalcPlan(
        "calculation",
        unit_factor,
        energy_per_unit,
        ncv_scale,
        oxidation,
        (terms["CO2"], terms["CH4"], terms["N2O"]),
        sources.render(),
    )


def _product_plan(
    key: PlanKey, pack: MethodPack, activity: Activity, dimension: Dimension, unit_factor: float
) -> CalcPlan:
    _require_mass(key, activity, dimension)
    sources = _Sources(pack.name)
    terms: dict[str, GasTerm] = {}
    energy_per_unit = 1.0
    if key.has_ef or key.has_carbon_content:
        gas, term = _override_term(key, dimension)
        terms[gas] = term
        sources.add(f"{gas} EF")
    requirement = pack.find(activity, "fuel_requirement", **_where(key))  # type: ignore[arg-type]
    if requirement is not None:  # e.g. ammonia: CO2 = AP x FR x CCF x COF x 44/12 (Vol 3 Eq 3.1)
        energy_per_unit = requirement.value
        sources.add("FR", requirement)
        if "CO2" not in terms:
            cc = pack.require(activity, "carbon_content", **_where(key))
            terms["CO2"] = GasTerm(True, cc.value * C_TO_CO2)
            sources.add("CC", cc)
    for gas in GASES:
        if gas in terms:
            continue
        ef = pack.find(activity, "ef", gas=gas, **_where(key))  # type: ignore[arg-type]
        if ef is not None:
            terms[gas] = GasTerm(ef.per is Dimension.ENERGY, ef.value)
            sources.add(gas, ef)
    if not terms and activity.technologies and not key.technology:
        raise PlanRejected(
            [
                PlanProblem(
                    "technology",
                    f"{activity.code} needs a technology, one of {', '.join(activity.technologies)}",
                    one_of(activity.technologies),
                )
            ]
        )
    if not terms:
        pack.require(activity, "ef", gas="CO2", **_where(key))  # raises with a clear message
    of = pack.find(activity, "oxidation_factor", **_where(key))  # type: ignore[arg-type]
    if of is not None and not key.has_oxidation:
        sources.add("OF", of)
    empty = GasTerm(False, 0.0)
    return CalcPlan(
        "calculation",
        unit_factor,
        energy_per_unit,
        1.0,
        of.value if of else 1.0,
        (terms.get("CO2", empty), terms.get("CH4", empty), terms.get("N2O", empty)),
        sources.render(),
    )


def _mass_balance_plan(
    key: PlanKey, pack: MethodPack, activity: Activity, dimension: Dimension, unit_factor: float
) -> CalcPlan:
    _require_mass(key, activity, dimension)
    if not key.has_carbon_content:
        raise PlanRejected(
            [PlanProblem("carbon_content", "mass balance streams need carbon_content (e.g. 0.85 with unit tC/t)")]
        )
    _, scale = _ratio("carbon_content", "carbon_content_unit", key.carbon_content_unit, {Dimension.MASS})
    sign = -1.0 if activity.kind is ActivityKind.CARBON_OUT else 1.0
    co2 = GasTerm(False, override="carbon_content", override_scale=sign * (scale * C_TO_CO2))
    empty = GasTerm(False, 0.0)
    return CalcPlan("mass_balance", unit_factor, 1.0, 1.0, 1.0, (co2, empty, empty), f"{pack.name}: CC site-specific")


def evaluate(record: ActivityRecord, plan: CalcPlan, gwp_set: str) -> EmissionResult:
    """The per-record path: the formulas of the module docstring on Python floats."""
    q_c = record.quantity * plan.unit_factor
    energy_per_unit = plan.energy_per_unit
    if record.ncv is not None:
        energy_per_unit = record.ncv * plan.ncv_scale
    energy = q_c * energy_per_unit
    oxidation = record.oxidation_factor if record.oxidation_factor is not None else plan.oxidation
    values: list[float] = []
    for gas, term in zip(GASES, plan.terms, strict=True):
        coefficient = term.coefficient
        if term.override:
            override = getattr(record, term.override)
            coefficient = override * term.override_scale
        value = (energy if term.on_energy else q_c) * coefficient
        if gas == "CO2":
            value = value * oxidation
        values.append(value)
    co2, ch4, n2o = values
    co2e = co2 + ch4 * gwp("CH4", gwp_set) + n2o * gwp("N2O", gwp_set)
    return EmissionResult(record.record_id, co2, ch4, n2o, co2e, gwp_set, plan.method, plan.factor_source)


class Calculator:
    """Per-record calculator with a plan cache (plans depend on few distinct keys)."""

    def __init__(self, pack: MethodPack, gwp_set: str) -> None:
        gwp("CH4", gwp_set)  # fail fast on an unknown set
        self.pack = pack
        self.gwp_set = gwp_set
        self._plans: dict[PlanKey, CalcPlan] = {}

    def plan(self, key: PlanKey) -> CalcPlan:
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = build_plan(key, self.pack)
        return plan

    def calculate(self, record: ActivityRecord) -> EmissionResult:
        return evaluate(record, self.plan(PlanKey.of(record)), self.gwp_set)
