"""The ``ocsim`` command line (Typer + Rich)."""

from simulation.cli import calibration as _calibration  # noqa: F401  (registers calibrate, ensembles)
from simulation.cli import experiments as _experiments  # noqa: F401  (registers sweep, runs, export)
from simulation.cli import theory as _theory  # noqa: F401  (registers test)
from simulation.cli.app import app, main

__all__ = ["app", "main"]
