"""Measurement-based emissions from continuous emission monitoring (EU MRR Arts. 41-46).

Art. 43 and Annex VIII Eq. 1: emissions = sum over hours of hourly concentration (g/Nm3) x
hourly flue-gas flow (Nm3/h) x 1e-6 t/g. Art. 45(3) and Annex VIII Eq. 4: an hour without a
valid value (fewer than 80 % of readings, Art. 44(2)) is replaced by the mean of the valid
hours of the reference period plus twice their standard deviation - conservative by design.
Concentration and flow are substituted independently and counted separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from carbonbridge.domain.errors import Problem, ValidationFailed

# Concentration units accepted, as factors to g/Nm3.
CONCENTRATION_UNITS = {"g/Nm3": 1.0, "mg/Nm3": 1e-3, "kg/Nm3": 1e3}
MAX_HOURS_PER_YEAR = 366 * 24
FLOW_UNITS = {"Nm3/h": 1.0, "thousand Nm3/h": 1e3}


@dataclass(frozen=True, slots=True)
class CemsResult:
    emissions_t: float
    hours_total: int
    hours_valid: int
    hours_substituted_concentration: int
    hours_substituted_flow: int
    substitute_concentration_g_per_nm3: float
    substitute_flow_nm3_per_h: float


def _substitute(values: npt.NDArray[np.float64], what: str) -> tuple[npt.NDArray[np.float64], int, float]:
    missing = np.isnan(values)
    valid = values[~missing]
    if valid.size < 2:
        raise ValidationFailed([Problem(f"fewer than 2 valid hours of {what}: nothing to substitute from", field=what)])
    # Sample standard deviation (ddof=1): the 'best estimate' Annex VIII Eq. 4 asks for.
    substitute = float(valid.mean() + 2.0 * valid.std(ddof=1))
    return np.where(missing, substitute, values), int(missing.sum()), substitute


def measured_emissions(
    concentration_g_per_nm3: npt.NDArray[np.float64], flow_nm3_per_h: npt.NDArray[np.float64]
) -> CemsResult:
    """Annual emissions in t of the measured gas; NaN marks a missing or invalid hour."""
    if concentration_g_per_nm3.shape != flow_nm3_per_h.shape or concentration_g_per_nm3.ndim != 1:
        raise ValidationFailed([Problem("concentration and flow must be equal-length hourly series")])
    problems = []
    # NaN marks a missing hour; an infinite value is no measurement and would make the year infinite.
    if np.any(np.isinf(concentration_g_per_nm3)):
        problems.append(Problem("infinite concentration", field="concentration"))
    if np.any(np.isinf(flow_nm3_per_h)):
        problems.append(Problem("infinite flue gas flow", field="flow"))
    if np.any(concentration_g_per_nm3[~np.isnan(concentration_g_per_nm3)] < 0):
        problems.append(Problem("negative concentration", field="concentration"))
    if np.any(flow_nm3_per_h[~np.isnan(flow_nm3_per_h)] < 0):
        problems.append(Problem("negative flue gas flow", field="flow"))
    if problems:
        raise ValidationFailed(problems)
    conc, n_conc, conc_sub = _substitute(concentration_g_per_nm3, "concentration")
    flow, n_flow, flow_sub = _substitute(flow_nm3_per_h, "flow")
    both_valid = ~(np.isnan(concentration_g_per_nm3) | np.isnan(flow_nm3_per_h))
    emissions = float(np.sum(conc * flow) * 1e-6)
    return CemsResult(emissions, int(conc.size), int(both_valid.sum()), n_conc, n_flow, conc_sub, flow_sub)
