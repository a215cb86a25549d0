"""``ocsim test``: run a scenario's strategy and comparisons with paired seeds and judge each claim.

The runs go through the experiments machinery (parallel, stored, resumable: a second ``ocsim
test`` with more replications only runs the new ones). Verdicts are stored in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.analysis.claims import ClaimVerdict, judge_claim
from simulation.experiments import ExperimentSpec, SweepSummary, run_experiment
from simulation.experiments.sweep import ProgressCallback
from simulation.storage import ResultsStore
from simulation.storage.ledger import store_verdicts
from simulation.theory.setup import ClaimSetup, claim_setup, safe_name


@dataclass
class ClaimTest:
    """The outcome of ``ocsim test``."""

    setup: ClaimSetup
    experiment: str
    sweep: SweepSummary
    verdicts: list[ClaimVerdict]

    @property
    def all_hold(self) -> bool:
        return bool(self.verdicts) and all(v.verdict == "HOLDS" for v in self.verdicts)


def claim_test_spec(setup: ClaimSetup, replications: int, seed: int) -> ExperimentSpec:
    return ExperimentSpec(
        name=f"test.{safe_name(setup.label)}",
        description=f"theory-of-success test of {setup.source}",
        scenarios=[i.source for i in setup.inputs],
        replications=replications,
        seed=seed,
    )


def judge_all(setup: ClaimSetup, metrics: pd.DataFrame, seed: int = 0) -> list[ClaimVerdict]:
    """Judge every claim from a tidy metrics frame holding the strategy and comparison runs."""
    by_scenario = {name: frame for name, frame in metrics.groupby("scenario")}
    strategy = by_scenario.get(setup.label)
    if strategy is None:
        raise ValueError(f"no finished runs of {setup.label!r} to judge")
    verdicts = []
    for index, claim in enumerate(setup.scenario.theory_of_success):
        label = setup.comparison_for(claim.compare)
        comparison = by_scenario.get(label) if label is not None else None
        verdicts.append(judge_claim(claim, strategy, comparison, seed=seed + index))
    return verdicts


def run_claim_test(
    path: str | Path,
    replications: int = 20,
    seed: int = 1,
    db: str | None = None,
    executor: str = "local",
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    setup: ClaimSetup | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ClaimTest:
    """Run (what is not stored yet), judge every claim, store the verdicts.

    ``overrides`` (dotted paths -> values, ``steps`` too) apply to the strategy and its comparisons.
    """
    setup = setup or claim_setup(path, overrides=overrides)
    spec = claim_test_spec(setup, replications, seed)
    sweep = run_experiment(
        spec, executor=executor, db=db, workers=workers, progress=progress, scenarios=setup.inputs
    )
    with ResultsStore(db) as store:
        metrics = store.load_metrics(experiment=spec.name)
        verdicts = judge_all(setup, metrics, seed)
        store_verdicts(store, spec.name, setup.label, [v.as_record() for v in verdicts])
    return ClaimTest(setup, spec.name, sweep, verdicts)
