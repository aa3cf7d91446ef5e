"""Compliance configuration files: data/compliance/<CODE>.toml, overridable from the folder named
by CARBONBRIDGE_CONFIG (a file compliance-<CODE>.toml there replaces the shipped one). A file
holds rule versions by period of compliance years; a caller names the year it works on."""

from __future__ import annotations

from carbonbridge.adapters.config import config_document
from carbonbridge.domain.compliance.rules import ComplianceConfig, ComplianceRules, parse_compliance_config
from carbonbridge.domain.errors import NotFound


def compliance_config(code: str) -> ComplianceConfig:
    code = code.upper()
    found = config_document("compliance", f"{code}.toml", override_name=f"compliance-{code}.toml")
    if found is None:
        raise NotFound(f"no compliance configuration for {code!r}; shipped: BY, CN")
    data, file = found
    return parse_compliance_config(data, file=file, jurisdiction=code)


def load_compliance_rules(code: str, year: int | None = None) -> ComplianceRules:
    """The rules in force for the compliance year (the latest version when no year is given)."""
    return compliance_config(code).for_year(year)
