"""The Microsoft Teams front end: Adaptive Cards, Universal Actions and the Bot Connector."""
