"""Pure renderers: core objects in, slack_sdk.models blocks and views out."""
