"""Strategy levers: the catalogue (what each lever is) and their application each month."""

from simulation.core.levers.catalogue import LEVERS, LEVERS_BY_NAME, PRINCIPLES, Lever, levers_of

__all__ = ["LEVERS", "LEVERS_BY_NAME", "PRINCIPLES", "Lever", "levers_of"]
