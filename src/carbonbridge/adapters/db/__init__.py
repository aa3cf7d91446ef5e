"""SQLAlchemy storage: models, engine, unit of work and Alembic migrations."""
