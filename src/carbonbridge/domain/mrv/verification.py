"""Annual emissions reports and their verification (EU AVR 2018/2067).

Materiality level (AVR Art. 23(1)): 5 % of reported emissions for category A and B
installations and for reports up to 500 kt CO2e, 2 % above 500 kt CO2e. A report with a
material misstatement cannot receive a satisfactory opinion (AVR Art. 27-28).
Verified emissions enter compliance as whole tonnes, rounded half up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from carbonbridge.domain.errors import Problem, RuleViolation, ValidationFailed

LARGE_REPORT_T_CO2E = 500_000.0


class Opinion(StrEnum):
    SATISFACTORY = "satisfactory"
    SATISFACTORY_WITH_COMMENTS = "satisfactory_with_comments"
    NOT_SATISFACTORY = "not_satisfactory"


def materiality_pct(reported_t_co2e: float) -> float:
    """AVR Art. 23(1): 5 % up to 500 kt CO2e, 2 % above."""
    return 2.0 if reported_t_co2e > LARGE_REPORT_T_CO2E else 5.0


def whole_tonnes(value_t: float) -> int:
    return int(Decimal(repr(value_t)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class VerificationOutcome:
    materiality_pct: float
    misstatement_pct: float
    material: bool
    verified: bool
    verified_emissions_t: int | None


def assess(reported_t_co2e: float, misstatement_t: float, opinion: Opinion) -> VerificationOutcome:
    """Decide whether a report is verified; RuleViolation for an opinion the AVR forbids."""
    if not (math.isfinite(reported_t_co2e) and math.isfinite(misstatement_t)):
        # NaN compares false with the materiality level and would pass as immaterial.
        message = f"misstatement {misstatement_t!r} t and report {reported_t_co2e!r} t must be finite numbers"
        raise ValidationFailed([Problem(message, field="misstatement_t")])
    if reported_t_co2e < 0:
        raise RuleViolation("negative_report", "reported emissions cannot be negative")
    threshold = materiality_pct(reported_t_co2e)
    share = abs(misstatement_t) / reported_t_co2e * 100.0 if reported_t_co2e else (0.0 if not misstatement_t else 100.0)
    material = share > threshold
    positive = opinion is not Opinion.NOT_SATISFACTORY
    if material and positive:
        raise RuleViolation(
            "material_misstatement",
            f"misstatement of {share:.2f} % exceeds the {threshold:g} % materiality level (AVR Art. 23); "
            "the opinion must be not_satisfactory or the report corrected",
        )
    verified = positive and not material
    return VerificationOutcome(
        threshold, share, material, verified, whole_tonnes(reported_t_co2e) if verified else None
    )
