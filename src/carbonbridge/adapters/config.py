"""Configuration files: TOML shipped in the package under data/<folder>/, each overridable by a
file of the same name (or the given override name) in the override folder (CARBONBRIDGE_CONFIG).

`load_config(override_dir)` reads every file a jurisdiction needs once - the jurisdiction and its
registry policy (data/jurisdictions/<CODE>.toml), its allocation (data/allocation/<CODE>.toml,
override allocation-<CODE>.toml), its compliance rules (data/compliance/<CODE>.toml, override
compliance-<CODE>.toml) and the link agreement (its partners' units may be held) - and reports
every problem of every file at once. The composition root (`entrypoints/bootstrap.py`) builds it
and hands it to the use cases; `load_jurisdiction` serves the callers that do not take it yet."""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from carbonbridge.adapters import allocation_config, compliance_config, policy_config
from carbonbridge.adapters.config_schema import FileModel, parse_file
from carbonbridge.adapters.link_agreement import parse_agreement
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.gwp import GWP_SETS
from carbonbridge.domain.jurisdiction import Config, Jurisdiction

OVERRIDE_VARIABLE = "CARBONBRIDGE_CONFIG"
JURISDICTION_CODES = ("BY", "CN")
LINK_AGREEMENT = "BY-CN.toml"

Text = Annotated[str, Field(min_length=1)]


def config_override_dir() -> Path | None:
    """The override folder named by CARBONBRIDGE_CONFIG, if set: the one place that reads it."""
    value = os.environ.get(OVERRIDE_VARIABLE)
    return Path(value) if value else None


def read_document(
    folder: str, name: str, override_dir: Path | None, *, override_name: str | None = None
) -> tuple[dict[str, Any], str] | None:
    """The parsed TOML and its logical name: the override if present, else the shipped file, else None.

    The name, not the path, is what problems and messages carry: `data/<folder>/<name>` for a
    shipped file, `$CARBONBRIDGE_CONFIG/<file>` for an override. A problem document over HTTP
    then never reveals where the server is installed or keeps its configuration."""
    shipped = Path(str(resources.files("carbonbridge") / "data" / folder)) / name
    candidates = [(shipped, f"data/{folder}/{name}")]
    if override_dir is not None:
        own = override_name or name
        candidates.insert(0, (override_dir / own, f"${OVERRIDE_VARIABLE}/{own}"))
    for path, logical in candidates:
        if path.exists():
            try:
                return tomllib.loads(path.read_text(encoding="utf-8")), logical
            except tomllib.TOMLDecodeError as exc:
                raise ValidationFailed([Problem(f"invalid TOML: {exc}", logical)]) from None
    return None


def config_document(folder: str, name: str, *, override_name: str | None = None) -> tuple[dict[str, Any], str] | None:
    """`read_document` under the process's override folder (the market, link and CEMS files)."""
    return read_document(folder, name, config_override_dir(), override_name=override_name)


class JurisdictionFile(FileModel):
    """data/jurisdictions/<CODE>.toml."""

    code: Text
    name: Text
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    gwp_set: str
    inventory_gwp_set: str | None = None
    method_pack: Text
    timezone: str
    language: Text
    registry: policy_config.RegistryTable = policy_config.RegistryTable()

    @field_validator("gwp_set", "inventory_gwp_set")
    @classmethod
    def _known_gwp_set(cls, value: str | None) -> str | None:
        if value is not None and value not in GWP_SETS:
            raise ValueError(f"must be one of {', '.join(GWP_SETS)}, got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"must be an IANA time zone such as Europe/Minsk, got {value!r}") from None
        return value


def _linked_origins(override_dir: Path | None) -> dict[str, frozenset[str]]:
    """Each party of the link agreement -> the partner whose units it may hold (docs/link.md)."""
    found = read_document("link", LINK_AGREEMENT, override_dir, override_name=f"link-{LINK_AGREEMENT}")
    if found is None:
        return {}
    agreement = parse_agreement(found[0], file=found[1])
    return {own: frozenset({agreement.partner_of(own)}) for own in agreement.parties}


def _jurisdiction(code: str, override_dir: Path | None, linked: dict[str, frozenset[str]]) -> Jurisdiction:
    found = read_document("jurisdictions", f"{code}.toml", override_dir)
    if found is None:
        raise NotFound(f"unknown jurisdiction {code!r}; shipped: {', '.join(JURISDICTION_CODES)}")
    problems: list[Problem] = []

    def collect(read: Any) -> Any:
        try:
            return read()
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            return None

    data, file = found
    parsed: JurisdictionFile | None = collect(lambda: parse_file(JurisdictionFile, data, file))
    design = collect(lambda: allocation_config.read_design(code, override_dir))
    compliance = collect(lambda: compliance_config.read_compliance(code, override_dir))
    if problems or parsed is None:
        raise ValidationFailed(problems)
    return Jurisdiction(
        code=parsed.code,
        name=parsed.name,
        currency=parsed.currency,
        gwp_set=parsed.gwp_set,
        method_pack=parsed.method_pack,
        timezone=parsed.timezone,
        language=parsed.language,
        inventory_gwp_set=parsed.inventory_gwp_set or parsed.gwp_set,
        zone=ZoneInfo(parsed.timezone),
        registry=parsed.registry.policy(linked.get(code, frozenset())),
        allocation=design,
        compliance=compliance,
    )


def load_config(override_dir: Path | None) -> Config:
    """Every jurisdiction's configuration, each file read once; every problem of every file at once.
    An override folder that does not exist is a problem, not the shipped files in silence: a
    misspelt CARBONBRIDGE_CONFIG would otherwise run a registry on rules nobody chose."""
    if override_dir is not None and not override_dir.is_dir():
        raise ValidationFailed(
            [
                Problem(
                    f"{OVERRIDE_VARIABLE} names no folder (the path is not shown: it is the server's)",
                    f"${OVERRIDE_VARIABLE}",
                    expected="an existing folder of .toml files",
                )
            ]
        )
    problems: list[Problem] = []
    linked: dict[str, frozenset[str]] = {}
    try:
        linked = _linked_origins(override_dir)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    jurisdictions = {}
    for code in JURISDICTION_CODES:
        try:
            jurisdictions[code] = _jurisdiction(code, override_dir, linked)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    return Config(jurisdictions)


@cache
def _config_named(override: str | None) -> Config:
    return load_config(Path(override) if override else None)


def load_jurisdiction(code: str) -> Jurisdiction:
    """The jurisdiction under the process's override folder (read once per folder), for callers
    not yet handed a `Jurisdiction` by the composition root (the registry reads its policy here
    on every command: a cached lookup)."""
    if code.upper() not in JURISDICTION_CODES:
        raise NotFound(f"unknown jurisdiction {code!r}; shipped: {', '.join(JURISDICTION_CODES)}")
    return _config_named(os.environ.get(OVERRIDE_VARIABLE) or None).jurisdiction(code)


def jurisdiction_codes() -> list[str]:
    return list(JURISDICTION_CODES)
