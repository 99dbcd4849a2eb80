"""`python -m bot` is the same as `mfa-helpdesk`."""

import sys

from bot.cli import main

sys.exit(main())
