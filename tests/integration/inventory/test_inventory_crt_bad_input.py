"""Any one broken spot of a CRT JSON or of a Party's export (a value replaced by null, a string, a
number, a list, an object, or deleted) gives located problems or a clean result - never a crash -
in validate, read and export. Seeded; a failure prints its seed and the mutation."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carbonbridge.domain.errors import ValidationFailed
from carbonbridge.domain.inventory.notation import NotationKey
from carbonbridge.domain.inventory.records import EmissionRecord
from carbonbridge.services.inventory.crt import export_crt, read_crt, validate_crt

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crt"
METADATA = FIXTURES / "synthetic_metadata.json"
PARTY = FIXTURES / "synthetic_party_export.json"
NOW = dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
RECORDS = [
    EmissionRecord("1.A.1", "CO2", 2023, 5.0),
    EmissionRecord("3.C.8", "CH4", 2023, 2.0),
    EmissionRecord("2.G.1", "SF6", 2022, 1.0),
]
KEYS = [
    NotationKey("2.B.3", "N2O", 2023, ("NE",), "no data"),
    NotationKey("1.A.3.a.ii", "CO2", 2023, ("IE",), "in road", "1.A.3.b"),
]
REPLACEMENTS: list[Any] = [None, "x", [], {}, 3, -1.5, True, {"uid": "x"}, "delete"]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _mutations(doc: Any, seed: int, count: int) -> Iterator[tuple[str, Any]]:
    rng = random.Random(seed)
    paths = list(_paths(doc))[1:]
    for _ in range(count):
        path, new = rng.choice(paths), rng.choice(REPLACEMENTS)
        mutated = copy.deepcopy(doc)
        parent = mutated
        for k in path[:-1]:
            parent = parent[k]
        if new == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = new
        yield f"seed {seed}: {path} -> {new!r}", mutated


def _survives(call: Any, what: str) -> None:
    try:
        call()
    except ValidationFailed as exc:
        assert exc.problems and all(p.message for p in exc.problems), what
    except Exception as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{what}: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_broken_crt_json_gives_located_problems_in_validate_and_read(tmp_path: Path, seed: int) -> None:
    out = tmp_path / "ok.json"
    export_crt(RECORDS, KEYS, metadata_path=METADATA, template_path=PARTY, output=out, now=NOW)
    doc = json.loads(out.read_text(encoding="utf-8"))
    broken = tmp_path / "broken.json"
    for what, mutated in _mutations(doc, seed, 120):
        broken.write_text(json.dumps(mutated), encoding="utf-8")
        _survives(lambda: validate_crt(broken, METADATA), what)
        _survives(lambda: read_crt(broken, METADATA), what)


@pytest.mark.parametrize(("seed", "which"), [(3, "party"), (4, "metadata")])
def test_a_broken_template_or_metadata_never_crashes_the_export(tmp_path: Path, seed: int, which: str) -> None:
    source = PARTY if which == "party" else METADATA
    doc = json.loads(source.read_text(encoding="utf-8"))
    broken = tmp_path / "broken.json"
    out = tmp_path / "out.json"
    for what, mutated in _mutations(doc, seed, 120):
        broken.write_text(json.dumps(mutated), encoding="utf-8")
        paths = (
            {"template_path": broken, "metadata_path": METADATA}
            if which == "party"
            else {"template_path": PARTY, "metadata_path": broken}
        )
        _survives(lambda: export_crt(RECORDS, KEYS, output=out, now=NOW, **paths), what)  # noqa: B023
