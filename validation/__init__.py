"""Checks of the model against observed patterns (docs/patterns.md)."""
