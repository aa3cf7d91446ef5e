"""Monitoring plan files (`carbonbridge mrv plan PLAN.toml`, a JSON document of the same fields,
the body of `POST /mrv/monitoring-plans`): a Pydantic model that refuses unknown keys, then the
domain's frozen `MonitoringPlan` (domain/mrv/monitoring.py keeps the records, the tier names of
EU MRR Annex II and the rules that check records against a plan).

Every problem of a file is reported at once, each with the file, the field path as the file
spells it (`source_streams[0].tier_ef`) and what was expected (`Problem.expected`)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, ValidationError

from carbonbridge.adapters.config_schema import FileModel, one_of, problems_from
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.mrv.monitoring import TIERS, Method, MonitoringPlan, SourceStream, StreamCategory

# Text with something in it; surrounding blanks are not part of the value.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _tier_text(value: Any) -> Any:
    """A tier written as a number (`tier_ef = 3`) is the tier "3"; "2a" and "2b" are text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ANNEX_II = "EU MRR Annex II tiers"
ActivityTier = Annotated[str, BeforeValidator(_tier_text), one_of(TIERS["activity"], ANNEX_II)]
NcvTier = Annotated[str, BeforeValidator(_tier_text), one_of(TIERS["ncv"], ANNEX_II)]
EfTier = Annotated[str, BeforeValidator(_tier_text), one_of(TIERS["ef"], ANNEX_II)]
OxidationTier = Annotated[str, BeforeValidator(_tier_text), one_of(TIERS["oxidation"], ANNEX_II)]


class SourceStreamTable(FileModel):
    """One `[[source_streams]]` table."""

    name: Text
    activity: Text
    method: Annotated[str, one_of(m.value for m in Method)] = Method.CALCULATION.value
    category: Annotated[str, one_of(c.value for c in StreamCategory)] = StreamCategory.MAJOR.value
    tier_activity: ActivityTier = "1"
    tier_ncv: NcvTier = "1"
    tier_ef: EfTier = "1"
    tier_oxidation: OxidationTier = "1"

    def stream(self) -> SourceStream:
        return SourceStream(
            self.name,
            self.activity,
            Method(self.method),
            StreamCategory(self.category),
            self.tier_activity,
            self.tier_ncv,
            self.tier_ef,
            self.tier_oxidation,
        )


class PlanFile(FileModel):
    """A monitoring plan file: the installation and its source streams."""

    installation_id: Text
    jurisdiction: Text
    name: Text
    operator: Text
    sector: Text = "energy_industries"
    category: Annotated[str, one_of(("A", "B", "C"), "installation category, EU MRR Art. 19(2)")] = "A"
    method_pack: Text = "ipcc2006"
    source_streams: Annotated[list[SourceStreamTable], Field(min_length=1)]

    def plan(self) -> MonitoringPlan:
        return MonitoringPlan(
            installation_id=self.installation_id,
            jurisdiction=self.jurisdiction,
            name=self.name,
            operator=self.operator,
            sector=self.sector,
            category=self.category,
            method_pack=self.method_pack,
            source_streams=tuple(s.stream() for s in self.source_streams),
        )


def _duplicate_streams(data: Mapping[str, Any], file: str) -> list[Problem]:
    """Two source streams of one name, found whether or not the rest of the file is valid (so that
    they are reported with its other problems)."""
    raw = data.get("source_streams")
    tables = raw if isinstance(raw, list) else []
    names = [t["name"].strip() for t in tables if isinstance(t, Mapping) and isinstance(t.get("name"), str)]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    return [
        Problem(f"duplicate source stream {n!r}", file, field="source_streams", expected="unique names") for n in twice
    ]


def parse_plan(data: Mapping[str, Any], *, file: str = "<plan>") -> MonitoringPlan:
    """A plan from a parsed TOML/JSON document (or request body); every problem at once."""
    problems: list[Problem] = []
    parsed: PlanFile | None = None
    try:
        parsed = PlanFile.model_validate(dict(data))
    except ValidationError as exc:
        problems += problems_from(exc, file)
    problems += _duplicate_streams(data, file)
    if problems or parsed is None:
        raise ValidationFailed(problems)
    return parsed.plan()


def read_plan_file(path: Path) -> MonitoringPlan:
    """A plan file: JSON if it ends in .json, else TOML; problems name the file as given."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except FileNotFoundError:
        raise ValidationFailed([Problem("file not found", str(path))]) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed([Problem(f"cannot parse: {exc}", str(path))]) from None
    if not isinstance(data, dict):
        raise ValidationFailed([Problem("expected a table of the plan's fields", str(path), expected="table")])
    return parse_plan(data, file=str(path))
