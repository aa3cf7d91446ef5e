"""Alembic environment: the engine comes from the caller (carbonbridge.adapters.db.migrate)."""

from __future__ import annotations

from alembic import context

import carbonbridge.adapters.db.auth_models
import carbonbridge.adapters.db.compliance_models
import carbonbridge.adapters.db.inventory_models  # noqa: F401  (inventory tables for autogenerate)
from carbonbridge.adapters.db import link_models, market_models, registry_models  # noqa: F401  (registers the tables)
from carbonbridge.adapters.db.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
