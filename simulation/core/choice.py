"""Bounded-rational discrete choice, shared by every agent that picks among options."""

from __future__ import annotations

import numpy as np


def choose_with_outside_option(
    scores: np.ndarray, rationality: float, limit: int, rng: np.random.Generator, scale: float
) -> np.ndarray:
    """Indices of up to ``limit`` options preferred to doing nothing (score 0).

    A multinomial-logit chooser (Gumbel noise on ``rationality * score / scale``, where ``scale``
    is the money at stake in one typical option): with large rationality only options with a
    positive expected net gain are taken, best first; with rationality 0 choices are random,
    which is how a challenge team weakens the assumption that groups are rational.
    """
    if scores.size == 0 or limit <= 0:
        return np.array([], dtype=int)
    utility = rationality * scores / scale + rng.gumbel(size=scores.size)
    outside = rng.gumbel()
    better = np.nonzero(utility > outside)[0]
    order = better[np.argsort(-utility[better], kind="stable")]
    return order[:limit]
