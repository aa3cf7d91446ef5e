"""The demo's output, shared: `carbonbridge demo` takes half a minute, and several tests read what
one run writes (its determinism, its reports in a browser). Each seed runs once per test session
(per xdist worker: the tests that read it are grouped on one worker with `xdist_group("demo")`)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

DEMO_SEED = "7"


@pytest.fixture(scope="session")
def run_demo(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """run_demo(seed, fresh=False) -> the output folder of `carbonbridge demo --seed SEED`; a seed's
    first run is kept for the session, `fresh=True` always runs it again (to compare two runs)."""
    kept: dict[str, Path] = {}

    def run(seed: str = DEMO_SEED, *, fresh: bool = False) -> Path:
        if seed in kept and not fresh:
            return kept[seed]
        output = tmp_path_factory.mktemp(f"demo-{seed}")
        result = CliRunner().invoke(app, ["demo", "--output", str(output), "--seed", seed])
        if result.exit_code != 0:
            trace = "".join(traceback.format_exception(result.exception)) if result.exception else ""
            pytest.fail(f"carbonbridge demo --seed {seed} exited {result.exit_code}:\n{result.output}\n{trace}")
        assert "Installations' share of the inventory" in result.output, result.output
        kept.setdefault(seed, output)
        return output

    return run
