"""Fake servers on loopback that stand in for what lies outside the process."""
