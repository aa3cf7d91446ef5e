"""A jurisdiction's CEMS rule set (validity, substitution, uncertainty, plausibility) read from its TOML.

Each part carries the source it was configured from; data/cems/<CODE>.toml states them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carbonbridge.domain.errors import Problem, ValidationFailed

SUBSTITUTIONS = ("mean_plus_2sd", "none")


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


def parse_rule_set(data: dict[str, Any], *, file: str) -> RuleSet:
    """The rule set of one jurisdiction's TOML document; every problem is collected."""
    problems: list[Problem] = []

    def get(table: str, key: str, kind: type) -> Any:
        value = data.get(table, {}).get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(Problem(f"[{table}] {key} must be a {kind.__name__}", file, field=f"{table}.{key}"))
            return kind()
        return value

    share = float(get("validity", "minimum_valid_share", float))
    if not 0 < share <= 1:
        problems.append(Problem("[validity] minimum_valid_share must be in (0, 1]", file))
    subs = {name: get("substitution", name, str) for name in ("concentration", "flow")}
    for name, value in subs.items():
        if value not in SUBSTITUTIONS:
            problems.append(Problem(f"[substitution] {name} must be one of {', '.join(SUBSTITUTIONS)}", file))
    tiers = get("uncertainty", "tiers", dict)
    rule = RuleSet(
        jurisdiction=str(data.get("jurisdiction", "")),
        minimum_valid_share=share,
        validity_source=get("validity", "source", str),
        valid_flags=frozenset(get("validity", "valid_flags", list)),
        stopped_flags=frozenset(get("validity", "stopped_flags", list)),
        concentration_substitution=subs["concentration"],
        flow_substitution=subs["flow"],
        substitution_source=get("substitution", "source", str),
        tier_uncertainty={str(k): float(v) for k, v in tiers.items()},
        default_tier=get("uncertainty", "default_tier", str),
        uncertainty_source=get("uncertainty", "source", str),
        stuck_hours=get("plausibility", "stuck_hours", int),
        jump_ratio=float(get("plausibility", "jump_ratio", float)),
        plausibility_source=get("plausibility", "source", str),
    )
    if not rule.jurisdiction:
        problems.append(Problem("jurisdiction must be named", file, field="jurisdiction"))
    if rule.stuck_hours < 2 and not problems:
        problems.append(Problem("[plausibility] stuck_hours must be at least 2", file))
    if problems:
        raise ValidationFailed(problems)
    return rule
