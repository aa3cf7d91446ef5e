"""Per-jurisdiction registry security policy: the `[registry]` table of the jurisdiction's TOML
(CARBONBRIDGE_CONFIG overrides the shipped file, as for the rest of the configuration)."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from carbonbridge.adapters.config import load_jurisdiction
from carbonbridge.domain.errors import Problem, ValidationFailed
from carbonbridge.domain.registry.policy import SecurityPolicy, parse_policy


def _jurisdiction_file(code: str) -> Path | None:
    override = os.environ.get("CARBONBRIDGE_CONFIG")
    shipped = Path(str(resources.files("carbonbridge") / "data" / "jurisdictions")) / f"{code}.toml"
    for path in ([Path(override) / f"{code}.toml"] if override else []) + [shipped]:
        if path.exists():
            return path
    return None


@cache
def load_policy(code: str) -> SecurityPolicy:
    """The jurisdiction's policy; defaults (four eyes, 4 working days, noon next working day) if unset."""
    path = _jurisdiction_file(code.upper())
    if path is None:
        return SecurityPolicy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed([Problem(f"invalid TOML: {exc}", str(path))]) from None
    table = data.get("registry", {})
    if not isinstance(table, dict):
        raise ValidationFailed([Problem("[registry] must be a table", str(path), field="registry")])
    return parse_policy(table, file=str(path))


@cache
def timezone_of(code: str) -> dt.tzinfo:
    return ZoneInfo(load_jurisdiction(code).timezone)
