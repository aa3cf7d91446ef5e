"""Root of the `carbonbridge` command: global options and the capability sub-commands."""

import gc
from collections.abc import Iterator, Mapping, MutableMapping
from importlib import import_module
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from carbonbridge import __version__
from carbonbridge.entrypoints.cli import errors
from carbonbridge.entrypoints.cli.errors import cli_errors

# The product's own sub-commands: name -> (module of entrypoints/cli, its Typer app or function).
# A run imports only the one it names (`carbonbridge mrv calc` imports neither the registry's nor
# the market's commands, nor the add-ons'): importing and converting them all cost ~45 ms a run.
_COMMANDS = {"cap": ("allocation", "cap"), "serve": ("serve", "serve")}
_GROUPS = {
    "db": ("db", "app"),
    "mrv": ("mrv", "app"),
    "inventory": ("inventory", "app"),
    "registry": ("registry", "app"),
    "allocate": ("allocation", "allocate_app"),
    "compliance": ("compliance", "app"),
    "market": ("market", "app"),
    "users": ("users", "app"),
    "link": ("link", "app"),
    "cems": ("cems", "app"),
}


def _own_command(name: str) -> Any:
    """The click command of one of the product's sub-commands, imported now."""
    module, attribute = (_COMMANDS | _GROUPS)[name]
    target = getattr(import_module(f"carbonbridge.entrypoints.cli.{module}"), attribute)
    holder = typer.Typer()
    if name in _GROUPS:
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


def _plugin_commands() -> dict[str, Any]:
    """The add-ons' commands (entry point group `carbonbridge.commands`), in their order."""
    from carbonbridge.entrypoints.cli.plugins import register_plugins

    holder = typer.Typer()
    register_plugins(holder)  # `carbonbridge demo` and any other add-on's commands
    return dict(typer.main.get_group(holder).commands)


class _Commands(MutableMapping[str, Any]):
    """The root's commands by name. Looking one up imports only that one (the add-ons' are
    looked for when a name is not the product's); listing them (`--help`, suggestions for a
    mistyped name) loads them all, in the order `--help` shows them: `cap`, `serve`, the
    add-ons', the root's own (`jurisdictions`), then the groups."""

    def __init__(self, own: Mapping[str, Any]) -> None:
        self._loaded = dict(own)
        self._root = list(own)
        self._plugins: list[str] | None = None

    def _load(self, name: str) -> None:
        if name in self._loaded:
            return
        if name in _COMMANDS or name in _GROUPS:
            self._loaded[name] = _own_command(name)
        elif self._plugins is None:
            commands = _plugin_commands()
            self._plugins = list(commands)
            for plugin, command in commands.items():
                self._loaded.setdefault(plugin, command)

    def _order(self) -> list[str]:
        for name in [*_COMMANDS, "", *_GROUPS]:  # "" names no command: it loads the add-ons
            self._load(name)
        order = [*_COMMANDS, *(self._plugins or []), *self._root, *_GROUPS]
        order += [name for name in self._loaded if name not in order]  # added later (add_command)
        return list(dict.fromkeys(name for name in order if name in self._loaded))

    def __getitem__(self, name: str) -> Any:
        self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._load(name)
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order())

    def __len__(self) -> int:
        return len(self._order())


class _Root(TyperGroup):
    """The root command group, whose sub-commands load when named (see `_Commands`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)


class _Program(typer.Typer):
    """The root command. Run as the program (no arguments: the command line is `sys.argv`), it
    ends by raising SystemExit and the process exits next; every object still alive is then
    moved out of the garbage collector's sight (`gc.freeze`), so the interpreter's shutdown does
    not walk the object graphs of Polars, pydantic and Typer once more (~50 ms of every run).
    Shutdown itself (atexit handlers, flushing, closing files) happens as before. Called with
    arguments (tests, other programs), nothing changes."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit:
            if not args and "args" not in kwargs:
                gc.freeze()
            raise


app = _Program(
    name="carbonbridge",
    help="GHG MRV, national inventory, allowance registry and linked emissions trading (BY/CN). "
    "The CLI is an administrator's local tool: it acts with direct database access (--by names who acts); "
    "other users work through the HTTP API (carbonbridge serve), where the signed-in principal acts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=_Root,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carbonbridge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    database: Annotated[
        str | None,
        typer.Option("--db", help="Database URL or SQLite file (default: $CARBONBRIDGE_DB or ./carbonbridge.db)"),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
    problems: Annotated[
        str,
        typer.Option(
            "--problems",
            help="How rejected input is reported on stderr: text (FILE:LINE:COLUMN: message) or json "
            "(one object a line: file, line, column, field, message, expected)",
        ),
    ] = "text",
) -> None:
    if problems not in errors.PROBLEM_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(errors.PROBLEM_FORMATS)}", param_hint="--problems")
    errors.problem_format = problems
    ctx.obj = {"db": database}


@app.command()
def jurisdictions() -> None:
    """List the configured jurisdictions."""
    from rich.console import Console
    from rich.table import Table

    from carbonbridge.entrypoints.bootstrap import configuration

    table = Table("code", "name", "currency", "GWP set", "method pack", "time zone")
    with cli_errors():
        config = configuration()
        for code in sorted(config.jurisdictions):
            j = config.jurisdiction(code)
            table.add_row(j.code, j.name, j.currency, j.gwp_set, j.method_pack, j.timezone)
    Console().print(table)


if __name__ == "__main__":
    app()
