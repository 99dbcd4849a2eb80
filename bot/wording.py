"""The bot's fixed words that every front end shows alike: button labels and form fields.

Plain text, no chat markup: each front end writes them its own way (Slack's Block Kit, Teams'
Adaptive Cards), so the words a person reads are the same whichever chat they use.
"""

from __future__ import annotations

# The guide's buttons.
CHOOSE = "Choose"
WORKED = "That worked"
NOT_WORKED = "That didn't work"
CONTACT_IT = "Contact IT"
BACK = "Back"
START_OVER = "Start over"
