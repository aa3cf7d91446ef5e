"""The one composition root: database URL -> engine -> sessions, with a schema check; the
configuration of every jurisdiction, read once here (CARBONBRIDGE_CONFIG names the override
folder) and handed to the use cases as a `Jurisdiction`; and the link's signing key file
(CARBONBRIDGE_LINK_KEY), read here and handed in through `App.signing_key`."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from carbonbridge.adapters.config import config_override_dir, load_config
from carbonbridge.domain.errors import CarbonBridgeError
from carbonbridge.domain.jurisdiction import Config, Jurisdiction

if TYPE_CHECKING:  # SQLAlchemy is imported when an app is built: a command without a database skips it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

LINK_KEY_VARIABLE = "CARBONBRIDGE_LINK_KEY"


class SchemaOutOfDate(CarbonBridgeError):
    """The database is missing or behind the code's migrations."""


@dataclass(frozen=True)
class App:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    config: Config
    link_key_file: Path | None  # CARBONBRIDGE_LINK_KEY: this registry's Ed25519 seed file (None: the demo key)

    def jurisdiction(self, code: str) -> Jurisdiction:
        """The configured jurisdiction (NotFound for an unknown code)."""
        return self.config.jurisdiction(code)

    def signing_key(self, own: str) -> Ed25519PrivateKey:
        """This registry's link signing key: the seed in `link_key_file`, or the agreement's demo key."""
        from carbonbridge.services.link_config import signing_key

        return signing_key(own.upper(), self.link_key_file)


def link_key_file() -> Path | None:
    """The file named by CARBONBRIDGE_LINK_KEY, if set: the one place that reads it."""
    value = os.environ.get(LINK_KEY_VARIABLE)
    return Path(value) if value else None


def configuration() -> Config:
    """The jurisdictions' configuration, for a command that needs no database (a plan, the caps)."""
    return load_config(config_override_dir())


def utcnow() -> dt.datetime:
    """The clock adapter: the only place that reads the time."""
    return dt.datetime.now(dt.UTC)


@cache
def bootstrap(url: str | None = None, *, upgrade: bool = False, check: bool = True) -> App:
    """The CLI's application for a URL, built once per process."""
    return build_app(url, upgrade=upgrade, check=check)


def build_app(
    url: str | None = None,
    *,
    upgrade: bool = False,
    check: bool = True,
    pool_size: int | None = None,
    config: Config | None = None,
) -> App:
    """Engine and sessions for `url`; migrate first (`upgrade`) or refuse an old schema (`check`).
    `pool_size`: connections the pool keeps (a server with many threads keeps more, so that a busy
    moment does not open and close a connection per request). `config`: the jurisdictions'
    configuration; by default read from the shipped files and the CARBONBRIDGE_CONFIG folder, so
    that a broken file is refused at start-up (ValidationFailed naming every file and field)."""
    config = config or configuration()
    from carbonbridge.adapters.db import migrate
    from carbonbridge.adapters.db.engine import database_url, make_engine, session_factory

    resolved = database_url(url)
    engine = make_engine(resolved, **({"pool_size": pool_size} if pool_size else {}))
    if upgrade:
        migrate.upgrade(engine)
    elif check:
        heads = migrate.heads()
        if migrate.current(engine) != heads:
            raise SchemaOutOfDate(
                f"database {engine.url.render_as_string(hide_password=True)} is not at the current schema; "
                "run 'carbonbridge db upgrade' (with the same --db)"
            )
    return App(resolved, engine, session_factory(engine), config, link_key_file())
