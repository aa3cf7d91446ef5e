"""CEMS configuration files: data/cems/<CODE>.toml (rule sets) and data/cems/hj212.toml (parameter codes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from carbonbridge.adapters.config import config_document
from carbonbridge.adapters.config_schema import FileModel, parse_file
from carbonbridge.domain.cems.rules import RuleSet, parse_rule_set
from carbonbridge.domain.errors import NotFound

PARAMETERS = ("co2", "flow")  # the parameters a CEMS data set keeps (Hj212Code.parameter)


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
