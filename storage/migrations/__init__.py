"""Alembic migrations of the bot's schema."""
