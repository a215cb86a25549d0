"""Decision modifiers: the named parameters inside agents' decisions that strategy levers move.

Every field is a multiplier on one term of one decision, neutral (1.0) in the baseline. Levers
(the scenario's ``strategy:``) will set them each step; nothing else may, so a strategy can only
change how agents decide, never an outcome directly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class DecisionModifiers:
    detection: float = 1.0
    """Police detection hazard per unit effort (policing.detection_hazard)."""
    interdiction: float = 1.0
    """Seizure hazard per unit effort on a route cell (policing.seizure_hazard)."""
    insulation: float = 1.0
    """Share of detection leaders/lieutenants avoid (policing.arrest_members)."""
    confiscation: float = 1.0
    """Share of a group's assets taken after a senior conviction (policing.confiscate)."""
    cooperation: float = 1.0
    """Chance an arrest trail across the border becomes a joint operation."""
    identification: float = 1.0
    """Victim identification hazard per unit effort (victimisation.victim_transitions)."""
    witness: float = 1.0
    """Chance an identified victim testifies."""
    support: float = 1.0
    """Chance an identified victim enters support."""
    compensation: float = 1.0
    """Chance a supported victim is compensated when the fund allows."""
    official_detection: float = 1.0
    """Hazard a corrupt official is caught (and the risk officials weigh against bribes)."""
    exit: float = 1.0
    """Members' monthly exit hazard (Member.exit_probability)."""
    reoffend: float = 1.0
    """Released prisoners' propensity to re-offend (Member.reoffend_probability)."""

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, 1.0)
