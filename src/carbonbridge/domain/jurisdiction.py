"""A jurisdiction running its own registry, with its configuration (DESIGN.md glossary)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.gwp import GWP_SETS


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    currency: str
    gwp_set: str
    method_pack: str
    timezone: str
    language: str
    inventory_gwp_set: str


def parse_jurisdiction(data: Mapping[str, object], *, file: str) -> Jurisdiction:
    fields = ("code", "name", "currency", "gwp_set", "method_pack", "timezone", "language")
    problems = [Problem(f"missing '{f}'", file, field=f) for f in fields if not isinstance(data.get(f), str)]
    if not problems and data["gwp_set"] not in GWP_SETS:
        problems.append(Problem(f"gwp_set must be one of {', '.join(GWP_SETS)}", file, field="gwp_set"))
    if problems:
        raise ValidationFailed(problems)
    values = {f: str(data[f]) for f in fields}
    return Jurisdiction(**values, inventory_gwp_set=str(data.get("inventory_gwp_set", values["gwp_set"])))
