"""Stand-ins for what lies outside the core: fake servers on loopback, in-process port doubles."""
