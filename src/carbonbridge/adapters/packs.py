"""Load method packs (pack.toml + factors.csv) shipped in the package or from a folder."""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from carbonbridge.domain.errors import NotFound
from carbonbridge.domain.mrv.factors import Activity, ActivityKind, MethodPack, build_pack

DEFAULT_PACK = "ipcc2006"


def _data() -> Path:
    return Path(str(resources.files("carbonbridge") / "data"))


@cache
def load_activities() -> tuple[Activity, ...]:
    path = _data() / "activities.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(
            Activity(
                code=row["code"],
                kind=ActivityKind(row["kind"]),
                label=row["label"],
                fuel_group=row["fuel_group"],
                ipcc_category=row["ipcc_category"],
                technologies=tuple(t for t in row["technologies"].split(";") if t),
            )
            for row in csv.DictReader(handle)
        )


def available_packs() -> list[str]:
    return sorted(p.name for p in (_data() / "packs").iterdir() if (p / "pack.toml").exists())


@cache
def load_pack(name_or_path: str = DEFAULT_PACK) -> MethodPack:
    """A shipped pack by name, or a user pack from a folder holding pack.toml and factors.csv."""
    folder, label = Path(name_or_path), str(Path(name_or_path) / "factors.csv")
    if not (folder / "pack.toml").exists():  # a shipped pack is named by its place in the package, not the server's
        folder, label = _data() / "packs" / name_or_path, f"data/packs/{name_or_path}/factors.csv"
    if not (folder / "pack.toml").exists():
        raise NotFound(
            f"unknown method pack {name_or_path!r}; shipped packs: {', '.join(available_packs())} "
            "(or give a folder with pack.toml and factors.csv)"
        )
    meta = tomllib.loads((folder / "pack.toml").read_text(encoding="utf-8"))
    factors = folder / "factors.csv"
    with factors.open(newline="", encoding="utf-8") as handle:
        return build_pack(meta, load_activities(), list(csv.DictReader(handle)), file=label)
