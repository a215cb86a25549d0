"""A challenge on top of a posterior: ``ocsim challenge SCENARIO --ensemble NAME``.

The calibration has narrowed some parameters to a posterior; the challenge asks where the claims
break in the assumptions that remain uncertain. So:

- the scenario's assumptions that the ensemble calibrates are **dropped** from the challenge's
  design (a parameter is either drawn from the posterior or sampled from a range, not both);
- the remaining assumptions are sampled as ``ocsim challenge`` samples them (Latin hypercube, or
  a Sobol'/Morris design with ``--sensitivity``), from the same seed;
- at every sampled point one particle is drawn from the posterior by weight (with replacement,
  seeded from the challenge's seed: the same command gives the same draws), and all the
  ensemble's parameters take its values there;
- at every point the strategy and each comparison run with the same replication seeds, and each
  claim's estimate is judged as in ``ocsim challenge``. Scenario discovery (PRIM) and feature
  scores consider the posterior's parameters too, since they vary from point to point; Sobol' or
  Morris indices cover the designed assumptions only.

Each point's values are written into its own copy of the strategy and its comparisons (named
``<scenario> [point i]``), so the runs are an ordinary stored, resumable experiment,
``challenge.<scenario>.<ensemble>``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.calibration.verdicts import draw_parameters, plain_values
from simulation.experiments import ExperimentSpec, run_experiment
from simulation.experiments.design import design_points
from simulation.experiments.plan import ScenarioInput
from simulation.experiments.sweep import ProgressCallback
from simulation.scenario import ScenarioError
from simulation.scenario.loader import apply_overrides
from simulation.storage import ResultsStore
from simulation.storage.ensembles import posterior_frame
from simulation.storage.ledger import store_finding
from simulation.theory.challenge import (
    ChallengeResult,
    Sensitivity,
    analyse_claims,
    challenge_spec,
    claim_estimates,
)
from simulation.theory.setup import ClaimSetup, claim_setup, safe_name


@dataclass
class EnsembleChallengePlan:
    """What a challenge across a posterior will run."""

    ensemble: str
    design: ExperimentSpec
    """The challenge's design over the assumptions the ensemble leaves uncertain."""
    spec: ExperimentSpec
    """The experiment that runs: one scenario per point and input, no design of its own."""
    inputs: list[ScenarioInput]
    points: list[dict[str, Any]]
    """Per point: the designed assumptions' values and the posterior draw's values."""
    particles: list[int]
    """The posterior particle drawn at each point."""
    calibrated: list[str]
    dropped: list[str]


def point_label(name: str, point: int) -> str:
    return f"{name} [point {point}]"


def plan_ensemble_challenge(
    setup: ClaimSetup,
    posterior: pd.DataFrame,
    ensemble: str,
    samples: int,
    replications: int,
    seed: int,
    sensitivity: Sensitivity | None = None,
) -> EnsembleChallengePlan:
    """Drop the calibrated assumptions, sample the rest, draw a particle per point; every scenario
    is built here, so a bad value is refused before anything runs."""
    calibrated = [c for c in posterior.columns if c != "weight"]
    fixed = [path for path in setup.overrides if path in calibrated]
    if fixed:
        raise ScenarioError(
            setup.source,
            [
                f"--set {path}: {path} is drawn from the posterior ensemble {ensemble!r}; a setting is "
                "either fixed (--set) or calibrated, not both"
                for path in fixed
            ],
        )
    dropped = [path for path in setup.scenario.assumptions if path in calibrated]
    design = challenge_spec(setup, samples, replications, seed, sensitivity, exclude=calibrated)
    designed = design_points(design)
    drawn = draw_parameters(posterior, len(designed), seed)
    points, inputs = [], []
    for index, (values, draw) in enumerate(zip(designed, drawn.to_dict("records"), strict=True)):
        point = {**values, **plain_values(draw)}
        points.append(point)
        for item in setup.inputs:
            try:
                raw = apply_overrides(dict(item.raw), point, item.source)
            except ScenarioError as exc:
                raise ScenarioError(setup.source, [f"point {index}: {p}" for p in exc.problems]) from None
            raw["name"] = point_label(str(raw.get("name", setup.label)), index)
            inputs.append(ScenarioInput(raw, point_label(item.source, index), strategy_off=item.strategy_off))
    spec = ExperimentSpec(
        name=f"challenge.{safe_name(setup.label)}.{safe_name(ensemble)}",
        description=(
            f"challenge of the claims of {setup.source} with the parameters of posterior ensemble "
            f"{ensemble} drawn from it"
        ),
        scenarios=[i.source for i in inputs],
        replications=replications,
        seed=seed,
    )
    return EnsembleChallengePlan(
        ensemble, design, spec, inputs, points, [int(p) for p in drawn.index], calibrated, dropped
    )


def run_ensemble_challenge(
    path: str | Path,
    ensemble: str,
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
    """Sample the uncalibrated assumptions, draw the calibrated ones from the posterior, run the
    strategy and its comparisons at each point, analyse each claim and store the finding."""
    setup = setup or claim_setup(path, overrides=overrides)
    with ResultsStore(db) as store:
        posterior = posterior_frame(store, ensemble)
    if posterior is None or posterior.empty:
        raise LookupError(f"no ensemble named {ensemble!r} with particles; `ocsim ensembles` lists them")
    plan = plan_ensemble_challenge(setup, posterior, ensemble, samples, replications, seed, sensitivity)
    sweep = run_experiment(
        plan.spec, executor=executor, db=db, workers=workers, progress=progress, scenarios=plan.inputs
    )
    with ResultsStore(db) as store:
        metrics = store.load_metrics(experiment=plan.spec.name)
        by_scenario = {name: frame for name, frame in metrics.groupby("scenario")}
        rows = []
        for index, point in enumerate(plan.points):
            row = {"point": index, **point, "particle": plan.particles[index]}
            rows.append({**row, **claim_estimates(setup, by_scenario, partial(point_label, point=index))})
        points = pd.DataFrame(rows)
        claims = analyse_claims(setup, points, plan.design, sensitivity, seed, also=plan.calibrated)
        store_finding(
            store,
            plan.spec.name,
            "challenge",
            {
                "scenario": setup.label,
                "samples": samples,
                "replications": replications,
                "design": plan.design.design.model_dump(),
                "ensemble": ensemble,
                "calibrated": plan.calibrated,
                "dropped": plan.dropped,
                "claims": [asdict(c) for c in claims],
                "points": points.to_dict(orient="list"),
            },
        )
    return ChallengeResult(plan.spec.name, sweep, claims, points, ensemble, plan.calibrated, plan.dropped)
