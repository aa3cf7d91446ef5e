"""Configuration files: TOML shipped in the package under data/<folder>/, each overridable by a
file of the same name (or the given override name) in the folder named by CARBONBRIDGE_CONFIG.
Jurisdictions (data/jurisdictions/<CODE>.toml), their registry policy (its [registry] table)
and allocation rules (data/allocation/<CODE>.toml, override allocation-<CODE>.toml) load here."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.jurisdiction import Jurisdiction, parse_jurisdiction


def config_document(folder: str, name: str, *, override_name: str | None = None) -> tuple[dict[str, Any], str] | None:
    """The parsed TOML and its logical name: the override if present, else the shipped file, else None.

    The name, not the path, is what problems and messages carry: `data/<folder>/<name>` for a
    shipped file, `$CARBONBRIDGE_CONFIG/<file>` for an override. A problem document over HTTP
    then never reveals where the server is installed or keeps its configuration."""
    override = os.environ.get("CARBONBRIDGE_CONFIG")
    shipped = Path(str(resources.files("carbonbridge") / "data" / folder)) / name
    candidates = [(shipped, f"data/{folder}/{name}")]
    if override:
        own = override_name or name
        candidates.insert(0, (Path(override) / own, f"$CARBONBRIDGE_CONFIG/{own}"))
    for path, logical in candidates:
        if path.exists():
            try:
                return tomllib.loads(path.read_text(encoding="utf-8")), logical
            except tomllib.TOMLDecodeError as exc:
                raise ValidationFailed([Problem(f"invalid TOML: {exc}", logical)]) from None
    return None


def jurisdiction_document(code: str) -> tuple[dict[str, Any], str]:
    found = config_document("jurisdictions", f"{code.upper()}.toml")
    if found is None:
        raise NotFound(f"unknown jurisdiction {code!r}; shipped: BY, CN")
    return found


def load_jurisdiction(code: str) -> Jurisdiction:
    data, path = jurisdiction_document(code)
    return parse_jurisdiction(data, file=path)


def jurisdiction_codes() -> list[str]:
    return ["BY", "CN"]
