"""Calibration: fit free parameters to patterns and observed series with ABC-SMC (pyabc), and keep
the accepted particles as a named posterior ensemble in the results database."""

from simulation.calibration.loader import (
    Calibration,
    CalibrationError,
    load_calibration,
    validate_calibration,
)
from simulation.storage.ensembles import load_posterior

__all__ = [
    "Calibration",
    "CalibrationError",
    "load_calibration",
    "load_posterior",
    "run_calibration",
    "validate_calibration",
]


def __getattr__(name: str):
    if name == "run_calibration":  # pyabc loads only when a calibration runs
        from simulation.calibration.run import run_calibration

        return run_calibration
    raise AttributeError(f"module 'simulation.calibration' has no attribute {name!r}")
