"""SQLAlchemy 2.x async storage: models, engine, repositories and Alembic migrations."""
