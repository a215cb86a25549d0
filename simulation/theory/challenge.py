"""``ocsim challenge``: where in the space of uncertain assumptions does each claim break?

The ``assumptions:`` ranges are sampled (Latin hypercube, or a Sobol'/Morris design when
sensitivity indices are wanted); at every point the strategy and its comparisons run with paired
seeds and each claim's estimate is computed. Then, per claim:

* the share of sampled points where the estimate meets the claim;
* scenario discovery with PRIM (EMA Workbench) on the points where it fails: the box of
  assumptions that concentrates the failures, stated in plain language;
* feature scores (extra trees, EMA Workbench) of how much each assumption moves the estimate;
* on request, Sobol' (S1, ST) or Morris (mu*, sigma) indices from SALib.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulation.analysis.claims import claim_data
from simulation.experiments import ExperimentSpec, SweepSummary, run_experiment
from simulation.experiments.design import design_points, salib_problem
from simulation.experiments.loader import validate_experiment
from simulation.experiments.sweep import ProgressCallback
from simulation.scenario import ScenarioError
from simulation.scenario.claims import Claim
from simulation.storage import ResultsStore
from simulation.storage.ledger import store_finding
from simulation.theory.setup import ClaimSetup, claim_setup, safe_name

Sensitivity = Literal["sobol", "morris"]
COVERAGE_TARGET = 0.8
"""PRIM box chosen: the densest box on the peeling trajectory that still covers this share of failures."""
MIN_POINTS_FOR_BOX = 10
"""Fewer sampled points than this are too few to draw a PRIM box with any confidence (a warning)."""
WEAK_BOX_FAILURES = 5
"""A box holding fewer failing points than this is marked weak: one or two points can make it."""


@dataclass
class ClaimChallenge:
    """What the challenge found for one claim."""

    claim: str
    metric: str
    threshold: float
    wants_below: bool
    points: int
    share_holding: float
    statement: str
    box: dict[str, dict[str, float]] = field(default_factory=dict)
    """Restricted assumptions of the PRIM box: path -> {low, high}."""
    box_coverage: float | None = None
    box_density: float | None = None
    failures: int = 0
    """Sampled points where the claim fails (its estimate misses the threshold, or is missing)."""
    box_failures: int = 0
    """Failing points inside the PRIM box."""
    box_weak: bool = False
    """The box rests on fewer than ``WEAK_BOX_FAILURES`` failing points."""
    warnings: list[str] = field(default_factory=list)
    feature_scores: dict[str, float] = field(default_factory=dict)
    sensitivity: dict[str, dict[str, float]] = field(default_factory=dict)
    """Index name (S1, ST or mu_star, sigma) -> assumption -> value."""

    @property
    def deciding_assumptions(self) -> list[str]:
        """Assumptions in the PRIM box first (by feature score), then the rest by score."""
        ranked = sorted(self.feature_scores, key=self.feature_scores.get, reverse=True)  # type: ignore[arg-type]
        boxed = [a for a in ranked if a in self.box]
        return boxed + [a for a in ranked if a not in self.box]


@dataclass
class ChallengeResult:
    experiment: str
    sweep: SweepSummary
    claims: list[ClaimChallenge]
    points: pd.DataFrame
    """One row per sampled point: the assumption values, and per claim ``estimate_<i>`` and ``holds_<i>``."""
    ensemble: str | None = None
    """The posterior ensemble the calibrated parameters were drawn from (``--ensemble``)."""
    calibrated: list[str] = field(default_factory=list)
    """Parameters drawn from the ensemble at each point (columns of ``points`` too)."""
    dropped: list[str] = field(default_factory=list)
    """Assumptions of the scenario not sampled by the design because the ensemble calibrates them."""


def challenge_spec(
    setup: ClaimSetup,
    samples: int,
    replications: int,
    seed: int,
    sensitivity: Sensitivity | None,
    exclude: Collection[str] = (),
) -> ExperimentSpec:
    """The challenge's design over the scenario's assumptions, leaving out those in ``exclude``
    (the parameters a posterior ensemble supplies)."""
    assumptions = {p: r for p, r in setup.scenario.assumptions.items() if p not in exclude}
    if not assumptions:
        problem = (
            "assumptions: every assumption is calibrated by the ensemble, so none is left to sample; "
            "judge the claims across the posterior with `ocsim test --ensemble`"
            if setup.scenario.assumptions
            else "assumptions: the scenario lists no assumptions to challenge"
        )
        raise ScenarioError(setup.source, [problem])
    both = [path for path in setup.overrides if path in assumptions]
    if both:
        raise ScenarioError(
            setup.source,
            [
                f"--set {path}: {path} is an assumption the challenge samples; a setting is either "
                "fixed (--set) or sampled (assumptions), not both"
                for path in both
            ],
        )
    design: dict[str, Any] = {"type": sensitivity or "lhs", "samples": samples}
    return validate_experiment(
        {
            "name": f"challenge.{safe_name(setup.label)}",
            "description": f"challenge of the claims of {setup.source}",
            "scenarios": [i.source for i in setup.inputs],
            "replications": replications,
            "seed": seed,
            "design": design,
            "parameters": {path: r.model_dump() for path, r in assumptions.items()},
        },
        f"{setup.source} (challenge with --samples {samples})",
    )


def claim_estimate(claim: Claim, strategy: pd.DataFrame, comparison: pd.DataFrame | None) -> float:
    arrays, statistic = claim_data(claim, strategy, comparison)
    return statistic(*arrays) if len(arrays[0]) else math.nan


def meets(claim: Claim, estimate: float) -> bool:
    if math.isnan(estimate):
        return False
    threshold = claim.change.threshold
    return estimate <= threshold if claim.change.wants_below else estimate >= threshold


def claim_estimates(
    setup: ClaimSetup,
    by_scenario: Mapping[str, pd.DataFrame],
    named: Callable[[str], str] = str,
) -> dict[str, Any]:
    """Every claim's ``estimate_<i>`` and ``holds_<i>`` from the runs of one point, by scenario
    name; ``named`` turns the strategy's and comparisons' labels into the names they run under."""
    row: dict[str, Any] = {}
    strategy = by_scenario.get(named(setup.label))
    for i, claim in enumerate(setup.scenario.theory_of_success):
        label = setup.comparison_for(claim.compare)
        comparison = by_scenario.get(named(label)) if label else None
        missing = strategy is None or (label is not None and comparison is None)
        estimate = math.nan if missing else claim_estimate(claim, strategy, comparison)
        row[f"estimate_{i}"] = estimate
        row[f"holds_{i}"] = meets(claim, estimate)
    return row


def point_estimates(setup: ClaimSetup, metrics: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """Per design point, the assumption values and every claim's estimate and whether it holds."""
    names = list(spec.parameters)
    rows = []
    for point, at_point in metrics.groupby("point", sort=True):
        by_scenario = {name: frame for name, frame in at_point.groupby("scenario")}
        row: dict[str, Any] = {"point": int(point), **{n: float(at_point[n].iloc[0]) for n in names}}
        rows.append({**row, **claim_estimates(setup, by_scenario)})
    return pd.DataFrame(rows)


def _prim_box(x: pd.DataFrame, fails: np.ndarray) -> tuple[dict[str, dict[str, float]], float, float] | None:
    """The PRIM box around failures: restricted assumptions with limits, coverage, density."""
    if fails.all() or not fails.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        found = prim.Prim(x.astype(float), fails.astype(bool), peel_alpha=0.1)
        box = found.find_box()
    trajectory = box.peeling_trajectory
    covering = trajectory[trajectory["coverage"] >= COVERAGE_TARGET]
    chosen = covering if not covering.empty else trajectory
    best = chosen.sort_values(["density", "res_dim"], ascending=[False, True]).index[0]
    limits, initial = box.box_lims[best], box.box_lims[0]
    restricted = {}
    for name in x.columns:
        low, high = float(limits.loc[0, name]), float(limits.loc[1, name])
        if low > float(initial.loc[0, name]) or high < float(initial.loc[1, name]):
            restricted[name] = {"low": low, "high": high, "range_low": float(initial.loc[0, name]),
                                "range_high": float(initial.loc[1, name])}  # fmt: skip
    return restricted, float(trajectory.loc[best, "coverage"]), float(trajectory.loc[best, "density"])


def _feature_scores(x: pd.DataFrame, estimates: np.ndarray, seed: int) -> dict[str, float]:
    valid = ~np.isnan(estimates)
    if valid.sum() < 4 or np.ptp(estimates[valid]) == 0:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

        scores, _ = feature_scoring.get_ex_feature_scores(
            x[valid].astype(float).reset_index(drop=True),
            estimates[valid],
            mode=RuleInductionType.REGRESSION,
            # EMA's default, a third of the assumptions rounded, is 0 for one or two of them
            max_features=max(1, round(x.shape[1] / 3)),
            random_state=seed % 2**31,
        )
    column = scores.columns[0]
    return {str(name): float(value) for name, value in scores[column].items()}


def _sensitivity(
    kind: Sensitivity | None, spec: ExperimentSpec, x: pd.DataFrame, estimates: np.ndarray
) -> dict[str, dict[str, float]]:
    expected = len(design_points(spec))
    if kind is None or np.isnan(estimates).any() or len(estimates) != expected:
        return {}  # indices need every design point (failed runs leave holes)
    problem = salib_problem(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "sobol":
            from SALib.analyze import sobol

            result = sobol.analyze(problem, estimates, calc_second_order=spec.design.second_order)
            keys = ("S1", "ST")
        else:
            from SALib.analyze import morris

            result = morris.analyze(
                problem, x.to_numpy(dtype=float), estimates, num_levels=spec.design.levels
            )
            keys = ("mu_star", "sigma")
    return {k: {n: float(v) for n, v in zip(problem["names"], result[k], strict=True)} for k in keys}


def describe_box(box: dict[str, dict[str, float]], order: list[str]) -> str:
    """'fails when risk aversion < 0.35 and demand elasticity > -0.4' from PRIM limits."""
    parts = []
    for name in [n for n in order if n in box] or list(box):
        lim = box[name]
        label = name.rsplit(".", 1)[-1].replace("_", " ")
        raised, lowered = lim["low"] > lim["range_low"], lim["high"] < lim["range_high"]
        if raised and lowered:
            parts.append(f"{lim['low']:.3g} < {label} < {lim['high']:.3g}")
        elif raised:
            parts.append(f"{label} > {lim['low']:.3g}")
        else:
            parts.append(f"{label} < {lim['high']:.3g}")
    return " and ".join(parts)


def analyse_claims(
    setup: ClaimSetup,
    points: pd.DataFrame,
    spec: ExperimentSpec,
    sensitivity: Sensitivity | None,
    seed: int,
    also: Collection[str] = (),
) -> list[ClaimChallenge]:
    """``also``: columns of ``points`` outside the design (posterior draws) that scenario discovery
    and feature scores consider too; sensitivity indices need the design and leave them out."""
    designed = points[list(spec.parameters)]
    x = points[[*spec.parameters, *also]]
    found = []
    for i, claim in enumerate(setup.scenario.theory_of_success):
        estimates = points[f"estimate_{i}"].to_numpy(dtype=float)
        holds = points[f"holds_{i}"].to_numpy(dtype=bool)
        share = float(holds.mean()) if len(holds) else math.nan
        failures = int((~holds).sum())
        # Feature scores explain what moves a claim towards failure: none for a claim that never fails.
        scores = _feature_scores(x, estimates, seed + i) if failures else {}
        prim_box = _prim_box(x, ~holds)
        finding = ClaimChallenge(
            claim=claim.claim,
            metric=claim.metric,
            threshold=claim.change.threshold,
            wants_below=claim.change.wants_below,
            points=len(points),
            share_holding=share,
            statement="",
            feature_scores=scores,
            sensitivity=_sensitivity(sensitivity, spec, designed, estimates),
            failures=failures,
        )
        if prim_box is not None:
            finding.box, finding.box_coverage, finding.box_density = prim_box
            finding.box_failures = round(finding.box_coverage * failures)
            finding.box_weak = finding.box_failures < WEAK_BOX_FAILURES
        if 0 < failures < len(points) and len(points) < MIN_POINTS_FOR_BOX:
            finding.warnings.append(
                f"only {len(points)} assumption points: too few to draw a PRIM box with confidence "
                f"(use --samples {MIN_POINTS_FOR_BOX} or more)"
            )
        if finding.box_weak:
            finding.warnings.append(
                f"weak box: it rests on {finding.box_failures} failing point(s) (fewer than "
                f"{WEAK_BOX_FAILURES}); sample more points before trusting it"
            )
        finding.statement = _statement(finding)
        found.append(finding)
    return found


def _statement(finding: ClaimChallenge) -> str:
    share = (
        f"holds at {finding.share_holding:.0%} of {finding.points} sampled assumption points "
        f"(fails at {finding.failures})"
    )
    if finding.share_holding == 1.0:
        return f"{share}: no sampled assumptions break it"
    if finding.share_holding == 0.0:
        return f"{share}: it fails everywhere in the assumption space"
    if not finding.box:
        return f"{share}; no compact region of failure was found"
    where = describe_box(finding.box, finding.deciding_assumptions)
    weak = f"; weak: only {finding.box_failures} failing point(s) in the box" if finding.box_weak else ""
    return (
        f"{share}; fails when {where} ({finding.box_coverage:.0%} of failures lie there, "
        f"{finding.box_density:.0%} of points there fail{weak})"
    )


def run_challenge(
    path: str | Path,
    samples: int,
    replications: int = 2,
    seed: int = 1,
    db: str | None = None,
    executor: str = "local",
    workers: int | None = None,
    sensitivity: Sensitivity | None = None,
    progress: ProgressCallback | None = None,
    setup: ClaimSetup | None = None,
    overrides: dict[str, Any] | None = None,
) -> ChallengeResult:
    """Sample the assumptions, run paired strategy and comparisons at each point, analyse each claim.

    ``overrides`` (dotted paths -> values, ``steps`` too) are fixed for every run; they may not
    name a sampled assumption.
    """
    setup = setup or claim_setup(path, overrides=overrides)
    spec = challenge_spec(setup, samples, replications, seed, sensitivity)
    sweep = run_experiment(
        spec, executor=executor, db=db, workers=workers, progress=progress, scenarios=setup.inputs
    )
    with ResultsStore(db) as store:
        metrics = store.load_metrics(experiment=spec.name)
        points = point_estimates(setup, metrics, spec)
        claims = analyse_claims(setup, points, spec, sensitivity, seed)
        store_finding(
            store,
            spec.name,
            "challenge",
            {
                "scenario": setup.label,
                "samples": samples,
                "replications": replications,
                "design": spec.design.model_dump(),
                "claims": [asdict(c) for c in claims],
                "points": points.to_dict(orient="list"),
            },
        )
    return ChallengeResult(spec.name, sweep, claims, points)
