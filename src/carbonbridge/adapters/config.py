"""Jurisdiction configuration: TOML shipped in the package, overridable from a folder named
by CARBONBRIDGE_CONFIG (a file <CODE>.toml there replaces the shipped one)."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.jurisdiction import Jurisdiction, parse_jurisdiction


def _candidates(code: str) -> list[Path]:
    shipped = Path(str(resources.files("carbonbridge") / "data" / "jurisdictions")) / f"{code}.toml"
    override = os.environ.get("CARBONBRIDGE_CONFIG")
    return ([Path(override) / f"{code}.toml"] if override else []) + [shipped]


def load_jurisdiction(code: str) -> Jurisdiction:
    code = code.upper()
    for path in _candidates(code):
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ValidationFailed([Problem(f"invalid TOML: {exc}", str(path))]) from None
            return parse_jurisdiction(data, file=str(path))
    raise NotFound(f"unknown jurisdiction {code!r}; shipped: BY, CN")


def jurisdiction_codes() -> list[str]:
    return ["BY", "CN"]
