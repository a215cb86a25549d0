"""Analyses of finished runs: pure functions over metrics frames and snapshots (numpy/pandas only).

The model is never imported here, so results loaded from storage can be analysed without Mesa.
"""

from simulation.analysis.displacement import (
    DisplacementResult,
    WDQResult,
    activity_by_zone,
    displacement_masks,
    displacement_ratio,
    wdq_from_totals,
    weighted_displacement_quotient,
)
from simulation.analysis.event_study import event_study, window_change, window_effect
from simulation.analysis.paired import PairedEffect, paired_effect

__all__ = [
    "DisplacementResult",
    "PairedEffect",
    "WDQResult",
    "activity_by_zone",
    "displacement_masks",
    "displacement_ratio",
    "event_study",
    "paired_effect",
    "wdq_from_totals",
    "weighted_displacement_quotient",
    "window_change",
    "window_effect",
]
