"""Per-jurisdiction registry security policy: the `[registry]` table of the jurisdiction's TOML
(CARBONBRIDGE_CONFIG overrides the shipped file, as for the rest of the configuration)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache
from zoneinfo import ZoneInfo

from carbonbridge.adapters.config import config_document, load_jurisdiction
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.registry.policy import SecurityPolicy, parse_policy
from carbonbridge.services.link_config import linked_origins


@cache
def load_policy(code: str) -> SecurityPolicy:
    """The jurisdiction's policy; defaults (four eyes, 4 working days, noon next working day) if unset."""
    found = config_document("jurisdictions", f"{code.upper()}.toml")
    if found is None:
        return SecurityPolicy(linked_origins=linked_origins(code.upper()))
    data, path = found
    table = data.get("registry", {})
    if not isinstance(table, dict):
        raise ValidationFailed([Problem("[registry] must be a table", path, field="registry")])
    return replace(parse_policy(table, file=path), linked_origins=linked_origins(code.upper()))


@cache
def timezone_of(code: str) -> dt.tzinfo:
    return ZoneInfo(load_jurisdiction(code).timezone)
