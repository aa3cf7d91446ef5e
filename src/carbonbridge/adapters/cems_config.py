"""CEMS configuration files: data/cems/<CODE>.toml (rule sets) and data/cems/hj212.toml (parameter codes)."""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.adapters.config import config_document
from carbonbridge.domain.cems.rules import RuleSet, parse_rule_set
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed

PARAMETERS = ("co2", "flow")


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


def load_hj212_codes() -> dict[str, CodeMapping]:
    found = config_document("cems", "hj212.toml", override_name="cems-hj212.toml")
    if found is None:
        raise NotFound("data/cems/hj212.toml is missing")
    data, path = found
    out: dict[str, CodeMapping] = {}
    problems = []
    for code, entry in data.get("codes", {}).items():
        if entry.get("parameter") not in PARAMETERS or not isinstance(entry.get("factor"), int | float):
            problems.append(Problem(f"code {code}: parameter must be one of {PARAMETERS} with a numeric factor", path))
            continue
        out[code] = CodeMapping(code, entry["parameter"], str(entry.get("unit", "")), float(entry["factor"]))
    if problems:
        raise ValidationFailed(problems)
    return out
