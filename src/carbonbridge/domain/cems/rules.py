"""A jurisdiction's CEMS rule set (validity, substitution, uncertainty, plausibility).

Each part carries the source it was configured from; data/cems/<CODE>.toml states them, and
adapters/cems_config.py parses that file into a `RuleSet`.
"""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, ValidationFailed

SUBSTITUTIONS = ("mean_plus_2sd", "none")  # of a missing hour: EU MRR Annex VIII Eq. 4, or none


@dataclass(frozen=True, slots=True)
class RuleSet:
    jurisdiction: str
    minimum_valid_share: float
    validity_source: str
    valid_flags: frozenset[str]
    stopped_flags: frozenset[str]
    concentration_substitution: str
    flow_substitution: str
    substitution_source: str
    tier_uncertainty: dict[str, float]
    default_tier: str
    uncertainty_source: str
    stuck_hours: int
    jump_ratio: float
    plausibility_source: str

    @property
    def substitutes(self) -> bool:
        return self.concentration_substitution != "none" or self.flow_substitution != "none"

    def uncertainty(self, tier: str | None) -> float:
        """Relative expanded uncertainty (95 %) of the annual measured mass for ``tier``."""
        chosen = tier or self.default_tier
        if chosen not in self.tier_uncertainty:
            raise ValidationFailed(
                [
                    Problem(
                        f"unknown tier {chosen!r}; {self.jurisdiction} has {', '.join(sorted(self.tier_uncertainty))}",
                        field="tier",
                    )
                ]
            )
        return self.tier_uncertainty[chosen]
