"""CEMS configuration files: data/cems/<CODE>.toml (rule sets) and data/cems/hj212.toml (parameter
codes), each parsed by a Pydantic model that refuses unknown keys (adapters/config_schema.py): every
problem of a file at once, with the file, the field path from its root and what was expected. The
validated tables become the domain's frozen `RuleSet` (domain/cems/rules.py keeps the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from carbonbridge.adapters.config import config_document
from carbonbridge.adapters.config_schema import FileModel, one_of, parse_file
from carbonbridge.domain.cems.rules import SUBSTITUTIONS, RuleSet
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed

PARAMETERS = ("co2", "flow")  # the parameters a CEMS data set keeps (Hj212Code.parameter)

Text = Annotated[str, Field(min_length=1)]
Substitution = Annotated[str, one_of(SUBSTITUTIONS)]


class ValidityTable(FileModel):
    """`[validity]`: the share of minute values an hour needs (EU MRR Art. 44(2): 80 %) and the
    HJ 212 data flags of valid and of stopped (no operation) minutes."""

    minimum_valid_share: Annotated[float, Field(gt=0, le=1)]
    source: str
    valid_flags: list[str]
    stopped_flags: list[str]


class SubstitutionTable(FileModel):
    """`[substitution]`: the substitute of a missing hour per kind of parameter, over the year
    (the reference period of EU MRR Annex VIII section 4 Eq. 4, the only one computed)."""

    concentration: Substitution
    flow: Substitution
    reference_period: Annotated[str, one_of(("year",), "the substitute is computed over the year")] = "year"
    source: str


class UncertaintyTable(FileModel):
    """`[uncertainty]`: the relative expanded uncertainty (95 %) of each tier, and the tier of an
    installation that names none."""

    tiers: Annotated[dict[str, Annotated[float, Field(ge=0)]], Field(min_length=1)]
    default_tier: Text
    source: str


class PlausibilityTable(FileModel):
    """`[plausibility]`: data-quality screens (a value stuck this many hours, a jump of this ratio)."""

    stuck_hours: Annotated[int, Field(ge=2)]
    jump_ratio: Annotated[float, Field(gt=0)]
    source: str


class RuleSetFile(FileModel):
    """data/cems/<CODE>.toml."""

    jurisdiction: Text
    validity: ValidityTable
    substitution: SubstitutionTable
    uncertainty: UncertaintyTable
    plausibility: PlausibilityTable

    def rule_set(self) -> RuleSet:
        v, s, u, p = self.validity, self.substitution, self.uncertainty, self.plausibility
        return RuleSet(
            jurisdiction=self.jurisdiction,
            minimum_valid_share=v.minimum_valid_share,
            validity_source=v.source,
            valid_flags=frozenset(v.valid_flags),
            stopped_flags=frozenset(v.stopped_flags),
            concentration_substitution=s.concentration,
            flow_substitution=s.flow,
            substitution_source=s.source,
            tier_uncertainty=dict(u.tiers),
            default_tier=u.default_tier,
            uncertainty_source=u.source,
            stuck_hours=p.stuck_hours,
            jump_ratio=p.jump_ratio,
            plausibility_source=p.source,
        )


def parse_rule_set(data: dict[str, Any], *, file: str) -> RuleSet:
    """The rule set of one jurisdiction's TOML document; every problem at once."""
    parsed = parse_file(RuleSetFile, data, file)
    tiers = parsed.uncertainty.tiers
    if parsed.uncertainty.default_tier not in tiers:
        raise ValidationFailed(
            [
                Problem(
                    f"the default tier {parsed.uncertainty.default_tier!r} is not among the tiers",
                    file,
                    field="uncertainty.default_tier",
                    expected="one of: " + ", ".join(tiers),
                )
            ]
        )
    return parsed.rule_set()


def load_rule_set(code: str) -> RuleSet:
    found = config_document("cems", f"{code.upper()}.toml", override_name=f"cems-{code.upper()}.toml")
    if found is None:
        raise NotFound(f"no CEMS rule set for jurisdiction {code!r}; shipped: BY, CN")
    data, path = found
    return parse_rule_set(data, file=path)


@dataclass(frozen=True, slots=True)
class CodeMapping:
    code: str
    parameter: str
    unit: str
    factor: float


class Hj212Code(FileModel):
    """One `[codes.<code>]` table: the data set's parameter, the station's unit, the factor to ours."""

    parameter: Literal["co2", "flow"]
    unit: str = ""
    factor: float | int


class Hj212File(FileModel):
    codes: dict[str, Hj212Code] = Field(default_factory=dict)


def load_hj212_codes() -> dict[str, CodeMapping]:
    found = config_document("cems", "hj212.toml", override_name="cems-hj212.toml")
    if found is None:
        raise NotFound("data/cems/hj212.toml is missing")
    data, path = found
    codes = parse_file(Hj212File, data, path).codes
    return {code: CodeMapping(code, c.parameter, c.unit, float(c.factor)) for code, c in codes.items()}
