"""Compliance configuration files: data/compliance/<CODE>.toml, overridable from the override
folder (a file compliance-<CODE>.toml there replaces the shipped one). A file holds rule
versions by period of compliance years; a caller names the year it works on."""

from __future__ import annotations

from pathlib import Path

from carbonbridge.adapters import config
from carbonbridge.domain.compliance.rules import ComplianceConfig, ComplianceRules, parse_compliance_config
from carbonbridge.domain.errors import NotFound


def read_compliance(code: str, override_dir: Path | None) -> ComplianceConfig:
    """Every version of the jurisdiction's compliance rules."""
    code = code.upper()
    found = config.read_document("compliance", f"{code}.toml", override_dir, override_name=f"compliance-{code}.toml")
    if found is None:
        raise NotFound(f"no compliance configuration for {code!r}; shipped: BY, CN")
    data, file = found
    return parse_compliance_config(data, file=file, jurisdiction=code)


def load_compliance_rules(code: str, year: int | None = None) -> ComplianceRules:
    """The rules in force for the compliance year (the latest version when no year is given),
    under the process's configuration (for callers not handed a `Jurisdiction`)."""
    return config.load_jurisdiction(code).compliance_rules(year)
