"""mfa-helpdesk: a Slack bot for two-step verification help and the IT help desk's MFA resets."""

__version__ = "0.1.0"
