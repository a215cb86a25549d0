"""The ``ocsim`` command line (Typer + Rich)."""

from simulation.cli.app import app, main

__all__ = ["app", "main"]
