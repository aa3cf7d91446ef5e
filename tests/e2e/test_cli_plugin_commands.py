"""Plug-in commands (entry point group `carbonbridge.commands`): `carbonbridge demo` comes from the
demo package that way, `--help` lists it without loading the demo, and a broken plug-in is named
on stderr while the product's own commands keep working."""

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest
import typer
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli import plugins


def test_help_lists_the_demo_without_loading_it_or_the_heavy_libraries() -> None:
    probe = (
        "import sys\n"
        "from carbonbridge.entrypoints.cli.main import app\n"
        "for args in (['--help'], ['demo', '--help']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0, exit.code\n"
        "heavy = ('polars', 'numpy', 'sqlalchemy', 'rich.progress', 'carbonbridge.entrypoints.bootstrap')\n"
        "print(sorted(m for m in sys.modules if m.startswith('carbonbridge_demo') or m in heavy))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "Generate a synthetic (clearly fictitious) year for BY and CN" in completed.stdout
    assert "--seed" in completed.stdout and "--output" in completed.stdout
    assert completed.stdout.strip().splitlines()[-1] == "['carbonbridge_demo', 'carbonbridge_demo.cli']"


def test_the_demo_is_registered_through_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    points = {p.name: p.value for p in entry_points(group=plugins.GROUP)}
    assert points.get("demo") == "carbonbridge_demo.cli:register"


def test_a_plugin_that_fails_to_load_is_named_and_the_others_register(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    points = [
        EntryPoint("broken", "carbonbridge_no_such_addon.cli:register", plugins.GROUP),
        EntryPoint("demo", "carbonbridge_demo.cli:register", plugins.GROUP),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: points if group == plugins.GROUP else [])
    cli = typer.Typer()

    @cli.command()
    def own() -> None:
        typer.echo("own command ran")

    assert plugins.register_plugins(cli) == ["demo"]
    err = capsys.readouterr().err
    assert "plug-in 'broken' (carbonbridge_no_such_addon.cli:register) not loaded" in err
    assert "carbonbridge_no_such_addon" in err
    result = CliRunner().invoke(cli, ["own"])
    assert result.exit_code == 0 and "own command ran" in result.output
    assert "--seed" in CliRunner().invoke(cli, ["demo", "--help"]).output
