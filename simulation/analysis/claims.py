"""Judge a claim of a theory of success from paired replications: estimate, interval, verdict.

Each replication of the strategy is paired with the replication of its comparison that shares
its seed (common random numbers). The estimate is computed from the replications' window means
(or, for displacement, window sums pooled across replications); its interval is a paired
bootstrap over replications (``scipy.stats.bootstrap``, BCa, falling back to percentiles when
BCa is undefined). With confidence c, the interval runs from the (1 - c) to the c quantile, so
each end is a one-sided bound at level c:

* HOLDS: the whole interval is on the claimed side of the threshold;
* FAILS: the whole interval is on the other side;
* INCONCLUSIVE: the interval straddles the threshold. The replications likely to settle it are
  estimated from the interval's half-width h and the distance d of the estimate from the
  threshold: about n (h / d)^2 in all, since the half-width shrinks with the square root of n.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from simulation.analysis.displacement import ratios_from_deltas, wdq_from_totals
from simulation.formatting import format_claim_value
from simulation.scenario.claims import Claim

Verdict = Literal["HOLDS", "FAILS", "INCONCLUSIVE"]
RESAMPLES = 2000
_ZONES = ("target", "buffer", "control", "other_jurisdictions")


@dataclass(frozen=True)
class ClaimVerdict:
    """The judgement of one claim."""

    claim: str
    metric: str
    compare: str
    window: tuple[int, int]
    kind: str
    threshold: float
    wants_below: bool
    confidence: float
    estimate: float
    low: float
    high: float
    verdict: Verdict
    replications: int
    more_replications: int | None
    note: str = ""

    def describe(self) -> str:
        """One plain-language line for a terminal or a report."""
        side = "≤" if self.wants_below else "≥"
        text = (
            f"{self.verdict}: {self.claim} — estimate {format_claim_value(self.estimate, self.kind)} "
            f"[{format_claim_value(self.low, self.kind)}, {format_claim_value(self.high, self.kind)}] "
            f"at {self.confidence:.0%}, needs {side} {format_claim_value(self.threshold, self.kind)} "
            f"({self.replications} paired replications)"
        )
        if self.more_replications:
            text += f"; about {self.more_replications} more replications would likely settle it"
        if self.note:
            text += f"; {self.note}"
        return text

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["window"] = list(self.window)
        return record


def window_values(frame: pd.DataFrame, metric: str, window: tuple[int, int], how: str = "mean") -> pd.Series:
    """Per replication, the metric aggregated over the window months (index: replication)."""
    first, last = window
    inside = frame[(frame["step"] >= first) & (frame["step"] <= last)]
    if inside.empty:
        raise ValueError(f"no months {first}-{last} in the runs (they have {int(frame['step'].max())})")
    if metric not in inside.columns:
        raise ValueError(f"the runs did not record {metric!r}")
    grouped = inside.groupby("replication")[metric]
    return grouped.mean() if how == "mean" else grouped.sum()


def claim_data(
    claim: Claim, strategy: pd.DataFrame, comparison: pd.DataFrame | None
) -> tuple[tuple[np.ndarray, ...], Callable[..., float]]:
    """Paired per-replication arrays and the statistic that turns them into the estimate."""
    if claim.metric in ("displacement_ratio", "cross_border_share", "wdq"):
        return displacement_data(claim.metric, strategy, _require(comparison, claim), claim.window)
    x = window_values(strategy, claim.metric, claim.window)
    kind = claim.change.kind
    if kind == "level":
        return (x.to_numpy(),), _mean
    if claim.compare == "start":
        b = window_values(strategy, claim.metric, claim.baseline_window)
    else:
        b = window_values(_require(comparison, claim), claim.metric, claim.window)
    x, b = x.align(b, join="inner")
    if kind == "absolute":
        return (x.to_numpy() - b.to_numpy(),), _mean
    return (x.to_numpy(), b.to_numpy()), _relative_change


def _require(comparison: pd.DataFrame | None, claim: Claim) -> pd.DataFrame:
    if comparison is None:
        raise ValueError(f"claim {claim.claim!r} needs its comparison runs ({claim.compare})")
    return comparison


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x))


def _relative_change(x: np.ndarray, b: np.ndarray) -> float:
    base = float(np.mean(b))
    return float(np.mean(x)) / base - 1.0 if base != 0 else math.nan


def displacement_data(
    metric: str, strategy: pd.DataFrame, comparison: pd.DataFrame, window: tuple[int, int]
) -> tuple[tuple[np.ndarray, ...], Callable[..., float]]:
    """Per-replication window sums of each displacement area, and the pooled measure as statistic.

    ``metric`` is displacement_ratio, cross_border_share or wdq (counterfactual design).
    """
    columns = [f"activity_{zone}" for zone in _ZONES]
    missing = [c for c in columns if c not in strategy.columns]
    if missing:
        raise ValueError(f"metric {metric} needs a scenario with a displacement section (missing {missing})")
    s = {z: window_values(strategy, f"activity_{z}", window, "sum") for z in _ZONES}
    c = {z: window_values(comparison, f"activity_{z}", window, "sum") for z in _ZONES}
    common = s["target"].index.intersection(c["target"].index)
    arrays = tuple(s[z].loc[common].to_numpy() for z in _ZONES) + tuple(
        c[z].loc[common].to_numpy() for z in _ZONES
    )

    def statistic(*columns: np.ndarray) -> float:
        # Totals over the window and the replications, through the displacement module's arithmetic.
        s_tot = dict(zip(_ZONES, (float(np.sum(col)) for col in columns[: len(_ZONES)]), strict=True))
        c_tot = dict(zip(_ZONES, (float(np.sum(col)) for col in columns[len(_ZONES) :]), strict=True))
        if metric == "wdq":
            return wdq_from_totals(
                target_before=c_tot["target"], buffer_before=c_tot["buffer"], control_before=c_tot["control"],
                target_after=s_tot["target"], buffer_after=s_tot["buffer"], control_after=s_tot["control"],
            ).wdq  # fmt: skip
        scale = sum(abs(s_tot[z]) + abs(c_tot[z]) for z in ("target", "buffer", "control"))
        ratio, _, _, share, _, _ = ratios_from_deltas(*(s_tot[z] - c_tot[z] for z in _ZONES), scale=scale)
        return ratio if metric == "displacement_ratio" else share

    return arrays, statistic


def bootstrap_interval(
    arrays: tuple[np.ndarray, ...],
    statistic: Callable[..., float],
    confidence: float,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[float, float]:
    """Paired bootstrap interval whose ends are one-sided bounds at ``confidence``."""
    level = 2 * confidence - 1
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                arrays,
                statistic,
                paired=True,
                vectorized=False,
                confidence_level=level,
                n_resamples=resamples,
                method=method,
                rng=np.random.default_rng(seed),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if not (math.isnan(low) or math.isnan(high)):
            return low, high
        if np.all(np.isfinite(result.bootstrap_distribution)) and np.ptp(result.bootstrap_distribution) == 0:
            value = float(result.bootstrap_distribution.flat[0])
            return value, value
    return math.nan, math.nan


def judge_claim(
    claim: Claim,
    strategy: pd.DataFrame,
    comparison: pd.DataFrame | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> ClaimVerdict:
    """HOLDS / FAILS / INCONCLUSIVE for one claim from paired replications (see module docstring).

    ``strategy`` and ``comparison`` are tidy metric frames with ``replication`` and ``step``
    columns and one column per indicator; replications are paired by their number.
    """
    arrays, statistic = claim_data(claim, strategy, comparison)
    n = len(arrays[0])
    threshold, below = claim.change.threshold, claim.change.wants_below
    base = {
        "claim": claim.claim,
        "metric": claim.metric,
        "compare": claim.compare,
        "window": tuple(claim.window),
        "kind": claim.change.kind,
        "threshold": threshold,
        "wants_below": below,
        "confidence": claim.confidence,
        "replications": n,
    }
    estimate = statistic(*arrays) if n else math.nan
    if n < 2 or math.isnan(estimate):
        note = "an interval needs at least 2 paired replications" if n < 2 else "the estimate is undefined"
        if claim.metric in ("displacement_ratio", "cross_border_share", "wdq") and n >= 2:
            note += " (the target's activity did not fall, so nothing was displaced)"
        return ClaimVerdict(**base, estimate=estimate, low=math.nan, high=math.nan, verdict="INCONCLUSIVE",
                            more_replications=None, note=note)  # fmt: skip
    low, high = bootstrap_interval(arrays, statistic, claim.confidence, seed, resamples)
    if math.isnan(low):
        return ClaimVerdict(**base, estimate=estimate, low=low, high=high, verdict="INCONCLUSIVE",
                            more_replications=None, note="the bootstrap interval is undefined")  # fmt: skip
    if (high <= threshold) if below else (low >= threshold):
        verdict: Verdict = "HOLDS"
    elif (low > threshold) if below else (high < threshold):
        verdict = "FAILS"
    else:
        verdict = "INCONCLUSIVE"
    more = _more_replications(n, estimate, low, high, threshold) if verdict == "INCONCLUSIVE" else None
    note = (
        "the estimate sits on the threshold; more replications will not settle it"
        if verdict == "INCONCLUSIVE" and more is None
        else ""
    )
    return ClaimVerdict(**base, estimate=estimate, low=low, high=high, verdict=verdict,
                        more_replications=more, note=note)  # fmt: skip


def _more_replications(n: int, estimate: float, low: float, high: float, threshold: float) -> int | None:
    distance = abs(estimate - threshold)
    half_width = (high - low) / 2
    if distance <= 1e-12 * max(1.0, abs(threshold)) or half_width <= 0:
        return None
    needed = math.ceil(n * (half_width / distance) ** 2)
    return max(needed - n, 1)
