"""The core: decisions only, no Slack, SQLAlchemy or aiohttp imports."""
