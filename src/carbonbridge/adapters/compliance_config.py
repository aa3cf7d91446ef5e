"""Compliance configuration files: data/compliance/<CODE>.toml, overridable from the folder named
by CARBONBRIDGE_CONFIG (a file compliance-<CODE>.toml there replaces the shipped one)."""

from __future__ import annotations

from carbonbridge.adapters.config import config_document
from carbonbridge.domain.compliance.rules import ComplianceRules, parse_compliance_rules
from carbonbridge.domain.errors import NotFound


def load_compliance_rules(code: str) -> ComplianceRules:
    code = code.upper()
    found = config_document("compliance", f"{code}.toml", override_name=f"compliance-{code}.toml")
    if found is None:
        raise NotFound(f"no compliance configuration for {code!r}; shipped: BY, CN")
    data, file = found
    return parse_compliance_rules(data, file=file, jurisdiction=code)
