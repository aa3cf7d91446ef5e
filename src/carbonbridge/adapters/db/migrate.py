"""Run Alembic migrations shipped inside the package (`carbonbridge db upgrade`)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import Engine


def _config(engine: Engine | None) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("carbonbridge.adapters.db") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Create or migrate the schema to the newest revision of every branch."""
    from alembic import command

    command.upgrade(_config(engine), revision)  # type: ignore[arg-type]


def current(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def heads() -> set[str]:
    """The head revisions that the shipped migrations define."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_config(None)).get_heads())  # type: ignore[arg-type]
