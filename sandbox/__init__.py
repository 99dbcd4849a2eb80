"""
A local workspace that plays Slack for the bot, in the browser: for trying it, not for production.
"""
