"""Verdicts across a posterior: ``ocsim test SCENARIO --ensemble NAME``.

Parameter sets are drawn from the posterior ensemble by weight (with replacement, seeded from the
test's root seed), so each draw carries the same share of posterior mass. At every draw the
strategy and each comparison the claims need run with the same replication seeds (common random
numbers, as in ``ocsim test``). Per claim:

- **share of posterior mass where it holds**: the share of draws whose point estimate (over that
  draw's paired replications) meets the threshold, as ``ocsim challenge`` counts points;
- **pooled estimate and interval**: every draw's runs pooled, the paired bootstrap of
  ``ocsim test`` over all of them (the interval mixes parameter and run-to-run uncertainty);
- **verdict**: HOLDS when the share reaches the claim's ``confidence``, FAILS when the share where
  it fails does, INCONCLUSIVE otherwise.

The runs are an ordinary experiment (``test.<scenario>.<ensemble>``): stored, resumable, and not
run twice; the verdicts go to ``claim_verdicts`` like those of ``ocsim test``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.analysis.claims import ClaimVerdict, judge_claim
from simulation.experiments import ExperimentSpec, SweepSummary, run_experiment
from simulation.experiments.plan import ScenarioInput
from simulation.experiments.sweep import ProgressCallback
from simulation.scenario import ScenarioError
from simulation.scenario.loader import apply_overrides
from simulation.storage import ResultsStore
from simulation.storage.ensembles import posterior_frame
from simulation.storage.ledger import store_verdicts
from simulation.theory.setup import ClaimSetup, claim_setup, safe_name

DRAW_STREAM = 0xE5E3B1E
"""Mixed into the root seed so drawing from the posterior never shares a stream with a run."""


@dataclass
class PosteriorClaim:
    verdict: ClaimVerdict
    """Pooled estimate and interval; ``verdict`` set from the share of posterior mass."""
    share_holds: float
    share_fails: float
    draws: int


@dataclass
class PosteriorTest:
    setup: ClaimSetup
    ensemble: str
    experiment: str
    sweep: SweepSummary
    draws: pd.DataFrame
    claims: list[PosteriorClaim]

    @property
    def all_hold(self) -> bool:
        return bool(self.claims) and all(c.verdict.verdict == "HOLDS" for c in self.claims)


def draw_parameters(posterior: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` parameter sets drawn by weight (with replacement); index: the particle drawn."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), DRAW_STREAM]))
    weights = posterior["weight"].to_numpy(dtype=float)
    chosen = rng.choice(len(posterior), size=int(n), replace=True, p=weights / weights.sum())
    return posterior.drop(columns="weight").iloc[chosen]


def _draw_label(name: str, draw: int) -> str:
    return f"{name} [posterior draw {draw}]"


def plain_values(record: dict) -> dict:
    """JSON-plain values: whole-number settings stay integers (the frame keeps their int dtype)."""
    return {k: int(v) if isinstance(v, int | np.integer) else float(v) for k, v in record.items()}


def posterior_inputs(setup: ClaimSetup, draws: pd.DataFrame) -> list[ScenarioInput]:
    """The strategy and its comparisons at every draw, each named after its draw."""
    inputs = []
    for d, record in enumerate(draws.to_dict("records")):
        values = plain_values(record)
        for item in setup.inputs:
            try:
                raw = apply_overrides(dict(item.raw), values, item.source)
            except ScenarioError as exc:
                raise ScenarioError(
                    setup.source, [f"posterior parameters: {p}" for p in exc.problems]
                ) from None
            raw["name"] = _draw_label(str(raw.get("name", setup.label)), d)
            inputs.append(
                ScenarioInput(raw, f"{item.source} [posterior draw {d}]", strategy_off=item.strategy_off)
            )
    return inputs


def run_posterior_test(
    path: str | Path,
    ensemble: str,
    draws: int = 20,
    replications: int = 2,
    seed: int = 1,
    db: str | None = None,
    executor: str = "local",
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    setup: ClaimSetup | None = None,
) -> PosteriorTest:
    """Draw, run (what is not stored yet), judge every claim across the draws, store the verdicts."""
    setup = setup or claim_setup(path)
    with ResultsStore(db) as store:
        posterior = posterior_frame(store, ensemble)
    if posterior is None:
        raise LookupError(f"no ensemble named {ensemble!r}; `ocsim ensembles` lists them")
    drawn = draw_parameters(posterior, draws, seed)
    inputs = posterior_inputs(setup, drawn)
    spec = ExperimentSpec(
        name=f"test.{safe_name(setup.label)}.{safe_name(ensemble)}",
        description=f"theory-of-success test of {setup.source} across posterior ensemble {ensemble}",
        scenarios=[i.source for i in inputs],
        replications=replications,
        seed=seed,
    )
    sweep = run_experiment(
        spec, executor=executor, db=db, workers=workers, progress=progress, scenarios=inputs
    )
    with ResultsStore(db) as store:
        metrics = store.load_metrics(experiment=spec.name)
        claims = judge_across(setup, metrics, len(drawn), seed)
        store_verdicts(store, spec.name, setup.label, [c.verdict.as_record() for c in claims])
    return PosteriorTest(setup, ensemble, spec.name, sweep, drawn, claims)


def _meets(estimate: float, threshold: float, below: bool) -> bool:
    return (estimate <= threshold) if below else (estimate >= threshold)


def judge_across(setup: ClaimSetup, metrics: pd.DataFrame, draws: int, seed: int) -> list[PosteriorClaim]:
    by_scenario = {name: frame for name, frame in metrics.groupby("scenario")}
    replications = int(metrics["replication"].max()) + 1 if len(metrics) else 0
    judged = []
    for index, claim in enumerate(setup.scenario.theory_of_success):
        label = setup.comparison_for(claim.compare)
        holds = fails = counted = 0
        pooled_strategy, pooled_comparison = [], []
        for d in range(draws):
            strategy = by_scenario.get(_draw_label(setup.label, d))
            comparison = by_scenario.get(_draw_label(label, d)) if label is not None else None
            if strategy is None or (label is not None and comparison is None):
                continue
            one = judge_claim(claim, strategy, comparison, seed=seed + index, resamples=2)
            if not math.isnan(one.estimate):
                counted += 1
                holds += _meets(one.estimate, one.threshold, one.wants_below)
                fails += not _meets(one.estimate, one.threshold, one.wants_below)
            pooled_strategy.append(strategy.assign(replication=strategy["replication"] + d * replications))
            if comparison is not None:
                pooled_comparison.append(
                    comparison.assign(replication=comparison["replication"] + d * replications)
                )
        if not pooled_strategy:
            raise ValueError(f"no finished runs of {setup.label!r} at any posterior draw")
        pooled = judge_claim(
            claim,
            pd.concat(pooled_strategy, ignore_index=True),
            pd.concat(pooled_comparison, ignore_index=True) if pooled_comparison else None,
            seed=seed + index,
        )
        share_holds = holds / counted if counted else math.nan
        share_fails = fails / counted if counted else math.nan
        if counted and share_holds >= claim.confidence:
            verdict = "HOLDS"
        elif counted and share_fails >= claim.confidence:
            verdict = "FAILS"
        else:
            verdict = "INCONCLUSIVE"
        note = (
            f"holds for {share_holds:.0%} of the posterior ({counted} draws x {replications} paired "
            f"replications); pooled estimate and interval over all draws"
            if counted
            else "no draw gave an estimate"
        )
        judged.append(
            PosteriorClaim(
                replace(pooled, verdict=verdict, more_replications=None, note=note),
                share_holds,
                share_fails,
                counted,
            )
        )
    return judged
